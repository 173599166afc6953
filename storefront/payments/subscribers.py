"""What the payments package does when other packages announce their facts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..cart.events import ADDING_TO_CART
from ..core.events import Event
from . import service


def connect() -> None:
    """Subscribe to the events payments follows (the app factory calls this; repeating is harmless)."""
    ADDING_TO_CART.connect(release_stale_holds)


def release_stale_holds(_event: Event, *, session: Session, now: datetime, **_payload) -> None:
    """Units held by abandoned card payments are for sale again before a shopper adds to their cart."""
    service.release_stale_holds(session, now)
