"""What reviews do when orders and payments announce their facts: a review whose purchase no longer
stands (cancelled, refunded) stops counting at once, so cached product pages must renew too."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..catalog.generation import mark_changed
from ..core.events import Event
from ..orders.events import ORDER_STATUS_CHANGED
from ..orders.models import Order
from ..orders.rules import OrderStatus
from ..payments.events import PAYMENT_REFUNDED
from .models import Review
from .rules import ReviewStatus


def connect() -> None:
    """Subscribe to the facts that can take a published review out of the rating (the app factory calls this)."""
    ORDER_STATUS_CHANGED.connect(order_moved)
    PAYMENT_REFUNDED.connect(refunded)


def order_moved(_event: Event, *, session: Session, order: Order, new_status: OrderStatus, **_payload) -> None:
    """A cancelled order's published reviews no longer count: its product pages renew."""
    if new_status == OrderStatus.CANCELLED:
        _renew_pages_if_reviewed(session, order.id)


def refunded(_event: Event, *, session: Session, order: Order, **_payload) -> None:
    """Money back may leave a reviewed line (or the whole payment) refunded in full: its product pages renew."""
    _renew_pages_if_reviewed(session, order.id)


def _renew_pages_if_reviewed(session: Session, order_id: int) -> None:
    """Mark the catalogue changed when the order has a published review (one cheap EXISTS otherwise)."""
    if session.scalar(select(exists().where(Review.order_id == order_id, Review.status == ReviewStatus.PUBLISHED))):
        mark_changed(session)
