"""rollup_interest.bought (precomputed "did buy" flag) and a covering index for the customers report

Revision ID: 0006_interest_bought
Revises: 0005_sellers_stores
Create Date: 2026-11-23 18:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_interest_bought"
down_revision = "0005_sellers_stores"
branch_labels = None
depends_on = None

# The same rule as storefront.analytics.rollup.mark_bought, for the rows already rolled up.
BACKFILL = """
UPDATE rollup_interest SET bought = EXISTS (
    SELECT 1 FROM report_orders
    JOIN order_lines ON order_lines.order_id = report_orders.order_id
    WHERE report_orders.cart_hash = rollup_interest.cart_hash
      AND report_orders.is_sale
      AND report_orders.created_at >= rollup_interest.first_seen
      AND order_lines.product_slug = rollup_interest.product_slug
) WHERE cart_hash IS NOT NULL
"""


def upgrade():
    with op.batch_alter_table("rollup_interest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bought", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(BACKFILL)
    with op.batch_alter_table("report_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_orders_sale_day_customer", ["is_sale", "day", "customer_key", "total"], unique=False
        )


def downgrade():
    with op.batch_alter_table("report_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_report_orders_sale_day_customer")
    with op.batch_alter_table("rollup_interest", schema=None) as batch_op:
        batch_op.drop_column("bought")
