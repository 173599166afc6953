"""refunds made in Stripe's dashboard, refund statuses, disputes

Revision ID: 0013_refunds_disputes
Revises: 0012_stripe_edges
Create Date: 2026-12-06 07:00:00

`disputes` records chargebacks Stripe reports (one row per Stripe dispute id); a seller's
commission on a disputed order is held (`commission_entries.held_at`) until the dispute closes.
Refunds made in the dashboard reuse `refunds` (its unique provider_ref de-duplicates them).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_refunds_disputes"
down_revision = "0012_stripe_edges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the disputes table and the commission hold."""
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("provider_ref", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_disputes_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_disputes_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_disputes_payment_id_payments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("provider_ref", name=op.f("uq_disputes_provider_ref")),
    )
    op.create_index(op.f("ix_disputes_closed_at"), "disputes", ["closed_at"], unique=False)
    op.create_index(op.f("ix_disputes_order_id"), "disputes", ["order_id"], unique=False)
    op.create_index(op.f("ix_disputes_payment_id"), "disputes", ["payment_id"], unique=False)
    # Plain ADD COLUMN, never batch mode's copy-and-drop of a table other rows refer to.
    op.add_column("commission_entries", sa.Column("held_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Drop the commission hold and the disputes table."""
    op.drop_column("commission_entries", "held_at")
    op.drop_index(op.f("ix_disputes_payment_id"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_order_id"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_closed_at"), table_name="disputes")
    op.drop_table("disputes")
