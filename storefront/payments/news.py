"""What the provider reports about money after checkout: refunds (the shop's own or made in its
dashboard) and disputes. Each step flushes and never commits (the webhook view owns the
transaction), and each is safe to repeat: a refund is one row per provider id, a dispute one row
per dispute id, and every status change is a guarded UPDATE.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..core.events import announce
from . import service
from .events import DISPUTE_CLOSED, PAYMENT_DISPUTED
from .models import Dispute, Payment, Refund
from .provider import DisputeNews, ProviderEvent, RefundNews
from .rules import RefundStatus

log = logging.getLogger(__name__)
# A dispute closed with this status took the money back through the shopper's bank.
DISPUTE_LOST = "lost"


def apply_refund_news(session: Session, news: RefundNews, now: datetime) -> Refund | None:
    """Record a refund the provider reports, once per provider id, and move it to its reported status."""
    payment = _payment_by_ref(session, news.payment_ref)
    if payment is None or not news.ref or news.amount <= 0:
        log.warning("refund %s is for a payment this shop does not know (%s)", news.ref, news.payment_ref)
        return None
    refund = _known_refund(session, news)
    if refund is None:
        refund = _record_outside_refund(session, payment, news, now)
        if refund is None:
            return None
    if news.status != RefundStatus.PENDING:
        service.move_refund(session, refund, RefundStatus(news.status), now, news.failure)
    session.flush()
    return refund


def _known_refund(session: Session, news: RefundNews) -> Refund | None:
    """The shop's row for this refund: by provider id, or by the shop's key when the answer is not in yet."""
    refund = session.scalars(select(Refund).where(Refund.provider_ref == news.ref)).first()
    if refund is not None or not news.shop_key:
        return refund
    session.execute(
        update(Refund)
        .where(Refund.idempotency_key == news.shop_key, Refund.provider_ref.is_(None))
        .values(provider_ref=news.ref)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(select(Refund).where(Refund.provider_ref == news.ref)).first()


def _record_outside_refund(session: Session, payment: Payment, news: RefundNews, now: datetime) -> Refund | None:
    """A refund made in the provider's dashboard: a pending row (booked on the payment) once per id."""
    values = {
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "amount": news.amount,
        "status": RefundStatus.PENDING,
        "idempotency_key": f"provider-{news.ref}"[:100],
        "provider_ref": news.ref,
        "reason": "",
        "error": "",
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Refund).values(**values).on_conflict_do_nothing().returning(Refund.id)
    refund_id = session.execute(stmt).scalar_one_or_none()
    if refund_id is None:  # a concurrent delivery recorded it first
        return session.scalars(select(Refund).where(Refund.provider_ref == news.ref)).first()
    # Booked like the shop's own refunds, so the refund form offers only what is left; capped at
    # the payment because the provider, not this row, decides what was really refunded.
    booked = Payment.amount_refunded + news.amount
    session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(amount_refunded=case((booked > Payment.amount, Payment.amount), else_=booked), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return session.get(Refund, refund_id)


def apply_dispute_news(session: Session, news: DisputeNews, now: datetime) -> Dispute | None:
    """Record a dispute (once per id) and announce it opened or closed (the seller's commission follows)."""
    payment = _payment_by_ref(session, news.payment_ref)
    if payment is None or not news.ref:
        log.warning("dispute %s is for a payment this shop does not know (%s)", news.ref, news.payment_ref)
        return None
    values = {
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "provider_ref": news.ref,
        "amount": max(news.amount, 0),
        "currency": news.currency or payment.currency,
        "reason": news.reason,
        "status": news.status,
        "opened_at": news.opened_at or now,
        "closed_at": now if news.closed else None,
        "updated_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Dispute).values(**values).on_conflict_do_nothing().returning(Dispute.id)
    dispute_id = session.execute(stmt).scalar_one_or_none()
    created = dispute_id is not None
    if created and not news.closed:
        announce(session, PAYMENT_DISPUTED, order_id=payment.order_id, dispute_id=dispute_id, now=now)
    elif created:  # heard of only when it closed (the "created" event is late or lost)
        _announce_closed(session, payment.order_id, news, now)
    else:
        _update_dispute(session, payment.order_id, news, now)
    session.flush()
    return session.scalars(select(Dispute).where(Dispute.provider_ref == news.ref)).first()


def _update_dispute(session: Session, order_id: int, news: DisputeNews, now: datetime) -> None:
    """A dispute already recorded: a new status while open; closing it once (a late "created" changes nothing)."""
    values: dict = {"status": news.status, "reason": news.reason, "updated_at": now}
    if news.closed:
        values["closed_at"] = now
    moved = session.execute(
        update(Dispute)
        .where(Dispute.provider_ref == news.ref, Dispute.closed_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 1 and news.closed:
        _announce_closed(session, order_id, news, now)


def _announce_closed(session: Session, order_id: int, news: DisputeNews, now: datetime) -> None:
    """A dispute closed: say whether it was lost and whether another one on the order is still open."""
    still_open = session.scalar(
        select(Dispute.id).where(Dispute.order_id == order_id, Dispute.closed_at.is_(None)).limit(1)
    )
    lost = news.status == DISPUTE_LOST
    announce(session, DISPUTE_CLOSED, order_id=order_id, lost=lost, others_open=still_open is not None, now=now)


def _payment_by_ref(session: Session, payment_ref: str) -> Payment | None:
    """The payment a provider charge belongs to."""
    if not payment_ref:
        return None
    return session.scalars(select(Payment).where(Payment.payment_ref == payment_ref)).first()


def open_disputes(session: Session, limit: int = 20) -> list[Dispute]:
    """Disputes not yet closed, oldest first (the owner's dashboard)."""
    stmt = select(Dispute).where(Dispute.closed_at.is_(None)).order_by(Dispute.opened_at, Dispute.id).limit(limit)
    return list(session.scalars(stmt))


def apply_money_news(session: Session, event: ProviderEvent, provider: str, now: datetime) -> bool:
    """Apply a refund or dispute notification once (its id recorded); False for a redelivery."""
    if not service.claim_notification(session, event, provider, now):
        return False
    for refund in event.refunds:
        apply_refund_news(session, refund, now)
    if event.dispute is not None:
        apply_dispute_news(session, event.dispute, now)
    return True
