"""Words shown for payment and refund statuses (gettext ids, translated when shown)."""

from __future__ import annotations

from ..domain import N_
from .rules import PaymentStatus, RefundStatus

PAYMENT_LABELS = {
    PaymentStatus.PENDING: N_("Waiting for payment"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.FAILED: N_("Payment failed"),
    PaymentStatus.EXPIRED: N_("Not paid in time"),
}

REFUND_LABELS = {
    RefundStatus.PENDING: N_("Refund pending"),
    RefundStatus.SUCCEEDED: N_("Refunded"),
    RefundStatus.FAILED: N_("Refund refused"),
}
