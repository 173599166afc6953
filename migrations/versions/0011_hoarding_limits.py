"""hoarding limits: tunable cash-order limits and automatic release of unconfirmed cash orders

Revision ID: 0011_hoarding_limits
Revises: 0010_revocable_sessions
Create Date: 2026-12-06 06:00:00

orders.client_hash is an HMAC of the client's network address (never the address), counted
per open cash order; orders.phone gets an index for the per-phone count; order_limits holds
the owner's limits (one row; the config defaults apply until it is saved).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_hoarding_limits"
down_revision = "0010_revocable_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the client hash and phone index to orders, and the order_limits table."""
    # Plain ADD COLUMN / CREATE INDEX, never batch mode's copy-and-drop of `orders` (its
    # lines, history and stock movements refer to it).
    op.add_column("orders", sa.Column("client_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_orders_client_hash", "orders", ["client_hash"], unique=False)
    op.create_index("ix_orders_phone", "orders", ["phone"], unique=False)
    op.create_table(
        "order_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("max_units_per_order", sa.Integer(), nullable=False),
        sa.Column("max_open_per_phone", sa.Integer(), nullable=False),
        sa.Column("max_open_per_address", sa.Integer(), nullable=False),
        sa.Column("release_after_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "max_units_per_order >= 0 AND max_open_per_phone >= 0 AND max_open_per_address >= 0 "
            "AND release_after_hours >= 0",
            name=op.f("ck_order_limits_limits_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_order_limits_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_limits")),
    )


def downgrade() -> None:
    """Drop the limits table, the phone index and the client hash."""
    op.drop_table("order_limits")
    op.drop_index("ix_orders_phone", table_name="orders")
    op.drop_index("ix_orders_client_hash", table_name="orders")
    op.drop_column("orders", "client_hash")
