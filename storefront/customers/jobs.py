"""Customers' background duty: store every customer's RFM segment again, daily (recency moves with time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..analytics.cli import shop_zone
from ..jobs import periodic
from . import service


@periodic("customers.rfm", every=timedelta(hours=6), max_attempts=3)
def rfm_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Recompute every customer's RFM segment as of the shop's today (idempotent)."""
    service.refresh_rfm(session, now, shop_zone())
