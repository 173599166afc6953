"""Words shown for payment and refund statuses (gettext ids, translated when shown)."""

from __future__ import annotations

from ..domain import N_
from ..orders.rules import Delivery, OrderStatus
from .rules import PaymentStatus, RefundStatus

PAYMENT_LABELS = {
    PaymentStatus.PENDING: N_("Waiting for payment"),
    PaymentStatus.PROCESSING: N_("Payment processing"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.FAILED: N_("Payment failed"),
    PaymentStatus.EXPIRED: N_("Not paid in time"),
}

REFUND_LABELS = {
    RefundStatus.PENDING: N_("Refund pending"),
    RefundStatus.SUCCEEDED: N_("Refunded"),
    RefundStatus.FAILED: N_("Refund refused"),
}


def cash_payment_label(status: str, delivery_method: str) -> str:
    """What a cash order's payment line says: only a delivered or collected order has been paid."""
    if status == OrderStatus.CANCELLED:
        return N_("Not paid: the order was cancelled.")
    if delivery_method == Delivery.PICKUP:
        if status == OrderStatus.COLLECTED:
            return N_("Paid at pickup, in person.")
        return N_("To be paid at pickup, in person.")
    if status == OrderStatus.DELIVERED:
        return N_("Paid in cash on delivery.")
    return N_("To be paid in cash on delivery.")


# Stripe's dispute statuses and reasons, in the owner's words (anything else reads "Other").
DISPUTE_LABELS = {
    "warning_needs_response": N_("Inquiry: needs a response"),
    "warning_under_review": N_("Inquiry: under review"),
    "warning_closed": N_("Inquiry closed"),
    "needs_response": N_("Needs a response"),
    "under_review": N_("Under review"),
    "won": N_("Won"),
    "lost": N_("Lost"),
}
DISPUTE_REASONS = {
    "fraudulent": N_("Not authorised by the card holder"),
    "duplicate": N_("Charged twice"),
    "product_not_received": N_("Goods not received"),
    "product_unacceptable": N_("Goods not as described"),
    "credit_not_processed": N_("Refund not received"),
    "unrecognized": N_("Charge not recognised"),
    "subscription_canceled": N_("Subscription cancelled"),
    "general": N_("Other"),
}
OTHER_REASON = N_("Other")
