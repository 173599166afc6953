"""product status: draft -> published -> archived, replacing products.archived

Revision ID: 0016_product_status
Revises: 0015_jobs
Create Date: 2026-12-06 12:10:00

A product the owner is still preparing is a draft, unseen by shoppers. The products a shop
already has keep what shoppers saw: on sale ones become published, archived ones stay archived.
The shopper listing indexes are rebuilt led by the new column. A CHECK constraint keeps the
column to the three known statuses (a typo such as 'publised' would hide a product silently); it
is declared on the added column itself, which SQLite's ALTER TABLE ADD COLUMN accepts (no batch
copy of the table) and which lets SQLite's DROP COLUMN remove the column again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_product_status"
down_revision = "0015_jobs"
branch_labels = None
depends_on = None

LISTING_INDEXES = {
    "ix_products_listing": ["category_id", "created_at", "id"],
    "ix_products_category_price": ["category_id", "price", "id"],
    "ix_products_home": ["featured", "created_at", "id"],
    "ix_products_newest": ["created_at", "id"],
}


STATUS_KNOWN = "status IN ('draft', 'published', 'archived')"


def upgrade():
    """Add products.status from products.archived, re-lead the listing indexes, drop archived."""
    status_known = sa.CheckConstraint(STATUS_KNOWN, name=op.f("ck_products_product_status_known"))
    op.add_column(
        "products",
        sa.Column("status", sa.String(length=16), status_known, server_default="published", nullable=False),
    )
    op.execute(sa.text("UPDATE products SET status = 'archived' WHERE archived = true"))
    _rebuild_indexes("status")
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never batch mode's copy of the table:
    # dropping `products` would cascade to variants, photos and cart lines (see 0009).
    op.drop_column("products", "archived")


def downgrade():
    """Back to products.archived; drafts become archived (they were never on sale)."""
    op.add_column("products", sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE products SET archived = true WHERE status <> 'published'"))
    _rebuild_indexes("archived")
    op.drop_column("products", "status")


def _rebuild_indexes(leading: str) -> None:
    """Drop the listing indexes and create them again led by `leading`."""
    for name, columns in LISTING_INDEXES.items():
        op.drop_index(name, table_name="products")
        op.create_index(name, "products", [leading, *columns], unique=False)
