"""shop_pages: the shop's own pages (about, shipping, returns, privacy, terms, contact) per language

Revision ID: 0023_shop_pages
Revises: 0022_aftersales
Create Date: 2026-12-06 19:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_shop_pages"
down_revision = "0022_aftersales"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create shop_pages: one row per page and language, unique per (slug, locale)."""
    op.create_table(
        "shop_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "slug IN ('about', 'shipping', 'returns', 'privacy', 'terms', 'contact')",
            name=op.f("ck_shop_pages_shop_page_slug_known"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_shop_pages_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_pages")),
        sa.UniqueConstraint("slug", "locale", name="uq_shop_pages_slug_locale"),
    )


def downgrade() -> None:
    """Drop shop_pages."""
    op.drop_table("shop_pages")
