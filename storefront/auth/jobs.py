"""Auth's background duty: forget ended sign-ins and stale login counters, daily."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import periodic
from .sessions import purge


@periodic("auth.purge_sign_ins", every=timedelta(days=1), max_attempts=3)
def purge_sign_ins_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Delete revoked, idle or expired sign-ins and login counters whose windows are over."""
    purge(session, now)
