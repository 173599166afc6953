"""Migration 0009 builds the search text and index for the products a shop already has."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, text

from storefront.catalog.models import Product
from storefront.extensions import db


def _insert_product(conn, slug: str, title: str, description: str, archived: bool = False) -> None:
    """A product row as an older version of the shop wrote it (plain SQL: today's models know more)."""
    conn.execute(
        text(
            "INSERT INTO products (slug, title, description_md, description_html, price, featured, archived,"
            " created_at, updated_at) VALUES (:slug, :title, :md, '', 100, false, :archived,"
            " '2026-01-01 10:00:00', '2026-01-01 10:00:00')"
        ),
        {"slug": slug, "title": title, "md": description, "archived": archived},
    )


def test_migration_indexes_existing_products(empty_db_app):
    directory = empty_db_app.extensions["migrate"].directory
    with empty_db_app.app_context():
        upgrade(directory=directory, revision="0008_catalog_generation")
        with db.engine.begin() as conn:
            _insert_product(conn, "mug", "Crème Brûlée Mug", "Stoneware.")
            _insert_product(conn, "scarf", "真丝围巾", "柔软的桑蚕丝")
            _insert_product(conn, "hat", "Old wool hat", "Gone.", archived=True)
            conn.execute(
                text(
                    "INSERT INTO variants (product_id, sku, name, on_hand, reserved, low_stock_threshold, position,"
                    " archived) SELECT id, 'MUG-1', '', 4, 0, 3, 0, false FROM products WHERE slug = 'mug'"
                )
            )
        upgrade(directory=directory)
    client = empty_db_app.test_client()
    for query, title in (("creme", "Crème Brûlée Mug"), ("桑蚕丝", "真丝围巾"), ("围巾", "真丝围巾")):
        page = client.get("/search", query_string={"q": query})
        assert page.status_code == 200 and title in page.text, query
    assert "Old wool hat" not in client.get("/search?q=wool").text
    with empty_db_app.app_context():  # bulk inserts after the migration (bench/scale.py's way) are indexed too
        row = {"slug": "oak-bowl", "title": "Handmade oak bowl", "description_md": "Oiled.", "price": 900}
        db.session.execute(insert(Product), [row])
        db.session.commit()
    assert "Handmade oak bowl" in client.get("/search?q=oak+bowl").text
    with empty_db_app.app_context():
        downgrade(directory=directory, revision="0008_catalog_generation")
        with db.engine.connect() as conn:
            columns = [c["name"] for c in db.inspect(conn).get_columns("products")]
            variants = conn.execute(text("SELECT count(*) FROM variants")).scalar()
        assert "search_text" not in columns
        assert variants == 1, "the downgrade kept the products' variants (no table rebuild cascading deletes)"
