"""A seller's monthly payout statements: commission earned, reversed, paid out, and the balance.

Months are the shop's calendar months (its time zone), turned into naive-UTC bounds for the
queries. Per month:
  * earned: approved commission (what it is worth now, after partial refunds), by approval time;
  * reversed: commission cancelled or refunded in full, by reversal time (for the record);
  * paid out: payouts recorded, by their time;
  * balance: everything earned up to the month's end minus everything paid out by then.
Every query is scoped to one seller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..clock import utc_midnight
from ..orders.models import Order
from .models import CommissionEntry, Payout
from .rules import EARNED

MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Month:
    """One statement line."""

    month: date  # the 1st of the month
    earned: int
    reversed: int
    paid: int
    balance: int

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass(frozen=True)
class Detail:
    """One month's entries and payouts, for the CSV."""

    month: date
    entries: list[tuple[CommissionEntry, str]]  # (entry, order reference)
    payouts: list[Payout]


def parse_month(text: str) -> date | None:
    """'2026-03' -> date(2026, 3, 1); None when malformed."""
    match = MONTH_RE.fullmatch(text or "")
    if match is None or not (1970 <= int(match.group(1)) <= 9998):
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def bounds(month: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The month's [start, end) in naive UTC."""
    return utc_midnight(month, tz), utc_midnight(next_month(month), tz)


def local_month(moment: datetime, tz: tzinfo) -> date:
    """The shop-calendar month of a naive-UTC moment."""
    local = moment.replace(tzinfo=UTC).astimezone(tz)
    return date(local.year, local.month, 1)


def _earned_filter(seller_id: int):
    return and_(
        CommissionEntry.seller_id == seller_id,
        CommissionEntry.status.in_([s.value for s in EARNED]),
        CommissionEntry.approved_at.is_not(None),
    )


def months(session: Session, seller_id: int, tz: tzinfo) -> list[Month]:
    """Every month with activity, newest first."""
    earned_rows = session.execute(
        select(CommissionEntry.approved_at, CommissionEntry.amount).where(_earned_filter(seller_id))
    ).all()
    reversed_rows = session.execute(
        select(CommissionEntry.reversed_at, CommissionEntry.original_amount).where(
            CommissionEntry.seller_id == seller_id,
            CommissionEntry.status == "reversed",
            CommissionEntry.reversed_at.is_not(None),
        )
    ).all()
    paid_rows = session.execute(select(Payout.created_at, Payout.amount).where(Payout.seller_id == seller_id)).all()
    earned: dict[date, int] = {}
    reversed_: dict[date, int] = {}
    paid: dict[date, int] = {}
    for target, rows in ((earned, earned_rows), (reversed_, reversed_rows), (paid, paid_rows)):
        for moment, amount in rows:
            key = local_month(moment, tz)
            target[key] = target.get(key, 0) + int(amount)
    result, balance = [], 0
    for month in sorted(set(earned) | set(reversed_) | set(paid)):
        balance += earned.get(month, 0) - paid.get(month, 0)
        result.append(Month(month, earned.get(month, 0), reversed_.get(month, 0), paid.get(month, 0), balance))
    return list(reversed(result))


def detail(session: Session, seller_id: int, month: date, tz: tzinfo) -> Detail:
    """The month's entries (approved or reversed in it) and payouts, oldest first."""
    start, end = bounds(month, tz)
    approved_in = and_(
        _earned_filter(seller_id), CommissionEntry.approved_at >= start, CommissionEntry.approved_at < end
    )
    reversed_in = and_(
        CommissionEntry.seller_id == seller_id,
        CommissionEntry.status == "reversed",
        CommissionEntry.reversed_at >= start,
        CommissionEntry.reversed_at < end,
    )
    rows = session.execute(
        select(CommissionEntry, Order.reference)
        .join(Order, Order.id == CommissionEntry.order_id)
        .where(approved_in | reversed_in)
        .order_by(func.coalesce(CommissionEntry.approved_at, CommissionEntry.reversed_at), CommissionEntry.id)
    ).all()
    payouts = list(
        session.scalars(
            select(Payout)
            .where(Payout.seller_id == seller_id, Payout.created_at >= start, Payout.created_at < end)
            .order_by(Payout.created_at, Payout.id)
        )
    )
    return Detail(month, [(entry, reference) for entry, reference in rows], payouts)


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The shop-calendar day of a naive-UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(tz).date()
