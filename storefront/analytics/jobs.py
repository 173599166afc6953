"""Analytics' background duties: keep the report rollups caught up, and drop events past retention.

The rollup catch-up runs every JOBS_ROLLUP_SECONDS (the reports then rarely have anything to
catch up themselves); the purge keeps the README's promise of 400 days, hourly (on PostgreSQL it
drops whole day partitions, each in its own short transaction, and gives a busy table up to the
next hour); the events' day partitions are created a week ahead, hourly. All are idempotent: the rollup
recomputes what its watermark says is missing, the purge deletes by age, existing days are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import periodic
from . import interest_totals, partitions, rollup
from .cli import shop_zone
from .service import delete_expired_events, drop_expired_days

EVENT_RETENTION = timedelta(days=400)  # README "What behaviour data is stored": about 13 months
# One worker runs jobs one after another: a first catch-up over years of history must not hold
# it for long while holds wait to expire. A month of days takes seconds; the next run goes on.
ROLLUP_DAYS_PER_RUN = 31


@periodic("analytics.rollup", every_setting="JOBS_ROLLUP_SECONDS", lease_seconds=1800)
def rollup_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Catch the rollups up (a month of days at most), committing after every unit (a run cut short keeps its work)."""
    for _progress in rollup.catch_up(session, now, shop_zone(), max_days=ROLLUP_DAYS_PER_RUN):
        session.commit()
    interest_totals.fill(session)  # the interest report's per day x product sums of the days just rolled up


@periodic("analytics.event_partitions", every=timedelta(hours=1))
def event_partitions_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """PostgreSQL: create the events' day partitions ahead (today .. +7 days); nothing on SQLite.

    Past days within retention whose rows sit in DEFAULT (clock skew, a bulk load) get their
    partition too (the rows move in), so the purge later drops them whole instead of deleting
    them row by row. A lock timeout keeps a busy events table from queueing inserts behind this
    job: it gives up and the next hour tries again (a week ahead leaves plenty of hours).
    """
    conn = session.connection()
    if partitions.is_partitioned(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        today = now.date()
        strays = partitions.stray_days(conn, (now - EVENT_RETENTION).date(), today - timedelta(days=1))
        partitions.ensure_days(conn, strays)
        partitions.ensure_ahead(conn, today)


@periodic("analytics.purge_events", every=timedelta(hours=1), max_attempts=3)
def purge_events_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Drop (PostgreSQL: whole day partitions) and delete behaviour events older than the retention period.

    One DROP per transaction: `events` is locked for milliseconds each; a DROP that cannot get
    its lock within a second waits for the next hour's run.
    """
    for _name in drop_expired_days(session, EVENT_RETENTION, now):
        session.commit()
    delete_expired_events(session, EVENT_RETENTION, now)
