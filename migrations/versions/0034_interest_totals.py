"""interest report at scale (issue 22): per day x product interest totals, indexes on rollup_interest

Revision ID: 0034_interest_totals
Revises: 0033_events_partitioned
Create Date: 2026-12-07 09:40:00

rollup_interest_totals sums a day's interest rows per product (analytics.interest_totals builds
it after the rollup; the reports read it instead of every session's row). Its foreign key to
rollup_days deletes a day's totals whenever the rollup recomputes the day. Three indexes on
rollup_interest: (day, product_slug, visitor_id) for building the totals in index order and
probing a visitor's other sessions, (product_slug, dwell_ms) for one product's sessions longest
dwell first (the drill-down stops at its limit), and a partial one on the bought rows, which
the report subtracts live. The table starts empty: the next rollup run (or interest page)
fills it; until then the report sums the rows as before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034_interest_totals"
down_revision = "0033_events_partitioned"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_interest_totals",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_slug", sa.String(length=120), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("long_dwell", sa.Integer(), nullable=False),
        sa.Column("carted", sa.Integer(), nullable=False),
        sa.Column("cart_units", sa.Integer(), nullable=False),
        sa.Column("dwell_total_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["day"], ["rollup_days.day"], name=op.f("fk_rollup_interest_totals_day_rollup_days"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("day", "product_slug", name=op.f("pk_rollup_interest_totals")),
    )
    op.create_index(
        "ix_rollup_interest_day_product_visitor", "rollup_interest", ["day", "product_slug", "visitor_id"], unique=False
    )
    op.create_index(
        "ix_rollup_interest_product_slug_dwell", "rollup_interest", ["product_slug", "dwell_ms"], unique=False
    )
    op.create_index(
        "ix_rollup_interest_bought_day",
        "rollup_interest",
        ["day"],
        unique=False,
        postgresql_where=sa.text("bought"),
        sqlite_where=sa.text("bought = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_rollup_interest_bought_day", table_name="rollup_interest")
    op.drop_index("ix_rollup_interest_product_slug_dwell", table_name="rollup_interest")
    op.drop_index("ix_rollup_interest_day_product_visitor", table_name="rollup_interest")
    op.drop_table("rollup_interest_totals")
