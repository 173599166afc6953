"""Analytics' background duties: keep the report rollups caught up, and drop events past retention.

The rollup catch-up runs every JOBS_ROLLUP_SECONDS (the reports then rarely have anything to
catch up themselves); the purge keeps the README's promise of 400 days, daily; on PostgreSQL the
events' day partitions are created a week ahead, hourly. All are idempotent: the rollup
recomputes what its watermark says is missing, the purge deletes by age, existing days are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import periodic
from . import partitions, rollup
from .cli import shop_zone
from .service import purge_events

EVENT_RETENTION = timedelta(days=400)  # README "What behaviour data is stored": about 13 months
# One worker runs jobs one after another: a first catch-up over years of history must not hold
# it for long while holds wait to expire. A month of days takes seconds; the next run goes on.
ROLLUP_DAYS_PER_RUN = 31


@periodic("analytics.rollup", every_setting="JOBS_ROLLUP_SECONDS", lease_seconds=1800)
def rollup_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Catch the rollups up (a month of days at most), committing after every unit (a run cut short keeps its work)."""
    for _progress in rollup.catch_up(session, now, shop_zone(), max_days=ROLLUP_DAYS_PER_RUN):
        session.commit()


@periodic("analytics.event_partitions", every=timedelta(hours=1))
def event_partitions_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """PostgreSQL: create the events' day partitions ahead (today .. +7 days); nothing on SQLite.

    A lock timeout keeps a busy events table from queueing inserts behind this job: it gives up
    and the next hour tries again (a week ahead leaves plenty of hours).
    """
    conn = session.connection()
    if partitions.is_partitioned(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        partitions.ensure_ahead(conn, now.date())


@periodic("analytics.purge_events", every=timedelta(days=1), max_attempts=3)
def purge_events_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Drop (PostgreSQL: whole day partitions) and delete behaviour events older than the retention period."""
    purge_events(session, EVENT_RETENTION, now)
