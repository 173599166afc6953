"""Transfer use-cases: the owner's methods, a transfer order's payment, received, and the hold sweep.

Each function flushes and never commits (the view or the CLI command commits). The order's
status only ever moves through orders.service.apply_event, so the stock ledger and seller
commissions follow the lifecycle table as for every other order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.events import announce
from ..domain import N_, Conflict, NotFound
from ..orders import service as orders
from ..orders.models import Order
from ..orders.rules import OrderEvent, OrderStatus, TransitionRefused
from .events import PAYMENT_SUCCEEDED
from .transfer_models import TransferMethod, TransferPayment
from .transfer_rules import TransferMethodValues, accepts, normalise_transaction_id

# A transfer may be received while its order waits for it, or late, after the hold ran out or
# staff rejected it: then the stock is taken again if it is still there (OutOfStock otherwise).
RECEIVABLE = frozenset({OrderStatus.AWAITING_TRANSFER, OrderStatus.UNPAID})


def all_methods(session: Session) -> list[TransferMethod]:
    """Every transfer method, switched-off ones included, oldest first (the admin list)."""
    return list(session.scalars(select(TransferMethod).order_by(TransferMethod.id)))


def methods_for(session: Session, currency: str) -> list[TransferMethod]:
    """The switched-on methods that take `currency` (what checkout offers)."""
    active = session.scalars(select(TransferMethod).where(TransferMethod.active.is_(True)).order_by(TransferMethod.id))
    return [method for method in active if accepts(method.currencies, currency)]


def method_for_checkout(session: Session, method_id: int, currency: str) -> TransferMethod:
    """A method the shopper may choose now, or Conflict (switched off or not for this currency)."""
    method = session.get(TransferMethod, method_id)
    if method is None or not method.active or not accepts(method.currencies, currency):
        raise Conflict(N_("That way to pay is no longer offered. Please choose another."))
    return method


def save_method(
    session: Session, method: TransferMethod | None, values: TransferMethodValues, now: datetime
) -> TransferMethod:
    """Create a method (`method` None) or update one with the owner's validated values."""
    if method is None:
        method = TransferMethod(created_at=now)
        session.add(method)
    method.name, method.account, method.instructions = values.name, values.account, values.instructions
    method.currencies, method.hold_hours, method.active = ",".join(values.currencies), values.hold_hours, values.active
    method.updated_at = now
    session.flush()
    return method


def open_transfer(session: Session, order: Order, method: TransferMethod, now: datetime) -> TransferPayment:
    """The payment of a just-placed transfer order, with the method's words as they read now."""
    payment = TransferPayment(
        order_id=order.id,
        method_id=method.id,
        method_name=method.name,
        account=method.account,
        instructions=method.instructions,
        amount=order.total,
        currency=order.currency,
        created_at=now,
    )
    session.add(payment)
    session.flush()
    return payment


def transfer_of(session: Session, order_id: int) -> TransferPayment | None:
    """An order's transfer payment, if it is paid by transfer."""
    return session.scalars(select(TransferPayment).where(TransferPayment.order_id == order_id)).first()


def claim_transaction(session: Session, order: Order, raw_id: str, now: datetime) -> TransferPayment:
    """Note the transaction id the shopper says they paid with: a hint for staff, never proof."""
    transfer = transfer_of(session, order.id)
    if transfer is None:
        raise NotFound(N_("This order is not paid by transfer."))
    if order.status != OrderStatus.AWAITING_TRANSFER:
        raise Conflict(N_("This order is not waiting for a transfer."))
    transfer.claimed_id, transfer.claimed_at = normalise_transaction_id(raw_id), now
    session.flush()
    return transfer


def receive_transfer(session: Session, order: Order, raw_id: str, user_id: int | None, now: datetime) -> Order:
    """Staff saw the money: record its transaction id (once, whatever the method) and move the order on.

    The id is written first, under the unique constraint, so two people marking two orders
    received with the same id at once end with one received order and one Conflict; the
    order's step is the guarded apply_event, so one order is never received twice either.
    """
    transaction_id = normalise_transaction_id(raw_id)
    transfer = transfer_of(session, order.id)
    if transfer is None:
        raise NotFound(N_("This order is not paid by transfer."))
    if order.status not in RECEIVABLE:
        raise TransitionRefused(N_("This order is not waiting for a transfer."))
    _check_unused(session, transfer, transaction_id)
    try:
        with session.begin_nested():
            transfer.transaction_id, transfer.received_at, transfer.received_by = transaction_id, now, user_id
            session.flush()
    except IntegrityError as exc:  # another order took this id a moment ago (the race the check missed)
        session.refresh(transfer)
        raise _already_used(transaction_id) from exc
    orders.apply_event(session, order, OrderEvent.RECEIVE, now, user_id=user_id, note=transaction_id)
    announce(session, PAYMENT_SUCCEEDED, order=order, now=now, cart_hash=None)  # a transfer is a sale once received
    return order


def _check_unused(session: Session, transfer: TransferPayment, transaction_id: str) -> None:
    """Conflict naming the order that already has this transaction id.

    Whatever the method: the owner may have two methods paying into one account (or a method
    re-created after switching the old one off), and one transfer must still pay one order.
    """
    stmt = (
        select(Order.reference)
        .join(TransferPayment, TransferPayment.order_id == Order.id)
        .where(TransferPayment.transaction_id == transaction_id, TransferPayment.id != transfer.id)
    )
    other = session.scalar(stmt)
    if other is not None:
        raise _already_used(transaction_id, other)


def _already_used(transaction_id: str, reference: str | None = None) -> Conflict:
    """The refusal for a transaction id that already marked an order received."""
    if reference:
        return Conflict(
            N_("Transaction %(id)s already paid order %(ref)s. Check the id in your account."),
            id=transaction_id,
            ref=reference,
        )
    return Conflict(
        N_("Transaction %(id)s already paid another order. Check the id in your account."), id=transaction_id
    )


def release_expired_transfers(session: Session, now: datetime, limit: int = 200) -> int:
    """Give back the stock of transfer orders whose hold ran out unpaid; run by the sweep only.

    Each order goes through apply_event's guarded step, so staff marking it received at the
    same moment win or lose cleanly: a received order is never released.
    """
    stmt = (
        select(Order.id)
        .where(Order.status == OrderStatus.AWAITING_TRANSFER, Order.hold_expires_at < now)
        .order_by(Order.hold_expires_at)
        .limit(limit)
    )
    released = 0
    for order_id in session.scalars(stmt).all():
        order = session.get(Order, order_id)
        try:
            orders.apply_event(session, order, OrderEvent.EXPIRE, now, note="No transfer arrived in time.")
            released += 1
        except TransitionRefused:
            continue
    return released
