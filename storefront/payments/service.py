"""Payment use-cases on the database only: each flushes, none commits, none talks to the provider.

The provider calls sit between these steps in storefront.payments.flows. Every state change
here is a guarded UPDATE (WHERE the status is still what we read), so the webhook, the
shopper's return and the sweep can all run the same step at once and it happens once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..cart import service as carts
from ..cart.models import Cart
from ..cart.rules import cart_hash
from ..core.events import announce
from ..domain import N_, Conflict, NotFound
from ..inventory.rules import OutOfStock
from ..orders import service as orders
from ..orders.models import Order
from ..orders.rules import OrderEvent, OrderStatus, TransitionRefused
from .events import PAYMENT_FAILED, PAYMENT_REFUNDED, PAYMENT_SUCCEEDED, REFUND_REVERSED
from .models import Payment, ProviderNotification, Refund
from .provider import CheckoutLine, CheckoutRequest, CheckoutSession, ProviderEvent, RefundResult, SessionState
from .rules import (
    ORDER_EVENT_FOR_STATE,
    STATUS_FOR_STATE,
    PaymentStatus,
    RefundStatus,
    came_from,
    check_refund,
    refund_came_from,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What applying the provider's news did."""

    known: bool = True  # False: the page is not one of ours
    paid_now: bool = False  # this call moved the payment to paid
    refund_due: bool = False  # paid, but the goods were gone: the money must go back
    processing: bool = False  # paid by a slow method; the money is on its way, the stock stays held
    mismatch: bool = False  # paid with another amount than the order's: refunded, not fulfilled
    released: bool = False  # this call gave the order's held stock back


