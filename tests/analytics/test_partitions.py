"""Events partitioned by UTC day on PostgreSQL: days ahead, strays moved, whole days dropped, pruned reads."""

from __future__ import annotations

import time as time_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from storefront.analytics import partitions, rollup_rules
from storefront.analytics.jobs import EVENT_RETENTION, event_partitions_job, purge_events_job
from storefront.analytics.models import Event
from storefront.analytics.rollup import day_events_query
from storefront.clock import utcnow
from storefront.extensions import db

pg_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
DAY = date(2026, 5, 10)  # a day in the past of every pinned test instant


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def _add_events(*instants: datetime) -> list[int]:
    """Store one event per instant; their ids."""
    rows = [Event(created_at=at, name="page_view", path="/") for at in instants]
    db.session.add_all(rows)
    db.session.flush()
    return [row.id for row in rows]


def _rows_per_table() -> dict[str, int]:
    """How many events each partition holds (tableoid says where a row lives)."""
    sql = "SELECT tableoid::regclass::text, count(*) FROM events GROUP BY 1"
    return dict(db.session.execute(text(sql)).all())


@pytest.fixture
def no_day_partitions(app):
    """Only the DEFAULT partition (day partitions outlive a TRUNCATE, so other tests leave some)."""
    with app.app_context():
        partitions.drop_before(db.session.connection(), datetime(9999, 1, 1))
        db.session.commit()


@pg_only
def test_create_all_makes_a_partitioned_events_table_with_a_default_partition(app):
    with app.app_context():
        conn = db.session.connection()
        assert partitions.is_partitioned(conn)
        kinds = conn.exec_driver_sql(
            "SELECT c.relname, c.relkind FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass AND c.relname = 'events_default'"
        ).all()
        assert kinds == [("events_default", "r")]
        key = conn.exec_driver_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'p'"
        ).scalar_one()
        assert key == "PRIMARY KEY (id, created_at)"


@pg_only
def test_the_hourly_job_creates_today_and_the_week_ahead_once(app, no_day_partitions):
    now = utcnow()
    with app.app_context():
        event_partitions_job(db.session, {}, now)
        db.session.commit()
        days = partitions.existing_days(db.session.connection())
        assert days == {now.date() + timedelta(days=n) for n in range(8)}
        event_partitions_job(db.session, {}, now + timedelta(hours=1))  # idempotent
        db.session.commit()
        assert partitions.existing_days(db.session.connection()) == days


@pg_only
def test_creating_a_day_moves_its_rows_out_of_the_default_partition(app, no_day_partitions):
    with app.app_context():
        ids = _add_events(_at(DAY, 0, 0), _at(DAY, 23, 59), _at(DAY + timedelta(days=1), 0, 0))
        db.session.commit()
        assert _rows_per_table() == {"events_default": 3}
        created = partitions.ensure_days(db.session.connection(), [DAY])
        db.session.commit()
        assert created == [DAY]
        assert _rows_per_table() == {"events_p20260510": 2, "events_default": 1}
        assert sorted(db.session.scalars(select(Event.id))) == ids  # nothing lost, nothing doubled
        new_id = _add_events(_at(DAY, 8))[0]  # the day's new rows land in its partition
        db.session.commit()
        assert new_id > max(ids) and _rows_per_table()["events_p20260510"] == 3


@pg_only
def test_retention_drops_whole_days_and_deletes_only_the_default_partitions_leftovers(app, no_day_partitions):
    now = utcnow()
    cutoff = now - EVENT_RETENTION
    old_day, boundary = cutoff.date() - timedelta(days=3), cutoff.date()
    with app.app_context():
        partitions.ensure_days(db.session.connection(), [old_day, boundary, now.date()])
        _add_events(_at(old_day, 1), _at(old_day, 22))
        on_boundary = _add_events(cutoff - timedelta(minutes=1), cutoff + timedelta(minutes=1))
        _add_events(cutoff - timedelta(days=30))  # no partition of its own: in DEFAULT
        kept = _add_events(now - timedelta(hours=1))
        db.session.commit()
        purge_events_job(db.session, {}, now)
        db.session.commit()
        days = partitions.existing_days(db.session.connection())
        assert old_day not in days and {boundary, now.date()} <= days  # the boundary day stays whole
        left = db.session.scalars(select(Event.id).order_by(Event.id)).all()
        assert left == sorted(on_boundary + kept)  # dropped whole next run, not deleted row by row
        assert _rows_per_table() == {"events_p" + f"{boundary:%Y%m%d}": 2, partitions.partition_name(now.date()): 1}
        purge_events_job(db.session, {}, datetime.combine(boundary + EVENT_RETENTION + timedelta(days=1), time()))
        db.session.commit()
        assert boundary not in partitions.existing_days(db.session.connection())


