"""the open day counts the events it folded (issue 22): a day closes from its fold when none was missed

Revision ID: 0037_open_day_count
Revises: 0036_dwell_values_binary
Create Date: 2026-12-07 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0037_open_day_count"
down_revision = "0036_dwell_values_binary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the count at 0: an open day folded before this counts short, so it closes by a full
    recompute as before (exact either way)."""
    with op.batch_alter_table("rollup_open_days", schema=None) as batch_op:
        batch_op.add_column(sa.Column("events_folded", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    """Drop the count (every day then closes by a full recompute)."""
    with op.batch_alter_table("rollup_open_days", schema=None) as batch_op:
        batch_op.drop_column("events_folded")
