"""What customers do when orders and payments announce their facts: link orders, keep the figures.

Every subscriber runs inside the announcing transaction, so a customer's figures stand or fall
with the order, status change or refund that moved them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_PLACED, ORDER_STATUS_CHANGED
from ..orders.models import Order
from ..payments.events import PAYMENT_REFUNDED, REFUND_REVERSED
from ..sellers import service as sellers
from . import service


def connect() -> None:
    """Subscribe to the events customers follow (the app factory calls this; repeating is harmless)."""
    ORDER_PLACED.connect(link_placed_order)
    ORDER_STATUS_CHANGED.connect(refresh_after_status)
    PAYMENT_REFUNDED.connect(refresh_after_money)
    REFUND_REVERSED.connect(refresh_after_money)


def link_placed_order(_event: Event, *, session: Session, order: Order, now: datetime, **payload) -> None:
    """A placed order joins its customer (made on their first order); their figures follow."""
    # Subscribers run in no set order: credit the seller first (once only, so the sellers'
    # own subscriber finds it done) so the customer's referring seller is known now. Without
    # seller links (no touches) there is nobody to credit, and nothing to read.
    attribution = payload.get("attribution")
    if attribution is not None and attribution.touches:
        sellers.credit_order(session, order, attribution, now)
    service.link_order(session, order, now)


def refresh_after_status(_event: Event, *, session: Session, order: Order, now: datetime, **_payload) -> None:
    """A sale made, cancelled or completed: the customer's orders and spend follow."""
    service.refresh_for_order(session, order.id, now)


def refresh_after_money(_event: Event, *, session: Session, order: Order, now: datetime, **_payload) -> None:
    """Money given back (or a refund undone): the customer's spend follows."""
    service.refresh_for_order(session, order.id, now)
