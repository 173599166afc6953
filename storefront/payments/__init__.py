"""Payments: cash in person, or card through a provider's hosted page (Stripe Checkout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Give templates the words for payment, refund and dispute states and dispute reasons."""
    from ..core.templating import register_labels
    from .labels import DISPUTE_LABELS, DISPUTE_REASONS, OTHER_REASON, PAYMENT_LABELS, REFUND_LABELS

    register_labels(app, "payment_label", PAYMENT_LABELS)
    register_labels(app, "refund_label", REFUND_LABELS)
    # A provider may send a state or reason the shop has no word for: shown as "Other".
    register_labels(app, "dispute_label", DISPUTE_LABELS, fallback=OTHER_REASON)
    register_labels(app, "dispute_reason", DISPUTE_REASONS, fallback=OTHER_REASON)