@pg_only
def test_retention_never_drops_a_day_younger_than_the_cutoff(app, no_day_partitions):
    now = datetime(2026, 12, 6, 23, 59, 59)  # the cutoff's day ends a second after the cutoff
    cutoff = now - EVENT_RETENTION
    with app.app_context():
        days = [cutoff.date() + timedelta(days=n) for n in (-2, -1, 0, 1)]
        partitions.ensure_days(db.session.connection(), days)
        db.session.commit()
        purge_events_job(db.session, {}, now)
        db.session.commit()
        assert partitions.existing_days(db.session.connection()) == set(days[2:])  # the cutoff's day stays
        purge_events_job(db.session, {}, now + timedelta(seconds=1))  # now it has wholly passed
        db.session.commit()
        assert partitions.existing_days(db.session.connection()) == set(days[3:])


@pg_only
def test_a_busy_events_table_keeps_its_old_days_for_the_next_run(app, no_day_partitions):
    now = utcnow()
    old = [(now - EVENT_RETENTION).date() - timedelta(days=n) for n in (3, 2)]
    with app.app_context():
        partitions.ensure_days(db.session.connection(), old)
        _add_events(_at(old[0]), _at(old[1]))
        db.session.commit()
        reader = db.engine.connect()  # a long read of events (a rollup) holds its lock
        try:
            reader.exec_driver_sql("BEGIN")
            reader.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
            started = time_module.monotonic()
            purge_events_job(db.session, {}, now)  # gives up after the lock timeout: no error
            db.session.commit()
            assert time_module.monotonic() - started < 5
            assert partitions.existing_days(db.session.connection()) >= set(old)
            assert db.session.scalar(select(func.count(Event.id))) == 2  # not deleted row by row either
        finally:
            reader.exec_driver_sql("ROLLBACK")
            reader.close()
        purge_events_job(db.session, {}, now)  # the next run drops them
        db.session.commit()
        assert not set(old) & partitions.existing_days(db.session.connection())
        assert db.session.scalar(select(func.count(Event.id))) == 0


@pg_only
def test_the_hourly_job_gives_past_days_stranded_in_default_their_partition(app, no_day_partitions):
    now = utcnow()
    cutoff = now - EVENT_RETENTION
    recent, expired = now.date() - timedelta(days=3), cutoff.date() - timedelta(days=2)
    with app.app_context():
        ids = _add_events(_at(recent, 1), _at(recent, 23), _at(expired))
        db.session.commit()
        event_partitions_job(db.session, {}, now)
        db.session.commit()
        rows = _rows_per_table()
        assert rows[partitions.partition_name(recent)] == 2 and rows["events_default"] == 1  # expired: purged
        assert partitions.partition_name(expired) not in rows
        assert sorted(db.session.scalars(select(Event.id))) == ids


def test_purge_deletes_events_older_than_retention_on_both_databases(app):
    now = utcnow()
    with app.app_context():
        # A day before the cutoff's (PostgreSQL keeps the cutoff's day whole until it has passed).
        _add_events(now - EVENT_RETENTION - timedelta(days=40), now - EVENT_RETENTION - timedelta(days=1, hours=1))
        recent = _add_events(now - EVENT_RETENTION + timedelta(hours=1), now)
        db.session.commit()
        event_partitions_job(db.session, {}, now)  # a no-op on SQLite
        purge_events_job(db.session, {}, now)
        db.session.commit()
        assert sorted(db.session.scalars(select(Event.id))) == recent


def _partitions_read(sql: str) -> set[str]:
    plan = db.session.execute(text(f"EXPLAIN {sql}")).scalars().all()
    return {word for line in plan for word in line.split() if partitions.is_event_partition(word, "table")}


@pg_only
@pytest.mark.parametrize(("zone", "expected"), [("UTC", {DAY}), ("America/New_York", {DAY, DAY + timedelta(days=1)})])
def test_a_days_rollup_reads_only_that_days_partitions(app, no_day_partitions, zone, expected):
    with app.app_context():
        partitions.ensure_days(db.session.connection(), [DAY + timedelta(days=n) for n in range(-2, 4)])
        _add_events(*(_at(DAY + timedelta(days=n)) for n in range(-2, 4)))
        db.session.commit()
        start, end = rollup_rules.day_bounds(DAY, ZoneInfo(zone))
        query = day_events_query(start, end)
        sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        read = _partitions_read(sql)
        assert read == {partitions.partition_name(day) for day in expected}  # not DEFAULT, not other days
        assert [row.created_at for row in db.session.connection().execute(query)] == [_at(DAY)]  # noon UTC


@pg_only
def test_purge_counts_the_events_it_deleted_row_by_row(app, no_day_partitions):
    with app.app_context():
        now = utcnow()
        _add_events(now - EVENT_RETENTION - timedelta(days=2))
        db.session.commit()
        from storefront.analytics.service import purge_events

        assert purge_events(db.session, EVENT_RETENTION, now) == 1  # in DEFAULT: a DELETE
        db.session.commit()
        assert db.session.scalar(select(func.count(Event.id))) == 0
