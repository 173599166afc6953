"""aftersales: requests (returns, exchanges, problems), their lines, photos, thread, steps, the return window;
manual refunds of cash and transfer orders

Revision ID: 0022_aftersales
Revises: 0021_reviews
Create Date: 2026-12-06 18:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_aftersales"
down_revision = "0021_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the after-sales tables and manual_refunds."""
    op.create_table(
        "aftersales_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("refusal", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("refund_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refund_key", sa.String(length=100), nullable=True),
        sa.Column("replacement_order_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("refund_amount >= 0", name=op.f("ck_aftersales_requests_refund_not_negative")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_aftersales_requests_decided_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_aftersales_requests_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["replacement_order_id"],
            ["orders.id"],
            name=op.f("fk_aftersales_requests_replacement_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersales_requests")),
        sa.UniqueConstraint("refund_key", name=op.f("uq_aftersales_requests_refund_key")),
    )
    with op.batch_alter_table("aftersales_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftersales_requests_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_aftersales_requests_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "aftersales_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_window_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("return_window_days >= 0", name=op.f("ck_aftersales_settings_window_not_negative")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_aftersales_settings_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersales_settings")),
    )
    op.create_table(
        "manual_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_manual_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_manual_refunds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_manual_refunds_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_manual_refunds_idempotency_key")),
    )
    with op.batch_alter_table("manual_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_refunds_order_id"), ["order_id"], unique=False)

    op.create_table(
        "aftersales_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["aftersales_requests.id"],
            name=op.f("fk_aftersales_messages_request_id_aftersales_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_aftersales_messages_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersales_messages")),
    )
    with op.batch_alter_table("aftersales_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftersales_messages_request_id"), ["request_id"], unique=False)

    op.create_table(
        "aftersales_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["aftersales_requests.id"],
            name=op.f("fk_aftersales_photos_request_id_aftersales_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersales_photos")),
        sa.UniqueConstraint("key", name=op.f("uq_aftersales_photos_key")),
    )
    with op.batch_alter_table("aftersales_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftersales_photos_request_id"), ["request_id"], unique=False)

    op.create_table(
        "aftersales_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["aftersales_requests.id"],
            name=op.f("fk_aftersales_steps_request_id_aftersales_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_aftersales_steps_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersales_steps")),
    )
    with op.batch_alter_table("aftersales_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftersales_steps_request_id"), ["request_id"], unique=False)

    op.create_table(
        "aftersales_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("exchange_variant_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_aftersales_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["exchange_variant_id"],
            ["variants.id"],
            name=op.f("fk_aftersales_lines_exchange_variant_id_variants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_aftersales_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["aftersales_requests.id"],
            name=op.f("fk_aftersales_lines_request_id_aftersales_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersales_lines")),
    )
    with op.batch_alter_table("aftersales_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftersales_lines_order_line_id"), ["order_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_aftersales_lines_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    """Drop the after-sales tables and manual_refunds (their indexes go with them)."""
    for table in (
        "aftersales_lines",
        "aftersales_steps",
        "aftersales_photos",
        "aftersales_messages",
        "manual_refunds",
        "aftersales_settings",
        "aftersales_requests",
    ):
        op.drop_table(table)
