"""rollup_days.refunds: money given back per shop day, so reports show net revenue

Revision ID: 0007_day_refunds
Revises: 0006_interest_bought
Create Date: 2026-11-30 09:00:00

"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_day_refunds"
down_revision = "0006_interest_bought"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rollup_days", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunds", sa.BigInteger(), server_default="0", nullable=False))
    _queue_refund_days()


def _queue_refund_days():
    """Queue every rolled-up day that may hold a refund for a recompute (the next catch-up fills it).

    Refunds are rare, so this is a handful of days. A day here is the shop's, which is within a
    day of the UTC date of the event: the UTC date and its neighbours are queued.
    """
    bind = op.get_bind()
    stamps = bind.execute(sa.text("SELECT created_at FROM events WHERE name = 'refund'")).scalars()
    days = set()
    for stamp in stamps:
        moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
        days.update(moment.date() + timedelta(days=offset) for offset in (-1, 0, 1))
    if not days:
        return
    rolled = {_day(d) for d in bind.execute(sa.text("SELECT day FROM rollup_days")).scalars()}
    queued = {_day(d) for d in bind.execute(sa.text("SELECT day FROM rollup_pending_days")).scalars()}
    pending = sa.table("rollup_pending_days", sa.column("day", sa.Date()))
    new = sorted((days & rolled) - queued)
    if new:
        op.bulk_insert(pending, [{"day": d} for d in new])


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def downgrade():
    with op.batch_alter_table("rollup_days", schema=None) as batch_op:
        batch_op.drop_column("refunds")
