"""pay by mobile money or bank transfer: the owner's transfer methods and transfer payments

Revision ID: 0014_transfer_payments
Revises: 0013_refunds_disputes
Create Date: 2026-12-06 07:00:00

Orders need no new column: payment_method "transfer" and status "awaiting_transfer" fit the
existing strings, and the hold deadline is orders.hold_expires_at, as for card orders.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_transfer_payments"
down_revision = "0013_refunds_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create transfer_methods and transfer_payments (one transaction id confirms one order, whatever the method)."""
    op.create_table(
        "transfer_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("currencies", sa.String(length=60), nullable=False),
        sa.Column("hold_hours", sa.Integer(), nullable=False),
        sa.Column("qr_key", sa.String(length=64), nullable=True),
        sa.Column("qr_width", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("hold_hours >= 1 AND hold_hours <= 168", name=op.f("ck_transfer_methods_hold_hours_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_methods")),
    )
    op.create_table(
        "transfer_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("method_id", sa.Integer(), nullable=False),
        sa.Column("method_name", sa.String(length=80), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("claimed_id", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("transaction_id", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_transfer_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_transfer_payments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["method_id"],
            ["transfer_methods.id"],
            name=op.f("fk_transfer_payments_method_id_transfer_methods"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["users.id"], name=op.f("fk_transfer_payments_received_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_payments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_transfer_payments_order_id")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_transfer_payments_transaction_id")),
    )
    op.create_index("ix_transfer_payments_method_id", "transfer_payments", ["method_id"], unique=False)


def downgrade() -> None:
    """Drop the transfer tables."""
    op.drop_index("ix_transfer_payments_method_id", table_name="transfer_payments")
    op.drop_table("transfer_payments")
    op.drop_table("transfer_methods")
