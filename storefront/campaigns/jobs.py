"""Campaign jobs: start (snapshot the segment, spread the sends), send (one recipient's message, once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import job
from . import service


@job(service.START, max_attempts=5)
def start(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Snapshot the consenting members into recipients and enqueue their sends at the owner's rate."""
    service.start(session, int(payload["id"]), now)


@job(service.SEND, max_attempts=5)
def send(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Queue one recipient's message through notify.marketing (a rerun queues nothing more)."""
    service.send_one(session, int(payload["id"]), now)
