"""Admin: the seller programme's settings (/admin/sellers/settings, owner only): contacts shown, invite validity."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.guards import role_required
from ..clock import utcnow
from ..domain import N_, Invalid
from ..extensions import db
from ..sellers.models import SellerSettings
from .views import bp

MIN_INVITE_DAYS, MAX_INVITE_DAYS = 1, 90


def settings_row(session: Session) -> SellerSettings:
    """The one settings row, or an unsaved one with the defaults (not added to the session)."""
    row = session.scalars(select(SellerSettings).order_by(SellerSettings.id).limit(1)).first()
    return row if row is not None else SellerSettings(show_customer_contacts=False, invite_days=7)


def parse_invite_days(raw: str) -> int:
    """Invite validity in whole days, 1-90; Invalid otherwise."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 3 or not MIN_INVITE_DAYS <= int(text) <= MAX_INVITE_DAYS:
        raise Invalid(N_("Invite links work for %(min)s to %(max)s days."), min=MIN_INVITE_DAYS, max=MAX_INVITE_DAYS)
    return int(text)


def save_settings(session: Session, show_contacts: bool, invite_days: int, now: datetime) -> SellerSettings:
    """Save the settings in the one row (made when missing); flushes."""
    row = session.scalars(select(SellerSettings).order_by(SellerSettings.id).limit(1)).first()
    if row is None:
        row = SellerSettings()
        session.add(row)
    row.show_customer_contacts, row.invite_days, row.updated_at = show_contacts, invite_days, now
    session.flush()
    return row


@bp.route("/sellers/settings", methods=["GET", "POST"])
@role_required("owner")
def seller_settings():
    """Whether sellers see their customers' full phone and email, and how long invite links work."""
    if request.method == "GET":
        row = settings_row(db.session)
        return render_template(
            "admin/seller_settings.html", show=row.show_customer_contacts, days=row.invite_days, error=None
        )
    show = request.form.get("show_customer_contacts") == "1"
    typed = request.form.get("invite_days", "")
    try:
        save_settings(db.session, show, parse_invite_days(typed), utcnow())
    except Invalid as err:
        db.session.rollback()
        return render_template("admin/seller_settings.html", show=show, days=typed[:10], error=err.message), 422
    db.session.commit()
    flash(_("Seller settings saved."), "success")
    return redirect(url_for("admin.seller_settings"), code=303)
