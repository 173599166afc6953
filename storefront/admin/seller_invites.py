"""Admin: invite sellers by a one-time, expiring link (/admin/sellers/invites); the link is shown once."""

from __future__ import annotations

import segno
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..auth.guards import role_required
from ..clock import utcnow
from ..core.forms import RateField
from ..domain import DomainError
from ..extensions import db
from ..sellers import invites, rules
from .views import bp


class InviteForm(FlaskForm):
    """Who the invite is for, and their commission."""

    name = StringField(_l("Who is it for? (name or note)"), validators=[Length(max=120)])
    rate = RateField(
        _l("Commission (%)"),
        validators=[DataRequired(_l("Please give the commission, like 10."))],
        parse=rules.parse_rate_percent,
    )


def _page(form: InviteForm, status: int = 200):
    now = utcnow()
    rows = [(invite, invites.state_of(invite, now)) for invite in invites.list_invites(db.session)]
    return render_template("admin/seller_invites.html", form=form, rows=rows, rate=rules.format_rate), status


@bp.route("/sellers/invites", methods=["GET", "POST"])
@role_required("owner")
def seller_invites():
    """The invites (pending, used, expired, revoked) and a form for a new one; a new link is shown once."""
    form = InviteForm()
    if not form.is_submitted():
        form.rate.data = "10"
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        invite, token = invites.create_invite(
            db.session,
            name=form.name.data or "",
            rate_bp=form.rate.basis_points,
            created_by=current_user.id,
            now=utcnow(),
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.rate.errors.append(err.message)
        return _page(form, err.status_code)
    link = url_for("join.form", token=token, _external=True)
    svg = segno.make(link, error="m").svg_inline(scale=4, border=2, title=_("Invite link QR code"))
    qr = Markup(svg)  # noqa: S704 - segno writes the SVG itself and escapes the title
    message = _("Join %(shop)s as a seller: %(link)s", shop=_shop_name(), link=link)
    # Not a redirect: the token must not travel in the session cookie of a flash.
    return render_template("admin/seller_invite_created.html", invite=invite, link=link, qr=qr, message=message), 201


def _shop_name() -> str:
    return current_app.config.get("SHOP_NAME", "")


@bp.post("/sellers/invites/<int:invite_id>/revoke")
@role_required("owner")
def seller_invite_revoke(invite_id: int):
    """Revoke an unused invite: its link stops working."""
    try:
        invites.revoke(db.session, invite_id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("admin.seller_invites"), code=303)
    flash(_("Invite revoked."), "success")
    return redirect(url_for("admin.seller_invites"), code=303)
