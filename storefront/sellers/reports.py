"""Read models for sellers: the seller's own dashboard and the owner's list (with its CSV rows).

"Orders" and "revenue" count credited orders whose commission is not reversed; revenue is the
commission base (line totals, no shipping) less refunds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

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
