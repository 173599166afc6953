"""catalog_generation: the one-row version of what shopper pages show (keys of the page cache)

Revision ID: 0008_catalog_generation
Revises: 0007_day_refunds
Create Date: 2026-11-30 08:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_catalog_generation"
down_revision = "0007_day_refunds"
branch_labels = None
depends_on = None


def upgrade():
    # The row itself is created on first use, with a random epoch (storefront.catalog.generation).
    op.create_table(
        "catalog_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_generation")),
    )


def downgrade():
    op.drop_table("catalog_generation")
