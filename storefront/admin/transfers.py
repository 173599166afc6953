"""Admin: the owner's transfer methods (Admin > Payment methods) and "transfer received" on an order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from ..auth.guards import role_required
from ..catalog.images import ImageRejected, delete_image, store_upload
from ..clock import utcnow
from ..domain import DomainError, Invalid
from ..extensions import db
from ..payments import transfer_service as transfers
from ..payments.transfer_models import TransferMethod
from ..payments.transfer_rules import ACCOUNT_MAX, INSTRUCTIONS_MAX, NAME_MAX, TransferMethodValues, check_method
from . import service
from .views import bp, render_order

QR_MAX_WIDTH = 640  # the rendition shown: big enough for any phone camera to read


class TransferMethodForm(FlaskForm):
    """One way to pay by transfer; the values are checked by transfer_rules.check_method."""

    name = StringField(_l("Name shown to shoppers"), validators=[Length(max=NAME_MAX)])
    account = StringField(_l("Number, key or account to pay to"), validators=[Length(max=ACCOUNT_MAX)])
    instructions = TextAreaField(_l("Instructions (optional)"), validators=[Length(max=INSTRUCTIONS_MAX)])
    currencies = StringField(_l("Currencies it takes"), validators=[Length(max=60)])
    hold_hours = StringField(_l("Hold the stock for (hours)"))
    active = BooleanField(_l("Offer it at checkout"), default=True)
    qr = FileField(_l("QR code picture (optional: JPEG, PNG, WebP or GIF)"))
    remove_qr = BooleanField(_l("Remove the QR code picture"))


@bp.get("/payment-methods")
@role_required("owner")
def transfer_methods():
    """The owner's transfer methods, with the shop's currency for reference."""
    return render_template(
        "admin/transfer_methods.html",
        methods=transfers.all_methods(db.session),
        currency=current_app.config["SHOP_CURRENCY"],
    )


@bp.route("/payment-methods/new", methods=["GET", "POST"])
@role_required("owner")
def transfer_method_new():
    """Add a transfer method."""
    form = TransferMethodForm()
    if request.method == "GET":
        form.currencies.data, form.hold_hours.data = current_app.config["SHOP_CURRENCY"], "24"
    return _edit(form, None)


@bp.route("/payment-methods/<int:method_id>", methods=["GET", "POST"])
@role_required("owner")
def transfer_method_edit(method_id: int):
    """Change a transfer method (switch it off to stop offering it; orders keep their copy)."""
    method = db.session.get(TransferMethod, method_id) or abort(404)
    form = TransferMethodForm(obj=method)
    if request.method == "GET":
        form.hold_hours.data = str(method.hold_hours)
    return _edit(form, method)


def _edit(form: TransferMethodForm, method: TransferMethod | None):
    """Show the form, or save it; a refused value or picture is shown again with its message (422)."""
    if request.method == "GET":
        return _page(form, method)
    if not form.validate_on_submit():
        return _page(form, method), 422
    try:
        values = check_method(
            form.name.data, form.account.data, form.instructions.data, form.currencies.data, form.hold_hours.data
        )
    except Invalid as err:
        wrong = getattr(form, getattr(err, "field", "name"))  # beside the field it is about
        wrong.errors = [*wrong.errors, err.message]
        return _page(form, method), err.status_code
    media, old_key, new_key = Path(current_app.config["MEDIA_ROOT"]), method and method.qr_key, None
    saved = transfers.save_method(db.session, method, _with_active(values, form.active.data), utcnow())
    try:
        new_key = _store_qr(form, saved)
    except ImageRejected as err:
        db.session.rollback()
        form.qr.errors = [*form.qr.errors, _(err.message)]
        return _page(form, method), 422
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        if new_key:
            delete_image(new_key, media)  # no orphan files
        raise
    if old_key and old_key != saved.qr_key:
        delete_image(old_key, media)  # files go only once the database no longer points at them
    flash(_("Payment method saved."), "success")
    return redirect(url_for("admin.transfer_methods"), code=303)


def _with_active(values: TransferMethodValues, active: bool) -> TransferMethodValues:
    """The validated values with the "offer it" switch."""
    return replace(values, active=bool(active))


def _store_qr(form: TransferMethodForm, method: TransferMethod) -> str | None:
    """Store an uploaded QR picture like a product photo (sniffed, size-limited, re-encoded); its new key."""
    upload = form.qr.data
    if form.remove_qr.data and not getattr(upload, "filename", ""):
        method.qr_key, method.qr_width = None, None
        return None
    if not getattr(upload, "filename", ""):
        return None
    cfg = current_app.config
    data = upload.stream.read(cfg["MAX_PHOTO_BYTES"] + 1)
    stored = store_upload(
        data, Path(cfg["MEDIA_ROOT"]), max_bytes=cfg["MAX_PHOTO_BYTES"], max_pixels=cfg["MAX_PHOTO_PIXELS"]
    )
    shown = [width for width in stored.widths if width <= QR_MAX_WIDTH] or [min(stored.widths)]
    method.qr_key, method.qr_width = stored.key, max(shown)
    db.session.flush()
    return stored.key


def _page(form: TransferMethodForm, method: TransferMethod | None) -> str:
    """The method's form page."""
    return render_template("admin/transfer_method_form.html", form=form, method=method)


@bp.post("/orders/<reference>/transfer-received")
def transfer_received(reference: str):
    """Staff saw the transfer: mark the order received with its transaction id (once per id)."""
    order = service.order_by_reference(db.session, reference) or abort(404)
    try:
        transfers.receive_transfer(
            db.session, order, request.form.get("transaction_id", "")[:80], current_user.id, utcnow()
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render_order(reference, err.message, err.status_code)
    flash(_("Transfer received: order %(ref)s goes ahead.", ref=reference), "success")
    return redirect(url_for("admin.order_detail", reference=reference), code=303)
