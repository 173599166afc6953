"""Admin: refund an order's card payment, in full or in part (owner only)."""

from __future__ import annotations

import re
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..domain import DomainError
from ..extensions import db
from ..money import parse_amount
from ..payments import flows
from ..payments.currencies import check_card_amount
from ..payments.provider import provider_for
from ..payments.rules import RefundStatus
from . import service
from .views import bp, render_order

REFUND_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_refund_key() -> str:
    """A one-time key for a refund form: the same form sent twice refunds once."""
    return secrets.token_urlsafe(24)


@bp.post("/orders/<reference>/refund")
@role_required("owner")
def refund(reference: str):
    """Give back part or all of an order's card payment; the provider is asked with the form's key."""
    order = service.order_by_reference(db.session, reference)
    if order is None:
        abort(404)
    provider = provider_for(order.payment_method)
    key = request.form.get("refund_key", "")
    if provider is None or not provider.online or not REFUND_KEY_RE.match(key):
        return _refused(reference, _("This form has expired or this order was not paid online."), 400)
    try:
        amount = parse_amount(request.form.get("amount", ""), order.currency)
    except ValueError:
        return _refused(reference, _("Enter the amount like 12.50."), 422)
    reason = request.form.get("reason", "").strip()[:200]
    try:
        check_card_amount(amount, order.currency)  # before booking: 5.125 KWD cannot go back by card
        done = flows.refund(db.session, provider, order.id, amount, key, current_user.id, reason)
    except DomainError as err:
        return _refused(reference, err.message, err.status_code)
    if done.status == RefundStatus.SUCCEEDED:
        flash(_("Refund made."), "success")
    elif done.status == RefundStatus.PENDING:
        flash(_("The refund is waiting for the payment service; it is retried automatically."), "info")
    else:
        flash(_("The payment service refused the refund: %(error)s", error=done.error), "error")
    return redirect(url_for("admin.order_detail", reference=reference), code=303)


def _refused(reference: str, message: str, status: int):
    """The order page again with the refund form's error; nothing was refunded."""
    db.session.rollback()
    return render_order(reference, message, status)
