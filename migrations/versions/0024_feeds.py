"""feed_links: private, revocable addresses of the Google and Meta product feeds

Revision ID: 0024_feeds
Revises: 0023_shop_pages
Create Date: 2026-12-06 19:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_feeds"
down_revision = "0023_shop_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create feed_links (only the SHA-256 of each token is stored)."""
    op.create_table(
        "feed_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_fetched_at", sa.DateTime(), nullable=True),
        sa.Column("fetch_count", sa.Integer(), nullable=False, server_default="0"),
        sa.CheckConstraint("format IN ('google', 'meta')", name=op.f("ck_feed_links_feed_format_known")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_feed_links_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_links_token_hash")),
    )


def downgrade() -> None:
    """Drop feed_links."""
    op.drop_table("feed_links")
