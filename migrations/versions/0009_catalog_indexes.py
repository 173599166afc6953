"""catalog indexes: one per shopper listing, and a full-text search index over products.search_text

Revision ID: 0009_catalog_indexes
Revises: 0008_catalog_generation
Create Date: 2026-11-30 09:10:00

products.search_text holds the folded title + description (storefront.catalog.rules.search_document);
it is filled here for the products already there. The search index over it is SQLite FTS5 (trigram)
or PostgreSQL pg_trgm (GIN), built from those rows (storefront.catalog.search_index).
"""

import sqlalchemy as sa
from alembic import op

from storefront.catalog import search_index
from storefront.catalog.rules import search_document

# revision identifiers, used by Alembic.
revision = "0009_catalog_indexes"
down_revision = "0008_catalog_generation"
branch_labels = None
depends_on = None

BATCH = 1000
LISTING_INDEXES = {
    "ix_products_listing": ["archived", "category_id", "created_at", "id"],
    "ix_products_category_price": ["archived", "category_id", "price", "id"],
    "ix_products_home": ["archived", "featured", "created_at", "id"],
    "ix_products_newest": ["archived", "created_at", "id"],
}


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    _fill_search_text()
    op.drop_index("ix_products_listing", table_name="products")
    for name, columns in LISTING_INDEXES.items():
        op.create_index(name, "products", columns, unique=False)
    search_index.create(op.get_bind())


def _fill_search_text():
    """search_text for every existing product, in batches (the same rule the service applies on save)."""
    bind = op.get_bind()
    products = sa.table(
        "products", sa.column("id", sa.Integer), sa.column("title", sa.String), sa.column("description_md", sa.Text)
    )
    update = sa.text("UPDATE products SET search_text = :text WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(
            sa.select(products.c.id, products.c.title, products.c.description_md)
            .where(products.c.id > last)
            .order_by(products.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(update, [{"id": r.id, "text": search_document(r.title, r.description_md)} for r in rows])
        last = rows[-1].id


def downgrade():
    search_index.drop(op.get_bind())
    for name in LISTING_INDEXES:
        op.drop_index(name, table_name="products")
    op.create_index("ix_products_listing", "products", ["archived", "category_id", "created_at"], unique=False)
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never batch mode's copy-and-drop of
    # the table: dropping `products` would cascade to variants, photos and cart lines.
    op.drop_column("products", "search_text")
