"""What the stores package does when orders announce their facts: each order's store, bound customers.

The subscriber runs inside the order-placement transaction: the order's store is recorded with
the order, and a pickup store that no longer offers pickup refuses (rolls back) the order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_PLACED
from ..orders.models import Order
from . import service


def connect() -> None:
    """Subscribe to the events stores follow (the app factory calls this; repeating is harmless)."""
    ORDER_PLACED.connect(assign_placed_order)


def assign_placed_order(
    _event: Event,
    *,
    session: Session,
    order: Order,
    now: datetime,
    pickup_store_id: int | None,
    chosen_store_id: int | None,
    **_payload,
) -> None:
    """Record the store a placed order counts for, binding a new customer on their first order."""
    service.assign_order(
        session, order, now, pickup_store_id=pickup_store_id, chosen_store_id=chosen_store_id, just_placed=True
    )
