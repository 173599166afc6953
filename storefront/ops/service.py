"""Reconciliation queries: read the live database in one read-only snapshot and hand rows to ops.rules.

`reconcile(session, now)` returns {check name: CheckResult}. It writes nothing: run it on a live
shop at any time (bench/faults.py runs it after each fault). On PostgreSQL it runs in one
REPEATABLE READ transaction, so every check sees the same instant even while orders come in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from ..catalog.models import Variant
from ..inventory.models import StockMovement
from ..jobs.models import Job
from ..jobs.service import LATE_AFTER_SECONDS
from ..orders.models import Order, OrderStatusChange
from ..payments.models import Payment
from ..sellers.models import CommissionEntry
from . import rules
from .rules import CheckResult, CommissionRow, JobRow, OrderPayment, VariantStock

CHECKS = ("stock_ledger", "payments", "paid_once", "jobs", "commissions")


def variant_stock(session: Session) -> list[VariantStock]:
    """Every variant's on_hand, the sum of its ledger and the on_hand_after of its last movement."""
    sums = (
        select(
            StockMovement.variant_id,
            func.coalesce(func.sum(StockMovement.delta), 0).label("ledger_sum"),
            func.max(StockMovement.id).label("last_id"),
        )
        .group_by(StockMovement.variant_id)
        .subquery()
    )
    last = StockMovement.__table__.alias("last_movement")
    rows = session.execute(
        select(Variant.id, Variant.sku, Variant.on_hand, sums.c.ledger_sum, last.c.on_hand_after)
        .outerjoin(sums, sums.c.variant_id == Variant.id)
        .outerjoin(last, last.c.id == sums.c.last_id)
        .order_by(Variant.id)
    )
    return [VariantStock(r.id, r.sku, r.on_hand, int(r.ledger_sum or 0), r.on_hand_after) for r in rows]


def order_payments(session: Session) -> list[OrderPayment]:
    """Every order that has a payment row or was ever marked paid, with both facts."""
    pays = (
        select(OrderStatusChange.order_id, func.count().label("n"))
        .where(OrderStatusChange.event == rules.PAY_EVENT)
        .group_by(OrderStatusChange.order_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Order.id,
            Order.reference,
            Order.status,
            func.coalesce(pays.c.n, 0).label("pay_events"),
            Payment.status.label("payment_status"),
            Payment.amount,
            Payment.amount_refunded,
            Payment.refund_due,
        )
        .outerjoin(pays, pays.c.order_id == Order.id)
        .outerjoin(Payment, Payment.order_id == Order.id)
        .where((pays.c.n > 0) | (Payment.id.is_not(None)))
        .order_by(Order.id)
    )
    return [
        OrderPayment(
            r.id,
            r.reference,
            r.status,
            int(r.pay_events),
            r.payment_status,
            int(r.amount or 0),
            int(r.amount_refunded or 0),
            bool(r.refund_due),
        )
        for r in rows
    ]


def jobs(session: Session) -> list[JobRow]:
    """Every job still in the table (finished ones are purged after JOBS_KEEP_DAYS)."""
    rows = session.execute(
        select(
            Job.id,
            Job.name,
            Job.key,
            Job.status,
            Job.attempts,
            Job.max_attempts,
            Job.run_at,
            Job.locked_until,
            Job.last_error,
        ).order_by(Job.id)
    )
    return [JobRow(*r) for r in rows]


def commissions(session: Session) -> list[CommissionRow]:
    """Every commission entry with its order's status."""
    rows = session.execute(
        select(CommissionEntry.id, CommissionEntry.order_id, CommissionEntry.status, Order.status)
        .join(Order, Order.id == CommissionEntry.order_id)
        .order_by(CommissionEntry.id)
    )
    return [CommissionRow(*r) for r in rows]


def reconcile(session: Session, now: datetime) -> dict[str, CheckResult]:
    """Run every check on one snapshot of the database; writes nothing (the caller rolls back)."""
    plain = session() if isinstance(session, scoped_session) else session
    if plain.get_bind().dialect.name == "postgresql" and not plain.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})  # one snapshot for all checks
    paid = order_payments(session)
    return {
        "stock_ledger": CheckResult(rules.stock_problems(variant_stock(session))),
        "payments": CheckResult(rules.payment_problems(paid)),
        "paid_once": CheckResult(rules.double_payment_problems(paid)),
        "jobs": CheckResult(rules.job_problems(jobs(session), now, LATE_AFTER_SECONDS)),
        "commissions": CheckResult(rules.commission_problems(commissions(session))),
    }
