"""order_lines.variant_id index: segments find a product's buyers from its variants' lines

Revision ID: 0027_segments_more
Revises: 0025_customers
Create Date: 2026-12-06 22:25:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0027_segments_more"
down_revision = "0025_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index order lines by variant (bought / never bought in segments without scanning every line)."""
    op.create_index("ix_order_lines_variant_id", "order_lines", ["variant_id"], unique=False)


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_order_lines_variant_id", table_name="order_lines")
