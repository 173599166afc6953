"""notifications: push subscriptions, back-in-stock watches, alert choices, email preferences, the send log

Revision ID: 0019_notifications
Revises: 0018_brand
Create Date: 2026-12-06 16:00:00

Also orders.locale: the shopper's language at checkout, the language of their order's messages
('' for orders placed before: the shop's default language).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_notifications"
down_revision = "0018_brand"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the notification tables and add orders.locale."""
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=False, server_default=""))
    op.create_table(
        "stock_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_stock_watches_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_watches")),
        sa.UniqueConstraint("token", name=op.f("uq_stock_watches_token")),
    )
    op.create_index("ix_stock_watches_variant_pending", "stock_watches", ["variant_id", "notified_at"])
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("endpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("watch_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN order_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN watch_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_push_subscriptions_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_push_subscriptions_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["stock_watches.id"],
            name=op.f("fk_push_subscriptions_watch_id_stock_watches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_push_subscriptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("order_id", "endpoint", name="uq_push_subscriptions_order_endpoint"),
        sa.UniqueConstraint("watch_id", "endpoint", name="uq_push_subscriptions_watch_endpoint"),
        sa.UniqueConstraint("user_id", "endpoint", name="uq_push_subscriptions_user_endpoint"),
    )
    op.create_index("ix_push_subscriptions_endpoint_hash", "push_subscriptions", ["endpoint_hash"])
    op.create_table(
        "alert_choices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_choices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_choices")),
    )
    op.create_table(
        "email_preferences",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("order_news", sa.Boolean(), nullable=False),
        sa.Column("other_news", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_email_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("channel IN ('push', 'email')", name=op.f("ck_notifications_channel_known")),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'gone', 'skipped')", name=op.f("ck_notifications_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_notifications_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("event_key", "channel", "recipient", name="uq_notifications_event_channel_recipient"),
    )
    op.create_index("ix_notifications_created", "notifications", ["created_at"])
    op.create_index("ix_notifications_order", "notifications", ["order_id"])


def downgrade() -> None:
    """Drop the notification tables and orders.locale."""
    op.drop_table("notifications")
    op.drop_table("email_preferences")
    op.drop_table("alert_choices")
    op.drop_table("push_subscriptions")
    op.drop_table("stock_watches")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("locale")