def open_payment(
    session: Session, order: Order, method: str, cart_token: str | None, closes_at: datetime, now: datetime
) -> Payment:
    """The pending payment of a just-placed card order (one per order); its page closes at `closes_at`."""
    payment = Payment(
        order_id=order.id,
        provider=method,
        status=PaymentStatus.PENDING,
        amount=order.total,
        currency=order.currency,
        idempotency_key=secrets.token_urlsafe(24),
        cart_hash=cart_hash(cart_token),
        expires_at=closes_at,
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    return payment


def payment_of(session: Session, order_id: int) -> Payment | None:
    """An order's online payment, if it has one."""
    return session.scalars(select(Payment).where(Payment.order_id == order_id)).first()


def checkout_request(
    order: Order,
    payment: Payment,
    success_url: str,
    cancel_url: str,
    delivery_label: str = "Delivery",
    locale: str = "auto",
) -> CheckoutRequest:
    """The payment page's contents, from the order's own lines and prices (never the browser's).

    `delivery_label` names the delivery fee line in the shopper's language (the caller translates),
    and `locale` is that language, for the payment page.
    """
    lines = [_checkout_line(ln) for ln in order.lines]
    # What a discount code took off the delivery fee (free delivery): the rest of the discount is on the lines.
    shipping = order.shipping - (order.discount - sum(ln.discount for ln in order.lines))
    if shipping:
        lines.append(CheckoutLine(delivery_label, shipping, 1))
    return CheckoutRequest(
        order_id=order.id,
        reference=order.reference,
        currency=order.currency,
        lines=tuple(lines),
        email=order.email,
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=payment.expires_at,
        # A page reopened after a timeout is a new page: a new key (the old one would replay the old page).
        idempotency_key=f"checkout-{payment.idempotency_key}" + (f"-{payment.reopened}" if payment.reopened else ""),
        locale=locale,
    )


def _checkout_line(line) -> CheckoutLine:
    """An order line on the payment page at what it costs after its discount (no coupon objects needed).

    A discount that does not divide evenly over the units shows the line as one item "name × n":
    the page's total is then exactly the order's.
    """
    name = line.title + (f" ({line.variant_name})" if line.variant_name else "")
    paid = line.paid_total
    if paid % line.quantity == 0:
        return CheckoutLine(name, paid // line.quantity, line.quantity)
    return CheckoutLine(f"{name} × {line.quantity}", paid, 1)


def record_session(session: Session, payment_id: int, page: CheckoutSession, cart: Cart | None, now: datetime) -> None:
    """Remember the payment page opened for the payment (first writer wins) and empty the cart."""
    session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.session_ref.is_(None))
        .values(session_ref=page.ref, checkout_url=page.url, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cart is not None:
        carts.empty_cart(session, cart)
    session.flush()


def abandon(session: Session, payment_id: int, now: datetime) -> None:
    """The payment page could not be opened: the payment failed and the held stock goes back."""
    payment = session.get(Payment, payment_id)
    if payment is None or not _move_payment(session, payment, PaymentStatus.FAILED, now):
        return
    _order_event(session, payment.order_id, OrderEvent.EXPIRE, now, N_("The payment page could not be opened."))
    announce(
        session, PAYMENT_FAILED, order_id=payment.order_id, payment_id=payment_id, status=PaymentStatus.FAILED, now=now
    )


def claim_notification(session: Session, event: ProviderEvent, provider: str, now: datetime) -> bool:
    """Record a provider event as applied; False when it was already (a redelivery)."""
    values = {
        "id": event.id,
        "provider": provider,
        "type": event.type[:80],
        "session_ref": event.session_ref,
        "received_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ProviderNotification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(ProviderNotification.id)  # no row back when it was already there
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def apply_checkout(session: Session, page: CheckoutSession, now: datetime) -> Outcome:
    """Bring the payment and its order in line with what the provider says about the page."""
    payment = session.scalars(select(Payment).where(Payment.session_ref == page.ref)).first()
    if payment is None:
        return Outcome(known=False)
    new_status = STATUS_FOR_STATE[page.state]
    if new_status == PaymentStatus.PENDING:
        return Outcome()
    if new_status == PaymentStatus.PAID and (page.amount, page.currency) != (payment.amount, payment.currency):
        return _refuse_mismatched(session, payment, page, now)
    if new_status == PaymentStatus.PROCESSING:
        # The order keeps waiting, stock held, until the bank's answer (an async_payment_* event).
        _move_payment(session, payment, new_status, now, payment_ref=page.payment_ref)
        return Outcome(processing=True)
    if not _move_payment(session, payment, new_status, now, payment_ref=page.payment_ref):
        return Outcome()  # already applied (a redelivery, or the other path got here first)
    if new_status != PaymentStatus.PAID:
        released = _order_event(session, payment.order_id, OrderEvent.EXPIRE, now, "")
        announce(session, PAYMENT_FAILED, order_id=payment.order_id, payment_id=payment.id, status=new_status, now=now)
        return Outcome(released=released)
    return _settle_paid_order(session, payment, now)


def _refuse_mismatched(session: Session, payment: Payment, page: CheckoutSession, now: datetime) -> Outcome:
    """Paid, but not the order's amount: never fulfil; the money goes back and the owner sees a flag.

    The payment row then records what was really charged, so the refund gives back exactly that.
    """
    log.error(
        "payment %s: paid %s %s, expected %s %s; refunding",
        payment.id,
        page.amount,
        page.currency,
        payment.amount,
        payment.currency,
    )
    charged = page.amount > 0 and len(page.currency) == 3
    values: dict = {"amount_mismatch": True, "payment_ref": page.payment_ref, "updated_at": now}
    if charged:
        values.update(status=PaymentStatus.PAID, paid_at=now, amount=page.amount, currency=page.currency)
        values.update(refund_due=True)
    else:  # nothing was taken: nothing to give back
        values.update(status=PaymentStatus.FAILED)
    moved = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(came_from(PaymentStatus.PAID)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.expire(payment)
    if moved.rowcount != 1:
        return Outcome(mismatch=True)  # already applied
    note = N_("Paid with another amount than the order's total; refunded automatically.")
    released = _order_event(session, payment.order_id, OrderEvent.EXPIRE, now, note)
    return Outcome(paid_now=charged, refund_due=charged, mismatch=True, released=released)


def _settle_paid_order(session: Session, payment: Payment, now: datetime) -> Outcome:
    """The money arrived: the order goes ahead, or, if its goods are gone, is cancelled and refunded."""
    order = session.get(Order, payment.order_id)
    try:
        with session.begin_nested():  # a late payment may find the stock gone: undo just this
            orders.apply_event(session, order, ORDER_EVENT_FOR_STATE[SessionState.PAID], now)
    except (OutOfStock, TransitionRefused):
        session.refresh(order)
        if order.status == OrderStatus.UNPAID:
            orders.apply_event(session, order, OrderEvent.CANCEL, now, note="Sold out before the payment arrived.")
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(refund_due=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.flush()
        return Outcome(paid_now=True, refund_due=True)
    announce(session, PAYMENT_SUCCEEDED, order=order, now=now, cart_hash=payment.cart_hash)
    return Outcome(paid_now=True)


def _move_payment(
    session: Session, payment: Payment, new: PaymentStatus, now: datetime, payment_ref: str | None = None
) -> bool:
    """One guarded step of the payment's status; False when someone else already took it."""
    values: dict = {"status": new, "updated_at": now}
    if new == PaymentStatus.PAID:
        values.update(paid_at=now, payment_ref=payment_ref)
    elif payment_ref:  # a slow payment's intent: known before the money arrives
        values.update(payment_ref=payment_ref)
    result = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(came_from(new)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.expire(payment)
    return result.rowcount == 1


def _order_event(session: Session, order_id: int, event: OrderEvent, now: datetime, note: str) -> bool:
    """Apply a payment-driven event to the order unless the order has moved on already (then False)."""
    order = session.get(Order, order_id)
    try:
        orders.apply_event(session, order, event, now, note=note)
    except TransitionRefused:  # e.g. the sweep expired it a moment ago
        return False
    return True


# A payment whose hold may be released without asking the provider: none at all (not a card
# order), or one the provider already called over. A card page may have been paid by a slow
# method still processing, which only the provider can tell (see payments.holds).
_KNOWN_OVER = (Payment.id.is_(None)) | Payment.status.in_([PaymentStatus.FAILED, PaymentStatus.EXPIRED])


def _stale_known_over(now: datetime):
    """Orders holding stock past their deadline whose payment is known to be over."""
    return (
        select(Order.id)
        .outerjoin(Payment, Payment.order_id == Order.id)
        .where(Order.status == OrderStatus.AWAITING_PAYMENT, Order.hold_expires_at < now, _KNOWN_OVER)
    )


def release_stale_holds(session: Session, now: datetime, limit: int = 200) -> int:
    """Give back stock held past its deadline by orders whose payment is known to be over.

    Never asks the provider, so it is safe inside a shopper's request (checkout, add to cart);
    card pages that might still be paid are closed by the background sweep (flows.sweep).
    """
    stmt = _stale_known_over(now).order_by(Order.hold_expires_at).limit(limit)
    return sum(release_hold(session, order_id, now) for order_id in session.scalars(stmt).all())


def release_hold(session: Session, order_id: int, now: datetime) -> bool:
    """Expire one order whose hold ran out, unless it moved on or its payment is on its way."""
    order = session.get(Order, order_id)
    if order.status != OrderStatus.AWAITING_PAYMENT or order.hold_expires_at is None or order.hold_expires_at >= now:
        return False
    payment = payment_of(session, order_id)
    if payment is not None and payment.status == PaymentStatus.PROCESSING:
        return False
    pending = payment is not None and payment.status == PaymentStatus.PENDING
    if pending and not _move_payment(session, payment, PaymentStatus.EXPIRED, now):
        return False
    return _order_event(session, order_id, OrderEvent.EXPIRE, now, "The payment window closed.")


def knows_session(session: Session, session_ref: str) -> bool:
    """True when the payment page is one this shop opened (and still tracks)."""
    return session.scalar(select(Payment.id).where(Payment.session_ref == session_ref)) is not None


def begin_refund(
    session: Session, order_id: int, amount: int, key: str, now: datetime, user_id: int | None, reason: str = ""
) -> Refund:
    """Book a refund before asking the provider (same key: the same refund, never a second one)."""
    existing = session.scalars(select(Refund).where(Refund.idempotency_key == key)).first()
    if existing is not None:
        return existing
    payment = payment_of(session, order_id)
    if payment is None or payment.status != PaymentStatus.PAID:
        raise Conflict(N_("Only an order paid online can be refunded here."))
    check_refund(amount, payment.amount, payment.amount_refunded, payment.currency)
    booked = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.amount_refunded + amount <= Payment.amount)
        .values(amount_refunded=Payment.amount_refunded + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if booked.rowcount != 1:
        raise Conflict(N_("Another refund was made meanwhile; reload the page and check the amount."))
    refund = Refund(
        payment_id=payment.id,
        order_id=order_id,
        amount=amount,
        idempotency_key=key,
        status=RefundStatus.PENDING,
        reason=reason[:200],
        user_id=user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    session.flush()
    return refund


def finish_refund(session: Session, refund_id: int, result: RefundResult | None, error: str, now: datetime) -> Refund:
    """The provider's answer: accepted (result, maybe still pending) or refused (error); applied once."""
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound(N_("That refund does not exist."))
    if result is not None and refund.provider_ref is None:
        session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.provider_ref.is_(None))
            .values(provider_ref=result.ref, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    status = RefundStatus(result.status) if result is not None else RefundStatus.FAILED
    if status != RefundStatus.PENDING:  # a refund Stripe reports pending is not money back yet
        move_refund(session, refund, status, now, error)
    session.flush()
    session.expire(refund)
    return refund


def move_refund(session: Session, refund: Refund, new: RefundStatus, now: datetime, error: str = "") -> bool:
    """One guarded step of a refund's status, with what it means for the payment, reports and commission.

    Succeeded: the money is back (reports, seller commission). Failed: the booked amount is
    owed to the shopper again (it can be refunded anew). False when already applied.
    """
    old = session.scalar(select(Refund.status).where(Refund.id == refund.id))
    moved = session.execute(
        update(Refund)
        .where(Refund.id == refund.id, Refund.status == old, Refund.status.in_(refund_came_from(new)))
        .values(status=new, updated_at=now, error=error[:300])
        .execution_options(synchronize_session=False)
    )
    session.expire(refund)
    if moved.rowcount != 1:
        return False
    if new == RefundStatus.FAILED:  # give the booked amount back: it was never (or no longer) refunded
        session.execute(
            update(Payment)
            .where(Payment.id == refund.payment_id)
            .values(amount_refunded=Payment.amount_refunded - refund.amount, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if old == RefundStatus.SUCCEEDED:  # it was counted as money back: take it out of the reports again
            order = session.get(Order, refund.order_id)
            announce(session, REFUND_REVERSED, order=order, refund_id=refund.id, amount=refund.amount, now=now)
    else:
        order = session.get(Order, refund.order_id)
        so_far, paid = _refunded_and_paid(session, refund.payment_id, order.id)
        announce(
            session,
            PAYMENT_REFUNDED,
            order=order,
            amount=refund.amount,
            refunded_total=so_far,
            in_full=so_far >= paid,
            now=now,
        )
    session.flush()
    return True


def _refunded_and_paid(session: Session, payment_id: int, order_id: int) -> tuple[int, int]:
    """The order's refunds so far and what its payment took, in one query."""
    so_far = (
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.order_id == order_id, Refund.status == RefundStatus.SUCCEEDED)
        .scalar_subquery()
    )
    row = session.execute(select(so_far, Payment.amount).where(Payment.id == payment_id)).one()
    return int(row[0]), int(row[1])


def refund_due_payments(session: Session) -> list[Payment]:
    """Payments the shop owes back in full (paid after their goods sold out) not yet refunded."""
    stmt = select(Payment).where(Payment.refund_due.is_(True), Payment.amount_refunded < Payment.amount)
    return list(session.scalars(stmt))


def pending_refunds(session: Session) -> list[Refund]:
    """Refunds asked for whose answer never came (to retry with their own key).

    A pending refund with a provider id was accepted and is in progress: its outcome comes by
    webhook (refund.updated), never by asking again.
    """
    stmt = select(Refund).where(Refund.status == RefundStatus.PENDING, Refund.provider_ref.is_(None))
    return list(session.scalars(stmt.order_by(Refund.id)))


def refunded_total(session: Session, order_id: int) -> int:
    """Money given back on an order so far."""
    stmt = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.order_id == order_id, Refund.status == RefundStatus.SUCCEEDED
    )
    return int(session.scalar(stmt))
