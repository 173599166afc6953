"""Read models of a seller's own customers: those with an order credited to them, and only those orders.

Every query here takes the seller's id and joins through commission_entries.seller_id, so a seller
never sees another seller's customer, nor the orders their customer placed without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ..orders.models import Order
from ..orders.rules import SALE_STATUSES
from ..sellers.models import CommissionEntry, SellerSettings
from ..stores.models import OrderStore
from .models import Customer, CustomerOrder

PER_PAGE = 20
MAX_ORDERS_SHOWN = 100


@dataclass(frozen=True)
class SellerCustomer:
    """One customer in a seller's list, with figures of the orders credited to that seller only."""

    customer: Customer
    orders: int  # orders credited to this seller, whatever their state
    last_order_at: datetime | None
    spent: int  # the totals of those orders that are sales (not unpaid, not cancelled), minor units


def credited_orders(seller_id: int) -> Select:
    """SELECT of (order id, customer id) for every order credited to the seller that has a customer."""
    return (
        select(CustomerOrder.order_id, CustomerOrder.customer_id)
        .join(CommissionEntry, CommissionEntry.order_id == CustomerOrder.order_id)
        .where(CommissionEntry.seller_id == seller_id)
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customers_page(session: Session, seller_id: int, query: str, page: int) -> tuple[list[SellerCustomer], int]:
    """One page (PER_PAGE, latest order first) of the seller's customers whose name matches `query`, and their count."""
    theirs = credited_orders(seller_id).subquery()
    figures = (
        select(
            theirs.c.customer_id,
            func.count(Order.id).label("orders"),
            func.max(Order.created_at).label("last_order_at"),
            func.coalesce(func.sum(case((Order.status.in_(SALE_STATUSES), Order.total), else_=0)), 0).label("spent"),
        )
        .join(Order, Order.id == theirs.c.order_id)
        .group_by(theirs.c.customer_id)
        .subquery()
    )
    stmt = select(Customer, figures.c.orders, figures.c.last_order_at, figures.c.spent).join(
        figures, figures.c.customer_id == Customer.id
    )
    if query:
        stmt = stmt.where(func.lower(Customer.name).like(f"%{_escape_like(query.lower())}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(figures.c.last_order_at.desc(), Customer.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return [SellerCustomer(c, int(n), last, int(spent or 0)) for c, n, last, spent in rows], int(total)


def customer_for_seller(session: Session, seller_id: int, customer_id: int) -> Customer | None:
    """The customer when at least one of their orders is credited to the seller, else None."""
    brought = credited_orders(seller_id).where(CustomerOrder.customer_id == customer_id).limit(1)
    if session.execute(brought).first() is None:
        return None
    return session.get(Customer, customer_id)


def orders_for_seller(session: Session, seller_id: int, customer_id: int) -> list[Order]:
    """The customer's orders credited to the seller, newest first (never their other orders)."""
    theirs = credited_orders(seller_id).where(CustomerOrder.customer_id == customer_id).subquery()
    return list(
        session.scalars(
            select(Order)
            .where(Order.id.in_(select(theirs.c.order_id)))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(MAX_ORDERS_SHOWN)
        )
    )


def order_for_seller(session: Session, seller_id: int, customer_id: int, order_id: int) -> Order | None:
    """One order of the customer credited to the seller, else None."""
    found = credited_orders(seller_id).where(
        CustomerOrder.customer_id == customer_id, CustomerOrder.order_id == order_id
    )
    return session.get(Order, order_id) if session.execute(found).first() is not None else None


def pickup_stores(session: Session, order_ids: list[int]) -> dict[int, str]:
    """The pickup store's name of each of these orders that is collected in a store."""
    if not order_ids:
        return {}
    rows = session.scalars(
        select(OrderStore).where(OrderStore.order_id.in_(order_ids), OrderStore.reason == "pickup")
    ).all()
    return {row.order_id: row.store.name for row in rows}


def show_full_contacts(session: Session) -> bool:
    """Whether the owner lets sellers see their customers' phone and email in full (default: masked)."""
    settings = session.scalars(select(SellerSettings).order_by(SellerSettings.id).limit(1)).first()
    return bool(settings and settings.show_customer_contacts)
