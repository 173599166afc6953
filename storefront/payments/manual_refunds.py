"""Money staff gave back by hand on cash and transfer orders, announced like a card refund.

Cash and transfer orders have no Payment row (nothing was charged online), so their refunds are
recorded here: staff hand the cash back or send a mobile-money transfer, and note its reference.
Each is announced as PAYMENT_REFUNDED with the order's cumulative manual refunds, so the reports
and the seller's commission follow the money exactly as for a card refund.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..core.events import announce
from ..domain import N_, Conflict, Invalid, NotFound
from ..money import format_amount_plain
from ..orders.models import Order
from ..orders.rules import PaymentMethod
from .events import PAYMENT_REFUNDED
from .models import ManualRefund

MANUAL_METHODS = frozenset({PaymentMethod.CASH, PaymentMethod.TRANSFER})


def manual_refunded_total(session: Session, order_id: int) -> int:
    """Money given back by hand on an order so far."""
    stmt = select(func.coalesce(func.sum(ManualRefund.amount), 0)).where(ManualRefund.order_id == order_id)
    return int(session.scalar(stmt))


def manual_refunds_of(session: Session, order_id: int) -> list[ManualRefund]:
    """An order's refunds by hand, oldest first (shown next to card refunds on the admin order page)."""
    stmt = select(ManualRefund).where(ManualRefund.order_id == order_id).order_by(ManualRefund.id)
    return list(session.scalars(stmt))


def find_manual_refund(session: Session, key: str) -> ManualRefund | None:
    """The manual refund recorded under `key`, if any."""
    return session.scalars(select(ManualRefund).where(ManualRefund.idempotency_key == key)).first()


def record_manual_refund(
    session: Session,
    order_id: int,
    amount: int,
    key: str,
    now: datetime,
    user_id: int | None,
    reference: str = "",
) -> ManualRefund:
    """Record money given back by hand, once per key, capped at the order's total; announce it.

    The order row is touched first: that UPDATE's row lock (PostgreSQL) or the write lock
    (SQLite) makes concurrent refunds of one order take turns, so the sum read next is final
    and two refunds at once can never give back more than the order cost.
    """
    existing = find_manual_refund(session, key)
    if existing is not None:
        return existing
    _lock_order(session, order_id, now)
    existing = find_manual_refund(session, key)  # a twin that committed while we waited for the lock
    if existing is not None:
        return existing
    order = session.get(Order, order_id)
    if order.payment_method not in MANUAL_METHODS:
        raise Conflict(N_("Only cash and transfer orders are refunded by hand."))
    so_far = manual_refunded_total(session, order_id)
    _check_amount(amount, order.total - so_far, order.currency)
    refund = ManualRefund(
        order_id=order_id,
        amount=amount,
        currency=order.currency,
        method=order.payment_method,
        reference=reference.strip()[:80],
        idempotency_key=key,
        user_id=user_id,
        created_at=now,
    )
    session.add(refund)
    session.flush()
    total = so_far + amount
    announce(
        session,
        PAYMENT_REFUNDED,
        order=order,
        amount=amount,
        refunded_total=total,
        in_full=total >= order.total,
        now=now,
    )
    return refund


def _lock_order(session: Session, order_id: int, now: datetime) -> None:
    """Touch the order row: refunds of one order then take turns until this transaction ends."""
    locked = session.execute(
        update(Order).where(Order.id == order_id).values(updated_at=now).execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:
        raise NotFound(N_("We could not find that order."))


def _check_amount(amount: int, left: int, currency: str) -> None:
    """A manual refund is positive and at most what is left of the order's total."""
    if amount <= 0:
        raise Invalid(N_("Enter an amount above zero."))
    if left <= 0:
        raise Invalid(N_("This order has already been refunded in full."))
    if amount > left:
        raise Invalid(
            N_("At most %(left)s %(currency)s can still be refunded."),
            left=format_amount_plain(left, currency),
            currency=currency,
        )
