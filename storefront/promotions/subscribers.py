"""Codes follow their orders: an order that ends unpaid or cancelled gives its code's use back (once),
and a late payment that revives it takes the use again (or is refused)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_STATUS_CHANGED
from ..orders.models import Order
from ..orders.rules import OrderStatus
from . import service

# Decided (issue 20): a cancelled order gives its use back whether it was paid or not. Cancelling
# a paid order refunds it in full, so the shopper kept nothing the code paid for.
RELEASING_STATUSES = frozenset({OrderStatus.UNPAID, OrderStatus.CANCELLED})


def connect() -> None:
    """Subscribe to order status changes (the app factory calls this; repeating is harmless)."""
    ORDER_STATUS_CHANGED.connect(give_use_back)


def give_use_back(
    _event: Event,
    *,
    session: Session,
    order: Order,
    old_status: OrderStatus,
    new_status: OrderStatus,
    now: datetime,
    **_payload,
) -> None:
    """An unpaid or cancelled order's code may be used again (released once); a late payment takes it again.

    Taking it again can be refused (the code was used up meanwhile): promotions.service.UseTakenMeanwhile,
    a TransitionRefused, so the late payment is cancelled and refunded like one for goods sold out meanwhile.
    """
    if new_status in RELEASING_STATUSES:
        service.release(session, order.id, now)
    elif old_status == OrderStatus.UNPAID and new_status == OrderStatus.PLACED:
        service.retake(session, order.id, now)
