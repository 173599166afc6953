"""Admin read models: the dashboard figures and the filtered order list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..catalog.models import Product
from ..clock import utc_midnight
from ..inventory.service import low_stock_variants
from ..orders.limits import CustomerHistory, customer_history
from ..orders.models import Order
from ..orders.rules import SALE_STATUSES, OrderStatus
from ..sellers.models import Seller
from ..sellers.service import entry_for_order
from ..stores.models import OrderStore, Store
from ..stores.rules import customer_key
from ..stores.service import bound_store


@dataclass(frozen=True)
class Dashboard:
    """Today at a glance."""

    orders_today: int
    revenue_today: int
    open_orders: int
    low_stock: list
    products: int
    recent: list[Order]


def dashboard(session: Session, now: datetime, tz: tzinfo = UTC) -> Dashboard:
    """Today's sales and revenue (not cancelled, card orders once paid), open orders, low stock.

    `now` is naive UTC; "today" is the shop's day in `tz`, the zone the admin shows times in.
    """
    start = utc_midnight(now.replace(tzinfo=UTC).astimezone(tz).date(), tz)
    today = (Order.created_at >= start) & Order.status.in_(SALE_STATUSES)
    count, revenue = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(today)
    ).one()
    open_statuses = [
        OrderStatus.AWAITING_TRANSFER,  # staff must look for the money: an order to act on
        OrderStatus.PLACED,
        OrderStatus.CONFIRMED,
        OrderStatus.PACKED,
        OrderStatus.READY_FOR_PICKUP,
    ]
    open_orders = session.scalar(select(func.count(Order.id)).where(Order.status.in_(open_statuses))) or 0
    products = session.scalar(select(func.count(Product.id)).where(Product.published)) or 0
    recent = list(session.scalars(select(Order).order_by(Order.created_at.desc()).limit(10)))
    return Dashboard(count, int(revenue), open_orders, low_stock_variants(session)[:20], products, recent)


def list_orders(
    session: Session, status: str | None, day_from: date | None, day_to: date | None, limit: int = 200, tz: tzinfo = UTC
) -> list[Order]:
    """Orders, newest first, filtered by status and created date range (inclusive, days in `tz`)."""
    stmt = select(Order).options(selectinload(Order.lines)).order_by(Order.created_at.desc()).limit(limit)
    if status in {s.value for s in OrderStatus}:
        stmt = stmt.where(Order.status == status)
    start = utc_midnight(day_from, tz) if day_from else None
    # Up to the last day datetime knows is no upper bound (the day after it would overflow).
    end = utc_midnight(day_to + timedelta(days=1), tz) if day_to and day_to < date.max else None
    if start:
        stmt = stmt.where(Order.created_at >= start)
    if end:
        stmt = stmt.where(Order.created_at < end)
    return list(session.scalars(stmt))


def order_by_reference(session: Session, reference: str) -> Order | None:
    """An order by its human reference."""
    return session.scalars(select(Order).where(Order.reference == reference[:16])).first()


@dataclass(frozen=True)
class OrderFacts:
    """Who placed an order and through whom: what staff check before confirming a cash order."""

    customer: CustomerHistory
    pickup_store: Store | None  # where the shopper collects (pickup orders)
    bound_store: Store | None  # the store the customer is bound to (revenue share)
    seller: Seller | None  # the seller whose link brought the order


def order_facts(session: Session, order: Order) -> OrderFacts:
    """The order's customer history, pickup and bound stores, and referring seller."""
    recorded = session.get(OrderStore, order.id)
    pickup = recorded.store if recorded is not None and recorded.reason == "pickup" else None
    entry = entry_for_order(session, order.id)
    return OrderFacts(
        customer=customer_history(session, order),
        pickup_store=pickup,
        bound_store=bound_store(session, customer_key(order.phone, order.email)),
        seller=entry.seller if entry is not None else None,
    )
