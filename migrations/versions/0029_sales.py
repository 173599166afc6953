"""sales: limited-time sale prices of products or variants

Revision ID: 0029_sales
Revises: 0028_promotions
Create Date: 2026-12-06 22:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029_sales"
down_revision = "0028_promotions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the sales table (catalog.models.Sale)."""
    op.create_table(
        "sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ends_at >= starts_at", name=op.f("ck_sales_sale_ends_after_start")),
        sa.CheckConstraint("kind IN ('fixed', 'percent')", name=op.f("ck_sales_sale_kind_known")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_sales_sale_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_sales_product_id_products"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_sales_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales")),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index("ix_sales_ends_at", ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_product_id"), ["product_id"], unique=False)


def downgrade() -> None:
    """Drop the sales table."""
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_product_id"))
        batch_op.drop_index("ix_sales_ends_at")

    op.drop_table("sales")
