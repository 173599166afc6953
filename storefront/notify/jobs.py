"""The notification jobs: fan an event out, send one message, answer back-in-stock watches,
remind unpaid card orders, and forget old message bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import job, periodic
from . import service


@job(service.FAN_OUT, max_attempts=5)
def fan_out(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """One log row and one send job per recipient of an event (a rerun adds none)."""
    service.fan_out(session, payload, now)


@job(service.SEND, max_attempts=6, lease_seconds=120)
def send(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Send one message; a temporary failure raises, and the queue tries again after its backoff."""
    service.send(session, int(payload["id"]), now)


@job(service.BACK_IN_STOCK, max_attempts=5)
def back_in_stock(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Answer the open watches of a variant that came back (each once)."""
    service.answer_watches(session, int(payload["variant_id"]), now, payload.get("base", ""))


@periodic("notify.finish_paying", every_seconds=60)
def finish_paying(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Remind shoppers whose card payment page is about to lose their items."""
    service.remind_unpaid(session, now)


@periodic("notify.forget_old", every_seconds=3600)
def forget_old(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Blank old message bodies, drop old log rows and stale watches."""
    service.forget_old(session, now)
