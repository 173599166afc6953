"""PostgreSQL's daily partitions of `events`: create them ahead, move strays, drop past retention.

On PostgreSQL `events` is partitioned BY RANGE (created_at) (declared on the model): one
partition per UTC day, named events_pYYYYMMDD, and a DEFAULT partition so that an insert never
fails when the job that creates days ahead has not run. Creating a day whose rows already sit in
the DEFAULT partition moves them in the same transaction, so no event is lost or counted twice.
Retention drops whole days (DROP TABLE: instant, no dead rows to vacuum); only what lies in the
DEFAULT partition is deleted row by row. SQLite keeps one plain table:
every function here is a no-op there.

Functions take a SQLAlchemy Connection (a service passes `session.connection()`) and never commit.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection

PARENT = "events"
DEFAULT_PARTITION = "events_default"
PREFIX = "events_p"
DAYS_AHEAD = 7  # today .. today + 7: a week without the job still lands rows in their own day
_NAME = re.compile(r"^events_p(\d{8})$")


def partition_name(day: date) -> str:
    """The table name of one UTC day's partition (events_p20261207)."""
    return f"{PREFIX}{day:%Y%m%d}"


def partition_day(name: str) -> date | None:
    """The UTC day of a partition named by `partition_name`, None for any other table."""
    match = _NAME.match(name)
    return datetime.strptime(match.group(1), "%Y%m%d").date() if match else None


def is_event_partition(name: str | None, type_: str) -> bool:
    """True for a partition table of `events` (Alembic compares the parent only: the model)."""
    return type_ == "table" and bool(name) and (name == DEFAULT_PARTITION or partition_day(name) is not None)


def is_partitioned(conn: Connection) -> bool:
    """Whether `events` on this connection is a partitioned table (PostgreSQL after migration 0033)."""
    if conn.dialect.name != "postgresql":
        return False
    sql = "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)"
    return conn.exec_driver_sql(sql, (PARENT,)).first() is not None


def existing_days(conn: Connection) -> set[date]:
    """The UTC days that have a partition of their own."""
    sql = (
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)"
    )
    names = conn.exec_driver_sql(sql, (PARENT,)).scalars()
    return {day for name in names if (day := partition_day(name)) is not None}


def create_default(conn: Connection) -> None:
    """The DEFAULT partition: the safety net that takes rows of any day without a partition."""
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {PARENT} DEFAULT")


def _bounds(day: date) -> tuple[str, str]:
    """The partition bound literals of a UTC day: [day 00:00, next day 00:00)."""
    start = datetime.combine(day, time())
    return start.isoformat(sep=" "), (start + timedelta(days=1)).isoformat(sep=" ")


def create_day(conn: Connection, day: date) -> int:
    """Create the partition of one UTC day, moving its rows out of DEFAULT; the rows moved.

    The new table is filled while still detached and then attached: ATTACH PARTITION takes a
    lock that lets inserts and reads of the other days go on (CREATE TABLE .. PARTITION OF
    would lock the whole parent), and the moved rows stay in one transaction with it.
    """
    name, (start, end) = partition_name(day), _bounds(day)
    conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
    moved = conn.exec_driver_sql(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE created_at >= %s AND created_at < %s RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved",
        (start, end),
    ).rowcount
    conn.exec_driver_sql(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')")
    return moved


def ensure_days(conn: Connection, days: list[date]) -> list[date]:
    """Create the partitions of these days that do not exist yet (PostgreSQL only); the days created."""
    if not is_partitioned(conn):
        return []
    create_default(conn)
    have = existing_days(conn)
    created = [day for day in sorted(set(days)) if day not in have]
    for day in created:
        create_day(conn, day)
    return created


def ensure_ahead(conn: Connection, today: date, days_ahead: int = DAYS_AHEAD) -> list[date]:
    """Partitions for today and the next `days_ahead` UTC days; the days created."""
    return ensure_days(conn, [today + timedelta(days=n) for n in range(days_ahead + 1)])


def expired_days(conn: Connection, cutoff: datetime) -> list[date]:
    """The days with a partition of their own that end at or before `cutoff`, oldest first."""
    if not is_partitioned(conn):
        return []
    return sorted(day for day in existing_days(conn) if datetime.combine(day + timedelta(days=1), time()) <= cutoff)


def drop_day(conn: Connection, day: date) -> str:
    """Drop one day's partition (DROP TABLE: instant, whatever its rows); its name.

    It takes an ACCESS EXCLUSIVE lock on `events` (inserts wait) until the transaction ends:
    a caller that cares commits right after, and sets a lock_timeout first.
    """
    name = partition_name(day)
    conn.exec_driver_sql(f"DROP TABLE {name}")
    return name


def drop_before(conn: Connection, cutoff: datetime) -> list[str]:
    """Drop every day partition that ends at or before `cutoff` (whole days only); their names.

    All in the caller's transaction. Rows older than the cutoff in DEFAULT are the caller's DELETE.
    """
    return [drop_day(conn, day) for day in expired_days(conn, cutoff)]


def stray_days(conn: Connection, first: date, last: date) -> list[date]:
    """Days from `first` to `last` that have rows in DEFAULT (no partition of their own yet).

    Past days land there only through clock skew or a bulk load; the hourly job gives them
    their partition (create_day moves the rows), so the purge can later drop them whole.
    """
    if not is_partitioned(conn):
        return []
    low, high = datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())
    sql = (
        f"SELECT DISTINCT date_trunc('day', created_at)::date FROM {DEFAULT_PARTITION} "
        "WHERE created_at >= %s AND created_at < %s"
    )
    return sorted(conn.exec_driver_sql(sql, (low, high)).scalars())
