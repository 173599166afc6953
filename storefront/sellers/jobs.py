"""Sellers' background duty: approve commissions past their return window, hourly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import periodic
from .service import approve_due


@periodic("sellers.approve_commissions", every_seconds=3600, max_attempts=3)
def approve_commissions_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Approve pending commissions whose orders are paid, completed and past the return window.

    Idempotent: approve_due takes only pending entries, each under its row lock.
    """
    approve_due(session, now)
