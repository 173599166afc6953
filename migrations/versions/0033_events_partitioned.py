"""events partitioned by day on PostgreSQL (issue 22): the existing rows move, ids and sequence kept

Revision ID: 0033_events_partitioned
Revises: 0032_seller_pages
Create Date: 2026-12-07 05:20:00

The old table is renamed, a partitioned `events` is made LIKE it (same columns, defaults and
the same id sequence), with a DEFAULT partition, a partition per UTC day that holds rows and
the next week's days; the rows are copied by one INSERT .. SELECT (ids kept), the indexes are
built once the rows are in, and the old table goes. The sequence is handed to the new table
first, so new ids continue after the last one. SQLite keeps its plain table: nothing to do.
"""

from datetime import timedelta

from alembic import op

from storefront.analytics import partitions
from storefront.clock import utcnow

# revision identifiers, used by Alembic.
revision = "0033_events_partitioned"
down_revision = "0032_seller_pages"
branch_labels = None
depends_on = None

INDEXES = (
    "CREATE INDEX ix_events_created_at ON events USING brin (created_at)",
    "CREATE INDEX ix_events_name_created_at ON events (name, created_at)",
    "CREATE INDEX ix_events_product_slug_created_at ON events (product_slug, created_at)",
)
INDEX_NAMES = ("ix_events_created_at", "ix_events_name_created_at", "ix_events_product_slug_created_at")


def _move(conn, old: str, create: str, primary_key: str) -> None:
    """Rename events to `old`, create the new events by `create`, copy every row, keep the sequence."""
    conn.exec_driver_sql(f"ALTER TABLE events RENAME TO {old}")
    for name in INDEX_NAMES:  # index and constraint names are per schema: free them for the new table
        conn.exec_driver_sql(f"DROP INDEX {name}")
    conn.exec_driver_sql(f"ALTER TABLE {old} DROP CONSTRAINT pk_events")
    conn.exec_driver_sql(create.format(old=old))
    conn.exec_driver_sql(f"ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY ({primary_key})")
    sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{old}', 'id')").scalar_one()
    conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} OWNED BY events.id")  # else DROP TABLE takes it along


def upgrade() -> None:
    """PostgreSQL: move the events into a table partitioned by UTC day."""
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _move(
        conn,
        "events_unpartitioned",
        "CREATE TABLE events (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)",
        "id, created_at",
    )
    days = conn.exec_driver_sql("SELECT DISTINCT created_at::date FROM events_unpartitioned").scalars().all()
    today = utcnow().date()
    ahead = [today + timedelta(days=n) for n in range(partitions.DAYS_AHEAD + 1)]
    partitions.ensure_days(conn, [*days, *ahead])  # and the DEFAULT partition
    conn.exec_driver_sql("INSERT INTO events SELECT * FROM events_unpartitioned")
    conn.exec_driver_sql("DROP TABLE events_unpartitioned")
    for sql in INDEXES:
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql("ANALYZE events")


def downgrade() -> None:
    """PostgreSQL: back to one plain events table (every row and id kept)."""
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _move(conn, "events_partitioned", "CREATE TABLE events (LIKE {old} INCLUDING DEFAULTS)", "id")
    conn.exec_driver_sql("INSERT INTO events SELECT * FROM events_partitioned")
    conn.exec_driver_sql("DROP TABLE events_partitioned")  # its partitions go with it
    for sql in INDEXES:
        conn.exec_driver_sql(sql)
