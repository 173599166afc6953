"""reminders: reminder_settings, reminder_messages; carts.customer_id and carts.reminded_at

Revision ID: 0031_reminders
Revises: 0030_campaigns
Create Date: 2026-12-06 22:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031_reminders"
down_revision = "0030_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the reminder settings and log; give carts their customer and reminder time."""
    op.create_table(
        "reminder_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_on", sa.Boolean(), nullable=False),
        sa.Column("stock_on", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("cart_hours", sa.Integer(), nullable=False),
        sa.Column("lapse_on", sa.Boolean(), nullable=False),
        sa.Column("lapse_factor_pct", sa.Integer(), nullable=False),
        sa.Column("lapse_min_days", sa.Integer(), nullable=False),
        sa.Column("lapse_code", sa.String(length=40), nullable=False),
        sa.Column("push_on", sa.Boolean(), nullable=False),
        sa.Column("email_on", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("cart_hours >= 1 AND cart_hours <= 720", name=op.f("ck_reminder_settings_cart_hours_range")),
        sa.CheckConstraint(
            "lapse_factor_pct >= 100 AND lapse_factor_pct <= 1000", name=op.f("ck_reminder_settings_lapse_factor_range")
        ),
        sa.CheckConstraint(
            "lapse_min_days >= 1 AND lapse_min_days <= 3650", name=op.f("ck_reminder_settings_lapse_min_days_range")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_reminder_settings_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_settings")),
    )
    op.create_table(
        "reminder_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('cart', 'lapse')", name=op.f("ck_reminder_messages_kind_known")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reminder_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_messages")),
        sa.UniqueConstraint("key", "channel", name="uq_reminder_messages_key_channel"),
    )
    with op.batch_alter_table("reminder_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_messages_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_reminder_messages_queued_at", ["queued_at"], unique=False)
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_carts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_carts_customer_id_customers"), "customers", ["customer_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    """Drop the carts' reminder columns and the reminder tables."""
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_carts_customer_id_customers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_carts_customer_id"))
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("customer_id")
    with op.batch_alter_table("reminder_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_messages_queued_at")
        batch_op.drop_index(batch_op.f("ix_reminder_messages_customer_id"))
    op.drop_table("reminder_messages")
    op.drop_table("reminder_settings")
