"""What the sellers' commission ledger does when orders and payments announce their facts.

Every subscriber runs inside the announcing transaction (see each event's declaration), so a
commission stands or falls with the order or payment change that caused it.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_PLACED, ORDER_STATUS_CHANGED
from ..orders.models import Order
from ..orders.rules import COMMISSION_STEPS, OrderEvent
from ..payments.events import DISPUTE_CLOSED, PAYMENT_DISPUTED, PAYMENT_REFUNDED
from . import service
from .service import DEFAULT_RETURN_WINDOW_DAYS, Attribution


def connect() -> None:
    """Subscribe the ledger to the events it follows (the app factory calls this; repeating is harmless)."""
    ORDER_PLACED.connect(credit_placed_order)
    ORDER_STATUS_CHANGED.connect(follow_order_status)
    PAYMENT_REFUNDED.connect(reduce_for_refund)
    PAYMENT_DISPUTED.connect(hold_for_dispute)
    DISPUTE_CLOSED.connect(release_after_dispute)


def credit_placed_order(
    _event: Event, *, session: Session, order: Order, attribution: Attribution | None, now: datetime, **_payload
) -> None:
    """A placed order that came through seller links is credited to the seller the rule picks.

    An order that came through none (no touches) credits nobody: nothing to read. A just-placed
    order cannot have an entry yet (credit_order reads it only to stay idempotent).
    """
    if attribution is not None and attribution.touches:
        service.credit_order(session, order, attribution, now)


def follow_order_status(
    _event: Event, *, session: Session, order: Order, event: OrderEvent, now: datetime, **_payload
) -> None:
    """The commission follows the order: paid, completed (the return window starts), cancelled."""
    for step in COMMISSION_STEPS.get(event, ()):
        if step == "paid":
            service.order_paid(session, order.id, now)
        elif step == "completed":
            service.order_completed(session, order.id, now, return_window_days=_return_window_days())
        elif step == "cancelled":
            service.order_cancelled(session, order.id, now)


def _return_window_days() -> int:
    """The shop's return window (SELLER_RETURN_WINDOW_DAYS), or the default outside an app."""
    if has_app_context():
        return int(current_app.config.get("SELLER_RETURN_WINDOW_DAYS", DEFAULT_RETURN_WINDOW_DAYS))
    return DEFAULT_RETURN_WINDOW_DAYS


def reduce_for_refund(
    _event: Event, *, session: Session, order: Order, refunded_total: int, now: datetime, **_payload
) -> None:
    """Money went back: the commission shrinks with the order's cumulative refunds (or is reversed)."""
    service.order_refunded(session, order.id, refunded_total, now)


def hold_for_dispute(_event: Event, *, session: Session, order_id: int, now: datetime, **_payload) -> None:
    """A dispute opened: the commission is held until it closes."""
    service.hold_commission(session, order_id, now)


def release_after_dispute(
    _event: Event, *, session: Session, order_id: int, lost: bool, others_open: bool, now: datetime, **_payload
) -> None:
    """The last open dispute closed: won, the commission goes on; lost (even with others open), it is reversed."""
    if not others_open or lost:
        service.release_commission(session, order_id, now, lost=lost)
