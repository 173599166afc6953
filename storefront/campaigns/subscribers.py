"""ORDER_PLACED: an order placed from a browser that followed a campaign's link is credited to it."""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_PLACED
from ..orders.models import Order
from . import rules, service


def connect() -> None:
    """Subscribe to the events campaigns follow (the app factory calls this; repeating is harmless)."""
    ORDER_PLACED.connect(credit_placed_order)


def credit_placed_order(_event: Event, *, session: Session, order: Order, now: datetime, **_payload) -> None:
    """The checkout request carries the campaign cookie (set by /r/<token>): record the order once."""
    if has_request_context():
        service.attribute(session, order, request.cookies.get(rules.COOKIE), now)
