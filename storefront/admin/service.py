"""Admin read models: the dashboard figures and the filtered order list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..catalog.models import Product
from ..inventory.service import low_stock_variants
from ..orders.models import Order
from ..orders.rules import OrderStatus


@dataclass(frozen=True)
class Dashboard:
    """Today at a glance."""

    orders_today: int
    revenue_today: int
    open_orders: int
    low_stock: list
    products: int
    recent: list[Order]


def dashboard(session: Session, now: datetime) -> Dashboard:
    """Today's orders and revenue (cancelled ones excluded), open orders, low stock."""
    start = datetime.combine(now.date(), time.min)
    today = (Order.created_at >= start) & (Order.status != OrderStatus.CANCELLED)
    count, revenue = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(today)
    ).one()
    open_statuses = [OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.READY_FOR_PICKUP]
    open_orders = session.scalar(select(func.count(Order.id)).where(Order.status.in_(open_statuses))) or 0
    products = session.scalar(select(func.count(Product.id)).where(Product.archived.is_(False))) or 0
    recent = list(session.scalars(select(Order).order_by(Order.created_at.desc()).limit(10)))
    return Dashboard(count, int(revenue), open_orders, low_stock_variants(session)[:20], products, recent)


def parse_day(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) from a filter, or None when empty or invalid."""
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def list_orders(session: Session, status: str | None, day_from: date | None, day_to: date | None,
                limit: int = 200) -> list[Order]:
    """Orders, newest first, filtered by status and created date range (inclusive)."""
    stmt = select(Order).options(selectinload(Order.lines)).order_by(Order.created_at.desc()).limit(limit)
    if status in {s.value for s in OrderStatus}:
        stmt = stmt.where(Order.status == status)
    if day_from:
        stmt = stmt.where(Order.created_at >= datetime.combine(day_from, time.min))
    if day_to:
        stmt = stmt.where(Order.created_at < datetime.combine(day_to + timedelta(days=1), time.min))
    return list(session.scalars(stmt))


def order_by_reference(session: Session, reference: str) -> Order | None:
    """An order by its human reference."""
    return session.scalars(select(Order).where(Order.reference == reference[:16])).first()
