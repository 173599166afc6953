"""Payment use-cases that talk to the provider: database steps with network calls between them.

These are the one exception to "the view commits once": each database step runs in its own
short write_transaction and commits before the provider is called, because no row lock may be
held across a network call (a slow Stripe would otherwise stall every checkout, and on SQLite
every writer). Each step is safe to repeat: guarded UPDATEs and idempotency keys make the
webhook, the shopper's return, the sweep and any retry land on the same single outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, scoped_session

from ..cart.models import Cart
from ..clock import utcnow
from ..db import write_transaction
from ..orders import service as orders
from ..orders.models import Order
from ..orders.rules import OrderEvent
from . import expiry, service
from .models import Payment, Refund
from .provider import PaymentProvider, ProviderError, ProviderEvent, ProviderUnreachable
from .rules import PaymentStatus, RefundStatus

log = logging.getLogger(__name__)
SOLD_OUT_NOTE = "Sold out before the payment arrived."
MISMATCH_NOTE = "Paid with another amount than the order's total."
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PaymentPage:
    """Where to send the shopper to pay."""

    url: str


def start_checkout(
    session: Session,
    provider: PaymentProvider,
    order_id: int,
    cart_id: int | None,
    success_url: str,
    cancel_url: str,
    clock: Clock = utcnow,
    delivery_label: str = "Delivery",
    locale: str = "auto",
) -> PaymentPage:
    """Open (or reopen) the payment page of a placed card order; the cart empties once it is open.

    Raises ProviderError after giving the held stock back, so the shopper, whose cart is
    untouched, can try again or choose cash.
    """
    with write_transaction(session):
        order = session.get(Order, order_id)
        payment = service.payment_of(session, order_id)
        if payment.checkout_url:  # a double click, or the other tab got here first
            return PaymentPage(payment.checkout_url)
        request = service.checkout_request(order, payment, success_url, cancel_url, delivery_label, locale)
        payment_id = payment.id
    try:
        page = provider.start(request)  # the same key: the same page, however often we ask
    except ProviderError:
        with write_transaction(session):
            service.abandon(session, payment_id, clock())
        raise
    with write_transaction(session):
        cart = session.get(Cart, cart_id) if cart_id is not None else None
        service.record_session(session, payment_id, page, cart, clock())
        url = service.payment_of(session, order_id).checkout_url
    return PaymentPage(url or page.url)


def fulfil_checkout(
    session: Session,
    provider: PaymentProvider,
    session_ref: str,
    clock: Clock = utcnow,
    notification: ProviderEvent | None = None,
) -> service.Outcome:
    """Apply what the provider says about a payment page, any number of times, concurrently.

    Called by the webhook (with its `notification`, recorded so a redelivery is recognised),
    by the shopper's return from the payment page, and by the sweep. A payment that arrives
    after its goods sold out is refunded here and now (or by the next sweep if that fails).
    """
    page = provider.get_checkout(session_ref)  # before any transaction: no lock while we wait
    with write_transaction(session):
        if notification is not None and not service.claim_notification(session, notification, provider.method, clock()):
            return service.Outcome()
        outcome = service.apply_checkout(session, page, clock())
    if outcome.refund_due:
        settle_due_refunds(session, provider, clock)
    return outcome


def refund(
    session: Session,
    provider: PaymentProvider,
    order_id: int,
    amount: int,
    key: str,
    user_id: int | None,
    reason: str = "",
    clock: Clock = utcnow,
) -> Refund:
    """Refund part or all of an order's payment, once per key, and return the refund row.

    The amount is booked first (so concurrent refunds cannot exceed the payment), then asked
    of the provider with the same key every time; an unanswered request stays pending and is
    retried by the sweep, a refused one gives its amount back.
    """
    with write_transaction(session):
        booked = service.begin_refund(session, order_id, amount, key, clock(), user_id, reason)
        refund_id, status = booked.id, booked.status
        payment = service.payment_of(session, order_id)
        payment_ref, currency = payment.payment_ref, payment.currency
    if status != RefundStatus.PENDING:
        return _reload(session, refund_id)
    return _ask_refund(session, provider, refund_id, payment_ref, currency, amount, key, clock)


def _ask_refund(
    session: Session,
    provider: PaymentProvider,
    refund_id: int,
    payment_ref: str,
    currency: str,
    amount: int,
    key: str,
    clock: Clock,
) -> Refund:
    """Ask the provider for a booked refund and record its answer (pending if none came)."""
    plain = session() if isinstance(session, scoped_session) else session
    if plain.in_transaction():  # a read left open (the last refund's reload): in a POST, SQLite's write lock
        plain.commit()
    try:
        # In the payment's currency, not the shop's: a mismatched page (or an order placed before
        # SHOP_CURRENCY changed) was charged in another, whose provider units may differ (ISK).
        result = provider.refund(payment_ref, amount, key, currency)
    except ProviderUnreachable:
        log.warning("refund %s unanswered; it stays pending and the sweep retries it", refund_id)
        return _reload(session, refund_id)  # outcome unknown: retried later with the same key
    except ProviderError as err:
        with write_transaction(session):
            service.finish_refund(session, refund_id, None, err.message, clock())
        raise
    with write_transaction(session):
        service.finish_refund(session, refund_id, result, "", clock())
    return _reload(session, refund_id)


def _reload(session: Session, refund_id: int) -> Refund:
    """The refund row as it is now (in a fresh read)."""
    return session.get(Refund, refund_id)


def settle_due_refunds(session: Session, provider: PaymentProvider, clock: Clock = utcnow) -> int:
    """Refund in full what the shop owes (late payments for sold-out goods); retry pending refunds."""
    settled = 0
    with write_transaction(session):
        owed = [
            (p.order_id, p.amount - p.amount_refunded, p.idempotency_key, p.amount_mismatch)
            for p in service.refund_due_payments(session)
        ]
        pending = [
            (r.id, r.amount, r.idempotency_key, r.payment.payment_ref, r.payment.currency)
            for r in service.pending_refunds(session)
        ]
    for order_id, amount, key, mismatch in owed:
        why, prefix = (MISMATCH_NOTE, "mismatch") if mismatch else (SOLD_OUT_NOTE, "sold-out")
        try:
            done = refund(session, provider, order_id, amount, f"{prefix}-{key}", None, why, clock)
            settled += done.status == RefundStatus.SUCCEEDED
        except ProviderError:
            log.warning("automatic refund of order %s was refused", order_id, exc_info=True)
    for refund_id, amount, key, payment_ref, currency in pending:
        try:
            done = _ask_refund(session, provider, refund_id, payment_ref, currency, amount, key, clock)
            settled += done.status == RefundStatus.SUCCEEDED
        except ProviderError:
            log.warning("refund %s was refused", refund_id, exc_info=True)
    return settled


def sweep(session: Session, provider: PaymentProvider | None, clock: Clock = utcnow) -> tuple[int, int]:
    """Close holds past their deadline (asking the provider first); then settle refunds owed.

    Returns (released, refunded). Only the background command runs this: it calls the provider.
    """
    released = expiry.sweep_card_holds(session, provider, clock)
    refunded = settle_due_refunds(session, provider, clock) if provider is not None else 0
    return released, refunded


CANCEL_NOTE = "Order cancelled."


def cancel_order(
    session: Session,
    provider: PaymentProvider | None,
    order_id: int,
    user_id: int | None,
    note: str = "",
    refund_payment: bool = True,
    clock: Clock = utcnow,
) -> Refund | None:
    """Cancel an order and, when it was paid online and `refund_payment`, refund what is left of it.

    The cancel and the booked refund commit together (so a crash between them leaves a pending
    refund the sweep retries, never a cancelled order that silently kept the money); the
    provider is asked after that commit, with a key of the payment's own, so it refunds once.
    Returns the refund (None when nothing was refunded); ProviderError if the provider refused.
    """
    with write_transaction(session):
        order = session.get(Order, order_id)
        orders.apply_event(session, order, OrderEvent.CANCEL, clock(), user_id=user_id, note=note)
        payment = service.payment_of(session, order_id)
        if not refund_payment or not refundable(payment) or provider is None or not provider.online:
            return None
        booked = service.begin_refund(
            session,
            order_id,
            payment.amount - payment.amount_refunded,
            f"cancel-{payment.idempotency_key}",
            clock(),
            user_id,
            CANCEL_NOTE,
        )
        refund_id, amount, key = booked.id, booked.amount, booked.idempotency_key
        payment_ref, currency = payment.payment_ref, payment.currency
    return _ask_refund(session, provider, refund_id, payment_ref, currency, amount, key, clock)


def refundable(payment: Payment | None) -> bool:
    """True when an online payment was received and not all of it is refunded (or being refunded)."""
    return payment is not None and payment.status == PaymentStatus.PAID and payment.amount_refunded < payment.amount
