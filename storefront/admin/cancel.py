"""Admin: cancel an order after a confirmation page; a paid card order is refunded unless the owner keeps it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.rules import has_role
from ..core.templating import money
from ..domain import DomainError
from ..extensions import db
from ..orders import service as orders
from ..orders.labels import STATUS_LABELS
from ..orders.models import Order
from ..orders.rules import OrderEvent, OrderStatus, allowed_events
from ..payments import flows
from ..payments import service as payments
from ..payments.provider import ProviderError, provider_for
from ..payments.rules import RefundStatus
from . import service
from .views import bp, render_order

# What the cancel form's "refund" choice may say; refunding is the default.
REFUND_CHOICES = {"full": True, "keep": False}


def may_refund() -> bool:
    """Only the owner refunds (as the refund route): staff cancel and keep the payment for the owner."""
    return current_user.is_authenticated and has_role(current_user.role, "owner")


@bp.get("/orders/<reference>/cancel")
def order_cancel(reference: str):
    """The confirmation page: one tap on the order page never cancels; this page asks, with the refund choice."""
    order = service.order_by_reference(db.session, reference)
    if order is None:
        abort(404)
    return render_cancel(order)


def render_cancel(order: Order, error: str | None = None, status: int = 200):
    """The cancel confirmation (refund choice when a card payment can be refunded), or the order page if too late."""
    events = allowed_events(order.status, order.delivery_method, orders.refunded_in_full(db.session, order))
    if OrderEvent.CANCEL not in events:
        message = _("An order that is %(status)s cannot be cancelled.", status=_(STATUS_LABELS[order.status]))
        return render_order(order.reference, message, 409)
    payment = payments.payment_of(db.session, order.id)
    html = render_template(
        "admin/order_cancel.html",
        order=order,
        payment=payment,
        refundable=flows.refundable(payment),
        may_refund=may_refund(),
        error=error,
    )
    return html, status


def cancel_order(order: Order):
    """Cancel the order (stock back, commission reversed) and refund its card payment as chosen."""
    reference, currency = order.reference, order.currency
    choice = request.form.get("refund", "full")
    if choice not in REFUND_CHOICES:
        return render_cancel(order, _("Choose whether to refund the payment."), 400)
    owner = may_refund()
    if not owner:  # never trust the form: staff keep the payment, the owner refunds it
        choice = "keep"
    provider = provider_for(order.payment_method)
    try:
        refund = flows.cancel_order(
            db.session,
            provider,
            order.id,
            current_user.id,
            request.form.get("note", "")[:200],
            refund_payment=REFUND_CHOICES[choice],
        )
    except ProviderError as err:  # the cancel is committed; the refund was refused
        flash(
            _(
                "The order is cancelled, but the payment service refused the refund: %(error)s "
                "The payment is still owed to the customer.",
                error=err.message,
            ),
            "error",
        )
        return _back(reference)
    except DomainError as err:
        db.session.rollback()
        return render_order(reference, err.message, err.status_code)
    flash(
        _("Order %(ref)s is now %(status)s.", ref=reference, status=_(STATUS_LABELS[OrderStatus.CANCELLED])), "success"
    )
    if refund is not None and refund.status == RefundStatus.SUCCEEDED:
        flash(_("Refunded %(amount)s.", amount=money(refund.amount, currency)), "success")
    elif refund is not None:
        flash(_("The refund is waiting for the payment service; it is retried automatically."), "info")
    elif choice == "keep" and flows.refundable(payments.payment_of(db.session, order.id)):
        if owner:
            flash(_("The payment was kept. Refund it below when you are ready."), "info")
        else:
            flash(_("The payment was kept: the owner refunds it."), "info")
    return _back(reference)


def _back(reference: str):
    """See the order again."""
    return redirect(url_for("admin.order_detail", reference=reference), code=303)
