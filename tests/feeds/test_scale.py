"""A 2,000-product feed is read in a bounded number of queries (batches, never one query per product)."""

from __future__ import annotations

import secrets

from sqlalchemy import insert

from storefront.catalog.models import Photo, Product, Variant
from storefront.extensions import db
from storefront.feeds.service import BATCH
from tests.feeds.conftest import make_link
from tests.feeds.test_views import counted_queries

PRODUCTS = 2000


def bulk_catalog(count: int) -> None:
    """`count` published products with two variants and two photos each, inserted in bulk."""
    rows = [
        {"slug": f"p-{n}", "title": f"Product {n}", "description_html": "<p>Nice.</p>", "price": 100 + n}
        for n in range(count)
    ]
    ids = list(db.session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True), rows))
    variants = [
        {"product_id": pid, "sku": f"P{pid}-{v}", "name": v, "on_hand": n % 3, "position": i}
        for n, pid in enumerate(ids)
        for i, v in enumerate(("S", "L"))
    ]
    db.session.execute(insert(Variant), variants)
    photos = [
        {
            "product_id": pid,
            "key": secrets.token_hex(16),
            "width": 800,
            "height": 600,
            "widths": "320,800",
            "position": i,
        }
        for pid in ids
        for i in range(2)
    ]
    db.session.execute(insert(Photo), photos)
    db.session.commit()


def test_a_2000_product_feed_takes_a_bounded_number_of_queries(app, client):
    with app.app_context():
        bulk_catalog(PRODUCTS)
        token = make_link("meta")
    with counted_queries(app) as queries:
        response = client.get(f"/feeds/{token}/meta.csv")
        body = response.get_data(as_text=True)
    assert body.count("\n") == 1 + 2 * PRODUCTS, "a header and one row per variant"
    catalog_reads = [q for q in queries if "FROM products" in q or "FROM variants" in q or "FROM photos" in q]
    batches = -(-PRODUCTS // BATCH)
    assert len(catalog_reads) == 3 * batches + 1, "the published ids, then three queries per batch"
    assert len(queries) <= 3 * batches + 15, f"{len(queries)} statements for {PRODUCTS} products"
