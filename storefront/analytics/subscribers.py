"""What behaviour logging records when orders and payments announce their facts: purchases and refunds.

The subscribers run inside the announcing transaction, each row in its own savepoint
(service._record_server_event): a failure to log never breaks the order or the refund.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_PLACED
from ..orders.models import Order
from ..payments.events import PAYMENT_REFUNDED, PAYMENT_SUCCEEDED, REFUND_REVERSED
from . import service


def connect() -> None:
    """Subscribe to the events analytics records (the app factory calls this; repeating is harmless)."""
    ORDER_PLACED.connect(record_placed_sale)
    PAYMENT_SUCCEEDED.connect(record_paid_sale)
    PAYMENT_REFUNDED.connect(record_refund)
    REFUND_REVERSED.connect(record_reversed_refund)


def record_placed_sale(
    _event: Event, *, session: Session, order: Order, now: datetime, cart_token: str | None, sold: bool, **_payload
) -> None:
    """A cash order is a sale when placed (card and transfer orders when paid)."""
    if sold:
        service.record_purchase(session, order, cart_token, now)


def record_paid_sale(
    _event: Event, *, session: Session, order: Order, now: datetime, cart_hash: str | None, **_payload
) -> None:
    """An order paid by card or transfer is a sale once its money arrived."""
    service.record_purchase(session, order, None, now, cart_hash=cart_hash)


def record_refund(_event: Event, *, session: Session, order: Order, amount: int, now: datetime, **_payload) -> None:
    """Money given back counts against the reports."""
    service.record_refund(session, order, amount, now)


def record_reversed_refund(
    _event: Event, *, session: Session, order: Order, amount: int, now: datetime, **_payload
) -> None:
    """A refund counted as money back failed afterwards: take it out of the reports again."""
    service.record_refund(session, order, -amount, now)
