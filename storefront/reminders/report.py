"""The reminders' small report: per kind, messages queued and sent in the last 30 days, and the orders that followed.

An order "followed" a message when the same customer placed it within 7 days after the message
(cancelled and unpaid orders do not count); each order counts once per kind, whatever number of
messages preceded it. Computed in Python over the window's rows: a month of reminders is small.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..customers.models import CustomerOrder
from ..notify.models import Notification
from ..orders.models import Order
from .models import ReminderMessage
from .service import NOT_SALES

WINDOW = timedelta(days=30)
FOLLOW = timedelta(days=7)
BACK_IN_STOCK = "back-in-stock"  # notify's watch answers: their own row in the report


@dataclass(frozen=True)
class KindFigures:
    """One reminder kind's last 30 days."""

    kind: str
    queued: int
    sent: int
    orders: int | None  # None: not measurable (back-in-stock answers name no customer)
    revenue: int


def followed(
    messages: Iterable[tuple[int, datetime]], orders: Iterable[tuple[int, int, datetime, int]]
) -> tuple[int, int]:
    """(orders, revenue) of orders placed by a messaged customer within FOLLOW after one of their messages.

    `messages`: (customer id, queued at); `orders`: (order id, customer id, created at, total).
    """
    times: dict[int, list[datetime]] = {}
    for customer_id, at in messages:
        times.setdefault(customer_id, []).append(at)
    counted: dict[int, int] = {}
    for order_id, customer_id, created_at, total in orders:
        if any(at <= created_at <= at + FOLLOW for at in times.get(customer_id, ())):
            counted[order_id] = total
    return len(counted), sum(counted.values())


def figures(session: Session, now: datetime) -> list[KindFigures]:
    """Cart and lapse reminders (queued, sent, orders that followed, revenue), then back-in-stock answers."""
    since = now - WINDOW
    rows = []
    for kind in ("cart", "lapse"):
        logged = and_(ReminderMessage.kind == kind, ReminderMessage.queued_at >= since)
        queued = session.scalar(select(func.count()).select_from(ReminderMessage).where(logged)) or 0
        sent = session.scalar(  # one per reminder, however many of the customer's devices it reached
            select(func.count(func.distinct(ReminderMessage.id)))
            .select_from(ReminderMessage)
            .join(
                Notification,
                and_(
                    Notification.event_key == ReminderMessage.key,
                    Notification.channel == ReminderMessage.channel,
                    Notification.status == "sent",
                ),
            )
            .where(logged)
        )
        messages = session.execute(select(ReminderMessage.customer_id, ReminderMessage.queued_at).where(logged)).all()
        customer_ids = {customer_id for customer_id, _at in messages}
        orders = session.execute(
            select(Order.id, CustomerOrder.customer_id, Order.created_at, Order.total)
            .join(CustomerOrder, CustomerOrder.order_id == Order.id)
            .where(
                CustomerOrder.customer_id.in_(customer_ids),
                Order.created_at >= since,
                Order.status.not_in(NOT_SALES),
            )
        ).all()
        count, revenue = followed(messages, orders)
        rows.append(KindFigures(kind, queued, sent or 0, count, revenue))
    rows.append(_back_in_stock(session, since))
    return rows


def _back_in_stock(session: Session, since: datetime) -> KindFigures:
    """notify's back-in-stock answers in the window (queued = logged, sent = delivered)."""
    answered = and_(Notification.kind == BACK_IN_STOCK, Notification.created_at >= since)
    queued = session.scalar(select(func.count()).select_from(Notification).where(answered)) or 0
    sent = session.scalar(select(func.count()).select_from(Notification).where(answered, Notification.status == "sent"))
    return KindFigures("back_in_stock", queued, sent or 0, None, 0)
