"""ORDER_PLACED: an order placed from a browser that followed a campaign's link is credited to it;
CODE_REDEEMED: so is an order by one of its recipients that used the campaign's code."""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from sqlalchemy.orm import Session

from ..core.events import Event
from ..orders.events import ORDER_PLACED
from ..orders.models import Order
from ..promotions.events import CODE_REDEEMED
from . import rules, service


def connect() -> None:
    """Subscribe to the events campaigns follow (the app factory calls this; repeating is harmless)."""
    ORDER_PLACED.connect(credit_placed_order)
    CODE_REDEEMED.connect(credit_code_redemption)


def credit_placed_order(_event: Event, *, session: Session, order: Order, now: datetime, **_payload) -> None:
    """The checkout request carries the campaign cookie (set by /r/<token>): record the order once."""
    if has_request_context():
        service.attribute(session, order, request.cookies.get(rules.COOKIE), now)


def credit_code_redemption(
    _event: Event, *, session: Session, order: Order, code: str, now: datetime, **_payload
) -> None:
    """An order by a campaign's recipient that used the campaign's code counts for it (if no link did)."""
    service.attribute_code(session, order, code, now)
