"""Closing card payment windows by asking the provider, never by the clock alone.

A bank debit can still be processing when the hold's time runs out: releasing its stock then
would tell the shopper "nothing was charged" and sell the goods again. So the background sweep
first asks the provider to expire the page; a page already completed (paid, or processing) is
not released. Like storefront.payments.flows, each database step is its own short transaction
and every provider call happens between them, never while a row is locked. Shopper requests
never come here for housekeeping (service.release_stale_holds asks no one).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ..clock import utcnow
from ..db import write_transaction
from . import flows, holds, service
from .provider import PaymentProvider, ProviderError, SessionState
from .rules import PaymentStatus

log = logging.getLogger(__name__)


def sweep_card_holds(session: Session, provider: PaymentProvider | None, clock: flows.Clock = utcnow) -> int:
    """Close the pages of card orders past their hold and release those Stripe calls over; the count."""
    with write_transaction(session):
        released = service.release_stale_holds(session, clock())
        stale = holds.stale_card_holds(session, clock())
    for order_id, session_ref in stale:
        released += _close_hold(session, provider, order_id, session_ref, clock)
    return released + _recheck_processing(session, provider, clock)


def _recheck_processing(session: Session, provider: PaymentProvider | None, clock: flows.Clock) -> int:
    """Ask about processing payments whose webhook is overdue; apply the answer (the count released)."""
    if provider is None:
        return 0
    with write_transaction(session):
        waiting = holds.processing_to_recheck(session, clock())
    released = 0
    for order_id, session_ref in waiting:
        try:
            outcome = flows.fulfil_checkout(session, provider, session_ref, clock)  # as the webhook would
        except ProviderError:
            continue  # asked again by the next sweep
        if outcome.processing:
            with write_transaction(session):
                holds.mark_asked(session, order_id, clock())
        released += int(outcome.released)
    return released


def _close_hold(
    session: Session, provider: PaymentProvider | None, order_id: int, session_ref: str | None, clock: flows.Clock
) -> int:
    """Expire one stale hold's page at the provider, then apply what it says (1 when released)."""
    if session_ref is None or provider is None:  # no page was ever opened, or no one left to ask
        with write_transaction(session):
            return int(service.release_hold(session, order_id, clock()))
    try:
        page = provider.expire_checkout(session_ref)  # no transaction open: no lock while we wait
    except ProviderError:
        log.warning("hold of order %s kept: the payment service did not say what became of it", order_id)
        return 0  # asked again by the next sweep
    with write_transaction(session):
        outcome = service.apply_checkout(session, page, clock())
    if page.state == SessionState.PROCESSING:
        log.info("hold of order %s kept: its payment is processing", order_id)
    return int(outcome.released)


def pay_now(
    session: Session,
    provider: PaymentProvider,
    order_id: int,
    success_url: str,
    cancel_url: str,
    clock: flows.Clock = utcnow,
    delivery_label: str = "Delivery",
    locale: str = "auto",
) -> flows.PaymentPage | None:
    """The order's payment page: the open one, or a new one if it timed out while the hold has time.

    None when it is over, or when the old page turns out paid or processing (the order page
    then says which). The old page is expired at the provider before a new one is opened, so
    an order never has two pages that could both be paid.
    """
    with write_transaction(session):
        payment = service.payment_of(session, order_id)
        old_ref, closes, status = payment.session_ref, payment.expires_at, payment.status
    if status != PaymentStatus.PENDING:  # processing (or settled): there is nothing left to pay
        return None
    if old_ref is None or closes is None or clock() < closes:
        return flows.start_checkout(
            session, provider, order_id, None, success_url, cancel_url, clock, delivery_label, locale
        )
    page = provider.expire_checkout(old_ref)
    with write_transaction(session):
        now = clock()
        if page.state == SessionState.EXPIRED and holds.reopen_payment(session, order_id, old_ref, now):
            reopen = True
        else:  # paid, processing or over; or another click reopened it already
            outcome = service.apply_checkout(session, page, now)
            current = service.payment_of(session, order_id)
            reopen = current.session_ref != old_ref and current.status == PaymentStatus.PENDING
    if reopen:
        return flows.start_checkout(
            session, provider, order_id, None, success_url, cancel_url, clock, delivery_label, locale
        )
    if outcome.refund_due:
        flows.settle_due_refunds(session, provider, clock)
    return None
