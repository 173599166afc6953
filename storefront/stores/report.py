"""The revenue-share report: turnover and shares per store, per seller and per channel for a period.

Turnover is the goods total of sale orders (order subtotal less the lines' share of discount codes:
shipping excluded; cancelled and unpaid orders never count) placed in the period. An order counts
for the store recorded by
service.assign_order (its pickup store or the customer's bound store) and for the seller whose
commission on it is not reversed. Shares are the owner's percentages (RevenueShare) of each
group's turnover, rounded half-up once per group; the seller table also shows the commission
actually in the ledger. Channel: "seller" (credited to a seller), else "pickup" (collected in a
store), else "online" (delivered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from ..domain import N_
from ..orders.models import Order, OrderLine
from ..orders.rules import SALE_STATUSES
from ..sellers.models import CommissionEntry, Seller
from . import rules
from .models import OrderStore, Store
from .service import get_shares

CHANNEL_LABELS = {"seller": N_("Seller links"), "pickup": N_("Store pickup"), "online": N_("Online, delivered")}


@dataclass(frozen=True)
class Row:
    """One line of a report table (money in minor units; share None where it does not apply)."""

    key: str
    label: str
    orders: int
    turnover: int
    share: int | None = None
    commission: int | None = None


@dataclass
class Report:
    """The three tables and the totals for [start, end)."""

    start: datetime
    end: datetime
    store_bp: int
    seller_bp: int
    by_store: list[Row] = field(default_factory=list)
    by_seller: list[Row] = field(default_factory=list)
    by_channel: list[Row] = field(default_factory=list)

    @property
    def orders(self) -> int:
        return sum(r.orders for r in self.by_channel)

    @property
    def turnover(self) -> int:
        return sum(r.turnover for r in self.by_channel)

    @property
    def store_shares(self) -> int:
        return sum(r.share or 0 for r in self.by_store)

    @property
    def seller_shares(self) -> int:
        return sum(r.share or 0 for r in self.by_seller)

    @property
    def shop_keeps(self) -> int:
        """What is left for the shop after the store and seller shares."""
        return self.turnover - self.store_shares - self.seller_shares


def revenue_report(session: Session, start: datetime, end: datetime) -> Report:
    """Turnover and shares per store, seller and channel for orders placed in [start, end)."""
    settings = get_shares(session)
    live_entry = (CommissionEntry.order_id == Order.id) & (CommissionEntry.status != "reversed")
    channel = case(
        (CommissionEntry.id.is_not(None), "seller"), (Order.delivery_method == "pickup", "pickup"), else_="online"
    )
    base = (
        select(Order.id)
        .outerjoin(OrderStore, OrderStore.order_id == Order.id)
        .outerjoin(CommissionEntry, live_entry)
        .where(Order.status.in_([s.value for s in SALE_STATUSES]), Order.created_at >= start, Order.created_at < end)
    )

    # Goods after discount codes: the lines' shares of a code (free delivery takes nothing off the goods).
    line_discounts = (
        select(func.coalesce(func.sum(OrderLine.discount), 0)).where(OrderLine.order_id == Order.id).scalar_subquery()
    )
    goods = func.coalesce(func.sum(Order.subtotal - line_discounts), 0)

    def grouped(key):
        stmt = base.with_only_columns(key, func.count(Order.id), goods, func.sum(CommissionEntry.amount)).group_by(key)
        return [(k, int(n), int(total), int(commission or 0)) for k, n, total, commission in session.execute(stmt)]

    report = Report(start, end, settings.store_bp, settings.seller_bp)
    stores = {s.id: s.name for s in session.scalars(select(Store))}
    for store_id, n, total, _ in sorted(grouped(OrderStore.store_id), key=lambda r: -r[2]):
        label = stores.get(store_id, "") if store_id is not None else ""
        share = rules.share_of(total, settings.store_bp) if store_id is not None else None
        report.by_store.append(Row(str(store_id or ""), label, n, total, share))
    sellers = {s.id: s for s in session.scalars(select(Seller).options(selectinload(Seller.user)))}
    for seller_id, n, total, commission in sorted(grouped(CommissionEntry.seller_id), key=lambda r: -r[2]):
        seller = sellers.get(seller_id)
        label = f"{seller.name} ({seller.code})" if seller else ""
        share = rules.share_of(total, settings.seller_bp) if seller_id is not None else None
        report.by_seller.append(Row(str(seller_id or ""), label, n, total, share, commission if seller_id else None))
    for key, n, total, _ in sorted(grouped(channel), key=lambda r: -r[2]):
        report.by_channel.append(Row(key, CHANNEL_LABELS.get(key, key), n, total))
    return report


CSV_HEADER = ("table", "key", "label", "orders", "turnover", "share", "commission")
