"""Read models for sellers: the seller's own dashboard and the owner's list (with its CSV rows).

"Orders" and "revenue" count credited orders whose commission is not reversed; revenue is the
commission base (line totals, no shipping) less refunds. The owner's ranking (`ranking`) counts
the same figures over a period of shop days (`parse_period`): clicks made and orders credited in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from ..analytics.rollup_rules import day_bounds
from ..domain import N_, DomainError
from ..orders.models import Order, OrderLine
from .models import CommissionEntry, Payout, Seller, SellerClick
from .rules import EntryStatus

LIVE = (EntryStatus.PENDING, EntryStatus.APPROVED, EntryStatus.PAID)


@dataclass
class SellerFigures:
    """One seller's numbers (all money in minor units)."""

    seller: Seller
    clicks: int = 0
    clicks_30d: int = 0
    orders: int = 0
    revenue: int = 0
    pending: int = 0
    approved: int = 0  # approved, not yet paid out (Seller.owed; negative when refunds were clawed back)
    paid: int = 0


@dataclass(frozen=True)
class TopProduct:
    """A product the seller sold: units and revenue from their credited orders."""

    slug: str
    title: str
    units: int
    revenue: int


@dataclass
class Dashboard:
    """What the seller sees at /seller."""

    figures: SellerFigures
    top_products: list[TopProduct] = field(default_factory=list)
    entries: list[tuple[CommissionEntry, str]] = field(default_factory=list)  # entry, order reference
    payouts: list[Payout] = field(default_factory=list)


def _figures(session: Session, sellers: list[Seller], now: datetime) -> list[SellerFigures]:
    """Figures for many sellers with four grouped queries (no query per seller)."""
    ids = [s.id for s in sellers]
    since = now - timedelta(days=30)
    clicks = {
        sid: (total, recent)
        for sid, total, recent in session.execute(
            select(
                SellerClick.seller_id,
                func.count(SellerClick.id),
                func.count(case((SellerClick.created_at >= since, SellerClick.id))),
            )
            .where(SellerClick.seller_id.in_(ids))
            .group_by(SellerClick.seller_id)
        )
    }
    live = CommissionEntry.status.in_([s.value for s in LIVE])
    ledger = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                CommissionEntry.seller_id,
                func.count(case((live, CommissionEntry.id))),
                func.coalesce(func.sum(case((live, CommissionEntry.base - CommissionEntry.refunded), else_=0)), 0),
                func.coalesce(
                    func.sum(case((CommissionEntry.status == EntryStatus.PENDING, CommissionEntry.amount), else_=0)), 0
                ),
            )
            .where(CommissionEntry.seller_id.in_(ids))
            .group_by(CommissionEntry.seller_id)
        )
    }
    paid = {
        sid: total
        for sid, total in session.execute(
            select(Payout.seller_id, func.sum(Payout.amount))
            .where(Payout.seller_id.in_(ids))
            .group_by(Payout.seller_id)
        )
    }
    result = []
    for seller in sellers:
        total_clicks, recent_clicks = clicks.get(seller.id, (0, 0))
        orders, revenue, pending = ledger.get(seller.id, (0, 0, 0))
        result.append(
            SellerFigures(
                seller=seller,
                clicks=int(total_clicks),
                clicks_30d=int(recent_clicks),
                orders=int(orders),
                revenue=int(revenue),
                pending=int(pending),
                approved=int(seller.owed),
                paid=int(paid.get(seller.id, 0) or 0),
            )
        )
    return result


def owner_list(session: Session, now: datetime) -> list[SellerFigures]:
    """Every seller with clicks, orders, revenue and commission, active ones first."""
    sellers = list(
        session.scalars(select(Seller).options(selectinload(Seller.user)).order_by(Seller.active.desc(), Seller.code))
    )
    return _figures(session, sellers, now)


def dashboard(session: Session, seller: Seller, now: datetime, recent: int = 20) -> Dashboard:
    """The seller's own figures, best products, latest commissions and payouts."""
    (figures,) = _figures(session, [seller], now)
    live = CommissionEntry.status.in_([s.value for s in LIVE])
    top = [
        TopProduct(slug, title, int(units), int(revenue))
        for slug, title, units, revenue in session.execute(
            select(
                OrderLine.product_slug,
                func.min(OrderLine.title),
                func.sum(OrderLine.quantity),
                func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount),  # discounted
            )
            .join(CommissionEntry, CommissionEntry.order_id == OrderLine.order_id)
            .where(CommissionEntry.seller_id == seller.id, live)
            .group_by(OrderLine.product_slug)
            .order_by(
                func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount).desc(), OrderLine.product_slug
            )
            .limit(5)
        )
    ]
    entries = [
        (entry, reference)
        for entry, reference in session.execute(
            select(CommissionEntry, Order.reference)
            .join(Order, Order.id == CommissionEntry.order_id)
            .where(CommissionEntry.seller_id == seller.id)
            .order_by(CommissionEntry.created_at.desc(), CommissionEntry.id.desc())
            .limit(recent)
        )
    ]
    payouts = list(
        session.scalars(
            select(Payout).where(Payout.seller_id == seller.id).order_by(Payout.created_at.desc()).limit(recent)
        )
    )
    return Dashboard(figures, top, entries, payouts)


