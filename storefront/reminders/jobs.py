"""The reminders' periodic jobs: waiting carts every 15 minutes, lapsed customers every hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import periodic
from . import service

CARTS_JOB = "reminders.carts"
LAPSED_JOB = "reminders.lapsed"


@periodic(CARTS_JOB, every=timedelta(minutes=15))
def remind_carts(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Queue "your cart is waiting" for the carts due now (once per cart)."""
    service.remind_carts(session, now)


@periodic(LAPSED_JOB, every=timedelta(hours=1))
def remind_lapsed(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Queue the lapse reminder for customers past their usual interval (once per lapse)."""
    service.remind_lapsed(session, now)
