"""The queue's own periodic duty: forget finished jobs after JOBS_KEEP_DAYS."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from .registry import periodic
from .service import purge_finished


@periodic("jobs.purge_finished", every=timedelta(days=1), max_attempts=3)
def purge_finished_jobs(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Delete done and failed jobs older than the kept days (their keys are then forgotten too)."""
    purge_finished(session, now - timedelta(days=current_app.config["JOBS_KEEP_DAYS"]))
