"""the incremental rollup (issue 22): days' fold state (watermark, sessions, carts); interest rows by cart

Revision ID: 0034_rollup_open_day
Revises: 0033_events_partitioned
Create Date: 2026-12-07 09:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0035_rollup_open_day"
down_revision = "0034_interest_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the fold-state tables (empty: the next rollup rebuilds the open day from its events),
    and index rollup_interest by cart (a changed order re-marks its cart's rows)."""
    op.create_table(
        "rollup_open_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("events_floor", sa.BigInteger(), nullable=False),
        sa.Column("folded_ranges", sa.Text(), nullable=False),
        sa.Column("final", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_rollup_open_days")),
    )
    op.create_table(
        "rollup_open_sessions",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_key", sa.String(length=40), nullable=False),
        sa.Column("visitor_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day", "session_key", name=op.f("pk_rollup_open_sessions")),
    )
    with op.batch_alter_table("rollup_open_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_open_sessions_day_visitor_id", ["day", "visitor_id"], unique=False)
    op.create_table(
        "rollup_open_carts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cart_hash", sa.String(length=32), nullable=False),
        sa.Column("session_key", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("day", "cart_hash", "session_key", name=op.f("pk_rollup_open_carts")),
    )
    with op.batch_alter_table("rollup_interest", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_interest_cart_hash", ["cart_hash"], unique=False)


def downgrade() -> None:
    """Drop them (the open day's rows stay; the next full recompute of it is exact anyway)."""
    with op.batch_alter_table("rollup_interest", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_interest_cart_hash")
    op.drop_table("rollup_open_carts")
    with op.batch_alter_table("rollup_open_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_open_sessions_day_visitor_id")
    op.drop_table("rollup_open_sessions")
    op.drop_table("rollup_open_days")