CSV_HEADER = (
    "code",
    "name",
    "email",
    "active",
    "commission_percent",
    "clicks",
    "clicks_30d",
    "orders",
    "revenue",
    "commission_pending",
    "commission_owed",
    "paid_out",
)


# --- The owner's ranking over a period (issue 21) ---

PERIOD_DAYS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
MAX_PERIOD_DAYS = 731  # two years, like the reports
RANK_SORTS = ("revenue", "orders", "clicks", "commission")  # the first is the default
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidPeriod(DomainError):
    """The ranking's period or sort cannot be read."""

    status_code = 400
    code = "invalid_period"


@dataclass(frozen=True)
class Period:
    """Shop days from `start` to `end`, both included; `preset` is 7/30/90/365 when one was chosen."""

    start: date
    end: date
    preset: int | None = None

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The naive UTC instants the period starts at and ends before."""
        return day_bounds(self.start, tz)[0], day_bounds(self.end, tz)[1]


def parse_period(period: str | None, start: str | None, end: str | None, today: date) -> Period:
    """`?period=7|30|90|365` (days up to today) or `?start=&end=` (YYYY-MM-DD); the last 30 days by default."""
    raw_start, raw_end = (start or "").strip(), (end or "").strip()
    if raw_start or raw_end:
        last = _day(raw_end) if raw_end else today
        first = _day(raw_start) if raw_start else last - timedelta(days=DEFAULT_PERIOD - 1)
        if first > last:
            raise InvalidPeriod(N_("The start date must not be after the end date."))
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidPeriod(N_("Choose at most %(days)s days."), days=MAX_PERIOD_DAYS)
        return Period(first, last)
    text = (period or "").strip()
    days = DEFAULT_PERIOD if not text else next((d for d in PERIOD_DAYS if str(d) == text), None)
    if days is None:
        raise InvalidPeriod(N_("Choose a period of 7, 30, 90 or 365 days."))
    return Period(today - timedelta(days=days - 1), today, days)


def parse_sort(raw: str | None) -> str:
    """The ranking's order: revenue (the default), orders, clicks or commission, highest first."""
    text = (raw or "").strip() or RANK_SORTS[0]
    if text not in RANK_SORTS:
        raise InvalidPeriod(N_("Sort by revenue, orders, clicks or commission."))
    return text


def _day(text: str) -> date:
    try:
        if not _DAY_RE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
        if day.year < 2000:
            raise ValueError(text)
    except ValueError as exc:
        raise InvalidPeriod(N_("Dates must look like 2026-01-31 (got %(value)s)."), value=text[:20]) from exc
    return day


@dataclass
class RankRow:
    """One seller's figures over the period (money in minor units)."""

    seller: Seller
    clicks: int = 0
    orders: int = 0
    revenue: int = 0  # credited orders' eligible base, less refunds
    commission: int = 0  # what the seller earns on those orders now (refunds reduce it)


def ranking(session: Session, since: datetime, until: datetime, sort: str = "revenue") -> list[RankRow]:
    """Every seller ranked by `sort` (highest first, then by code) over [since, until).

    Three queries however many sellers: the sellers (and their accounts), clicks, the ledger.
    """
    if sort not in RANK_SORTS:
        raise InvalidPeriod(N_("Sort by revenue, orders, clicks or commission."))
    sellers = list(session.scalars(select(Seller).options(selectinload(Seller.user)).order_by(Seller.code)))
    clicks = dict(
        session.execute(
            select(SellerClick.seller_id, func.count(SellerClick.id))
            .where(SellerClick.created_at >= since, SellerClick.created_at < until)
            .group_by(SellerClick.seller_id)
        ).all()
    )
    live = CommissionEntry.status.in_([s.value for s in LIVE])
    ledger = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                CommissionEntry.seller_id,
                func.count(CommissionEntry.id),
                func.coalesce(func.sum(CommissionEntry.base - CommissionEntry.refunded), 0),
                func.coalesce(func.sum(CommissionEntry.amount), 0),
            )
            .where(live, CommissionEntry.created_at >= since, CommissionEntry.created_at < until)
            .group_by(CommissionEntry.seller_id)
        )
    }
    rows = []
    for seller in sellers:
        orders, revenue, commission = ledger.get(seller.id, (0, 0, 0))
        rows.append(
            RankRow(seller, int(clicks.get(seller.id, 0)), int(orders), int(revenue or 0), int(commission or 0))
        )
    rows.sort(key=lambda row: (-getattr(row, sort), row.seller.code))
    return rows


def all_time(session: Session, sellers: list[Seller], now: datetime) -> list[SellerFigures]:
    """The owner list's all-time figures for these sellers, in their order (the CSV's first columns)."""
    return _figures(session, sellers, now)


# The ranking CSV: CSV_HEADER's all-time columns, then these (the period's figures last).
RANK_CSV_HEADER = (
    "page_hidden",
    "collections",
    "period_start",
    "period_end",
    "period_clicks",
    "period_orders",
    "period_revenue",
    "period_commission",
)
