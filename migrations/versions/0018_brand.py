"""brand: the owner's brand settings (name, logo, colours, hero, announcement, contact, notes)

Revision ID: 0018_brand
Revises: 0017_product_video
Create Date: 2026-12-06 12:00:00

One row (id 1) holding the brand as JSON, inserted here empty ('{}' means: the configured defaults),
so saving the brand only ever updates it (two first saves cannot race into two inserts).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_brand"
down_revision = "0017_product_video"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the brand_settings table with its one (empty: the defaults) row."""
    op.create_table(
        "brand_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_brand_settings_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_settings")),
    )
    op.execute(sa.text("INSERT INTO brand_settings (id, data, updated_at) VALUES (1, '{}', CURRENT_TIMESTAMP)"))


def downgrade() -> None:
    """Drop the brand_settings table."""
    op.drop_table("brand_settings")
