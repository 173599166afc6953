"""The seller's own profile (/seller/profile) and payout statements (/seller/statements), phone-first."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..catalog.images import ImageRejected, delete_image, store_upload
from ..clock import utcnow
from ..core.csv import csv_safe
from ..core.security import private_blueprint
from ..domain import DomainError
from ..extensions import db
from ..money import format_amount_plain
from . import profile, statements
from .access import require_seller
from .models import Seller

bp = Blueprint("seller_profile", __name__, url_prefix="/seller")
private_blueprint(bp)
bp.before_request(require_seller)  # signed-in sellers only; every query below is scoped to g.seller


class PayoutFields:
    """Where the owner sends the seller's money (shared by the join form)."""

    payout_method = RadioField(
        _l("How should the shop pay you?"),
        choices=[("mobile", _l("Mobile money")), ("bank", _l("Bank account"))],
        validate_choice=False,
    )
    payout_provider = StringField(_l("Mobile money service or bank (e.g. bKash)"), validators=[Length(max=60)])
    payout_account_name = StringField(_l("Account holder's name"), validators=[Length(max=120)])
    payout_account_number = StringField(_l("Mobile money number or account number"), validators=[Length(max=40)])


class ProfileForm(PayoutFields, FlaskForm):
    """What a seller may change about themselves."""

    name = StringField(
        _l("Your name (shown on your page)"), validators=[DataRequired(_l("Please give your name.")), Length(max=120)]
    )
    bio = TextAreaField(_l("About you (up to 300 characters)"), validators=[Length(max=profile.MAX_BIO)])
    whatsapp = StringField(_l("WhatsApp number"), validators=[Length(max=24)])
    show_contact = BooleanField(_l("Show my WhatsApp number on my page"))
    remove_photo = BooleanField(_l("Remove my photo"))
    current_password = PasswordField(_l("Current password (only to change payout details)"))


def read_photo() -> str | None:
    """Store the uploaded `photo` like a product photo; its key, or None when none was sent. ImageRejected if bad."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    cfg = current_app.config
    data = upload.stream.read(cfg["MAX_PHOTO_BYTES"] + 1)
    stored = store_upload(
        data, Path(cfg["MEDIA_ROOT"]), max_bytes=cfg["MAX_PHOTO_BYTES"], max_pixels=cfg["MAX_PHOTO_PIXELS"]
    )
    return stored.key


def forget_photo(key: str | None) -> None:
    """Delete a photo's files (one that a refused form stored, or one replaced)."""
    if key:
        delete_image(key, Path(current_app.config["MEDIA_ROOT"]))


def photo_src(key: str | None) -> str | None:
    """The smallest JPEG rendition of a stored photo, for a preview."""
    if not key:
        return None
    files = sorted(Path(current_app.config["MEDIA_ROOT"]).glob(f"{key}-*.jpg"), key=lambda p: len(p.name))
    return f"{request.script_root}/media/{files[0].name}" if files else None


def _page(form: ProfileForm, status: int = 200, error: str | None = None):
    seller: Seller = g.seller
    html = render_template(
        "sellers/profile.html", seller=seller, form=form, error=error, photo=photo_src(seller.photo_key)
    )
    return html, status


@bp.route("/profile", methods=["GET", "POST"])
def edit():
    """The seller's name, photo, bio, WhatsApp and payout details; shown again with the error when refused."""
    seller: Seller = g.seller
    if request.method == "GET":
        form = ProfileForm(formdata=None, obj=seller)
        form.name.data = seller.user.name
        return _page(form)
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(form, 422, _("Please check the form."))
    new_key = None
    try:
        new_key = read_photo()
        data = profile.ProfileInput(
            name=form.name.data,
            bio=form.bio.data or "",
            whatsapp=form.whatsapp.data or "",
            show_contact=form.show_contact.data,
            payout_method=form.payout_method.data or "",
            payout_provider=form.payout_provider.data or "",
            payout_account_name=form.payout_account_name.data or "",
            payout_account_number=form.payout_account_number.data or "",
            current_password=form.current_password.data or "",
        )
        now = utcnow()
        profile.update_profile(db.session, seller, data, now, current_app.config.get("SHOP_CALLING_CODE", ""))
        old = None
        if new_key or form.remove_photo.data:
            old = profile.set_photo(db.session, seller, new_key, now)
        db.session.commit()
    except (DomainError, ImageRejected) as err:
        db.session.rollback()
        forget_photo(new_key)
        message = _(err.message) if isinstance(err, ImageRejected) else err.message
        return _page(form, getattr(err, "status_code", 422), message)
    forget_photo(old)
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("seller_profile.edit"), code=303)


@bp.get("/statements", endpoint="statements")
def statements_page():
    """Per month: commission earned, reversed, paid out, and the balance; each month as CSV."""
    rows = statements.months(db.session, g.seller.id, get_timezone())
    return render_template("sellers/statements.html", seller=g.seller, rows=rows)


@bp.get("/statements/<month>.csv")
def statement_csv(month: str):
    """One month's commissions and payouts (this seller's only), money as plain amounts."""
    day = statements.parse_month(month)
    if day is None:
        abort(404)
    detail = statements.detail(db.session, g.seller.id, day, get_timezone())
    currency = current_app.config["SHOP_CURRENCY"]
    tz = get_timezone()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "order", "date", "base", "amount", "status", "note"])
    for entry, reference in detail.entries:
        moment = entry.approved_at if entry.status != "reversed" else entry.reversed_at
        shown = entry.original_amount if entry.status == "reversed" else entry.amount
        writer.writerow(
            [
                "commission",
                csv_safe(reference),
                statements.local_date(moment, tz).isoformat(),
                format_amount_plain(entry.base, entry.currency),
                format_amount_plain(shown, entry.currency),
                entry.status,
                "",
            ]
        )
    for payout in detail.payouts:
        writer.writerow(
            [
                "payout",
                "",
                statements.local_date(payout.created_at, tz).isoformat(),
                "",
                format_amount_plain(payout.amount, payout.currency or currency),
                "paid",
                csv_safe(payout.note or ""),
            ]
        )
    name = f"statement-{g.seller.code}-{day:%Y-%m}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"}
    )
