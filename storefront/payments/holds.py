"""Database steps for card holds whose time ran out: which to ask the provider about, and reopening.

Each flushes and never commits; storefront.payments.expiry calls the provider between them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..orders.models import Order
from ..orders.rules import OrderStatus
from .models import Payment
from .rules import PaymentStatus, reopen_deadlines
from .service import payment_of


def stale_card_holds(session: Session, now: datetime, limit: int = 200) -> list[tuple[int, str | None]]:
    """(order id, payment page) of card orders past their hold whose page may still be paid.

    A processing payment is not among them: its stock stays held until the bank answers.
    """
    stmt = (
        select(Order.id, Payment.session_ref)
        .join(Payment, Payment.order_id == Order.id)
        .where(
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Order.hold_expires_at < now,
            Payment.status == PaymentStatus.PENDING,
        )
        .order_by(Order.hold_expires_at)
        .limit(limit)
    )
    return [(order_id, ref) for order_id, ref in session.execute(stmt).all()]


# A bank debit usually settles within days; its webhook may be lost. Ask about it this often.
PROCESSING_RECHECK = timedelta(hours=1)


def processing_to_recheck(session: Session, now: datetime, limit: int = 50) -> list[tuple[int, str]]:
    """(order id, payment page) of processing payments past their hold not heard of for an hour.

    Their async_payment_* webhook settles them; if it never comes, the sweep asks instead, so a
    lost event cannot hold the stock (and leave the shopper's page "processing") for ever.
    """
    stmt = (
        select(Order.id, Payment.session_ref)
        .join(Payment, Payment.order_id == Order.id)
        .where(
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Order.hold_expires_at < now,
            Payment.status == PaymentStatus.PROCESSING,
            Payment.session_ref.is_not(None),
            Payment.updated_at < now - PROCESSING_RECHECK,
        )
        .order_by(Payment.updated_at)
        .limit(limit)
    )
    return [(order_id, ref) for order_id, ref in session.execute(stmt).all()]


def mark_asked(session: Session, order_id: int, now: datetime) -> None:
    """A still-processing payment was asked about now: the next question waits PROCESSING_RECHECK."""
    session.execute(
        update(Payment)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.PROCESSING)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )


def reopen_payment(session: Session, order_id: int, old_ref: str, now: datetime) -> bool:
    """Make way for a new payment page after `old_ref` expired; False when the hold is over.

    The new page must stay open 30 minutes (Stripe's minimum), so the hold moves out with it
    (within rules.MAX_HOLD_MINUTES). Guarded by the old page: of two clicks, one reopens.
    """
    order = session.get(Order, order_id)
    payment = payment_of(session, order_id)
    if order.status != OrderStatus.AWAITING_PAYMENT or payment is None or order.hold_expires_at is None:
        return False
    times = reopen_deadlines(now, order.hold_expires_at, order.created_at)
    if times is None:
        return False
    closes, hold_until = times
    moved = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.session_ref == old_ref, Payment.status == PaymentStatus.PENDING)
        .values(session_ref=None, checkout_url=None, expires_at=closes, reopened=Payment.reopened + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == OrderStatus.AWAITING_PAYMENT)
        .values(hold_expires_at=hold_until, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(payment)
    session.expire(order)
    session.flush()
    return True
