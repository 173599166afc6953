"""rollup_products' dwell values as sorted uint32 binary with a bucket histogram (issue 22: the products page)

Revision ID: 0036_dwell_values_binary
Revises: 0035_rollup_open_day
Create Date: 2026-12-07 12:00:00

"""

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from storefront.analytics import rollup_rules as rr

# revision identifiers, used by Alembic.
revision = "0036_dwell_values_binary"
down_revision = "0035_rollup_open_day"
branch_labels = None
depends_on = None

BATCH_ROWS = 1000
BATCH_BYTES = 64 * 1024 * 1024  # of dwell values read at once (a busy day x product holds millions)
# Uncompressed, so that substr() reads only a slice's TOAST chunks: set before the rows are
# written (a column's storage applies to the values written after it is set).
STORAGE = "ALTER TABLE rollup_products ALTER COLUMN dwell_binary SET STORAGE EXTERNAL"

rows = sa.table(
    "rollup_products",
    sa.column("day", sa.Date),
    sa.column("product_slug", sa.String),
    sa.column("dwell_values", sa.Text),
    sa.column("dwell_sessions", sa.Integer),
    sa.column("dwell_total_ms", sa.BigInteger),
    sa.column("dwell_median_ms", sa.Integer),
    sa.column("dwell_binary", sa.LargeBinary),
    sa.column("dwell_histogram", sa.LargeBinary),
    sa.column("dwell_text", sa.Text),
)
KEY = (rows.c.day, rows.c.product_slug)


def batches(bind, size) -> Iterator[list[tuple]]:
    """The table's keys in batches of at most BATCH_ROWS rows and about BATCH_BYTES of values."""
    batch, volume = [], 0
    for day, slug, length in bind.execute(sa.select(*KEY, size).order_by(*KEY)):
        if batch and (len(batch) >= BATCH_ROWS or volume + (length or 0) > BATCH_BYTES):
            yield batch
            batch, volume = [], 0
        batch.append((day, slug))
        volume += length or 0
    if batch:
        yield batch


def convert(source, target: dict, bind) -> None:
    """Each row's `source` column, converted by target(row) -> new column values, one batch at a time."""
    for keys in batches(bind, sa.func.length(source)):
        found = bind.execute(sa.select(*KEY, source).where(sa.tuple_(*KEY).in_(keys))).all()
        update = (
            rows.update()
            .where(rows.c.day == sa.bindparam("k_day"), rows.c.product_slug == sa.bindparam("k_slug"))
            .values({name: sa.bindparam(name) for name in target["columns"]})
        )
        bind.execute(update, [{"k_day": d, "k_slug": s, **target["convert"](value)} for d, s, value in found])


def to_binary(text: str | None) -> dict:
    """A text row's values (space-separated) as rollup_rules stores them now (a session's dwell capped)."""
    values = sorted(rr.capped_dwell(int(v)) for v in (text or "").split())
    fields = rr.dwell_fields(values)
    return {
        "dwell_binary": fields["dwell_values"],
        "dwell_histogram": fields["dwell_histogram"],
        "dwell_total_ms": fields["dwell_total_ms"],
        "dwell_median_ms": fields["dwell_median_ms"],
    }


def to_text(blob: bytes | None) -> dict:
    return {"dwell_text": " ".join(map(str, rr.decode_values(blob)))}


def upgrade() -> None:
    """Add the binary columns, convert every row (in batches), then drop the text and take its name."""
    bind = op.get_bind()
    with op.batch_alter_table("rollup_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dwell_binary", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("dwell_histogram", sa.LargeBinary(), nullable=True))
    if bind.dialect.name == "postgresql":
        op.execute(STORAGE)
    columns = ("dwell_binary", "dwell_histogram", "dwell_total_ms", "dwell_median_ms")
    convert(rows.c.dwell_values, {"columns": columns, "convert": to_binary}, bind)
    with op.batch_alter_table("rollup_products", schema=None) as batch_op:
        batch_op.drop_column("dwell_values")
        batch_op.alter_column("dwell_binary", new_column_name="dwell_values", nullable=False)
        batch_op.alter_column("dwell_histogram", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    """Back to sorted, space-separated text (the histogram dropped)."""
    bind = op.get_bind()
    with op.batch_alter_table("rollup_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dwell_text", sa.Text(), nullable=True))
    convert(sa.type_coerce(rows.c.dwell_values, sa.LargeBinary), {"columns": ("dwell_text",), "convert": to_text}, bind)
    with op.batch_alter_table("rollup_products", schema=None) as batch_op:
        batch_op.drop_column("dwell_histogram")
        batch_op.drop_column("dwell_values")
        batch_op.alter_column("dwell_text", new_column_name="dwell_values", nullable=False)
