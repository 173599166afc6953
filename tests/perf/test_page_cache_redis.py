"""The page cache in Redis: two app instances (two servers) share it, and see each other's changes at once.

A change made through one instance bumps the catalog generation in the shared database, so the
other's very next page is fresh although the stale copy is still in Redis. Redis being down
costs speed, never a page.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import event

from storefront.catalog.models import Product
from storefront.extensions import db
from tests.builders import make_product
from tests.helpers import REDIS_URL, _make_app


@pytest.fixture
def redis_client(redis_url):
    """A client of the test Redis (tests/conftest.py's redis_url: CI has it and must not skip)."""
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=2)


@pytest.fixture
def two_instances(db_url, tmp_path, redis_client):
    """Apps A and B on one database and one Redis (a fresh key prefix); yields (a, b, prefix)."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    settings = {"CACHE_TYPE": "", "REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix}
    shops = [_make_app(db_url, tmp_path, settings) for _ in range(2)]
    a, b = (next(shop) for shop in shops)
    yield a, b, prefix
    for shop in shops:
        next(shop, None)
    keys = list(redis_client.scan_iter(f"{prefix}*"))
    if keys:
        redis_client.delete(*keys)


def _catalog_reads(app) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, *args):
        if "products" in statement:
            seen.append(statement)

    return seen


def test_two_instances_share_pages_and_see_each_others_changes(two_instances, redis_client):
    a, b, prefix = two_instances
    assert a.config["CACHE_TYPE"] == b.config["CACHE_TYPE"] == "RedisCache"
    with a.app_context():
        product = make_product("Clay pot", price=2500)
        product_id, url = product.id, f"/p/{product.slug}"
    assert "$25.00" in a.test_client().get(url).get_data(as_text=True)
    assert len(list(redis_client.scan_iter(f"{prefix}page:*"))) == 1, "A stored the page in Redis"

    reads_b = _catalog_reads(b)
    page_b = b.test_client().get(url).get_data(as_text=True)
    assert "$25.00" in page_b and reads_b == [], "B served A's page from Redis without reading the catalog"

    with a.app_context():  # the owner changes the price through server A
        db.session.get(Product, product_id).price = 1999
        db.session.commit()
    page_b = b.test_client().get(url).get_data(as_text=True)
    assert "$19.99" in page_b and "$25.00" not in page_b, "B's very next response has the new price"
    assert len(reads_b) > 0, "B rendered the page again"

    with b.app_context():  # and the other way round
        db.session.get(Product, product_id).title = "Clay pot, glazed"
        db.session.commit()
    assert "Clay pot, glazed" in a.test_client().get(url).get_data(as_text=True)


def test_redis_down_serves_pages_uncached_with_a_log_line(db_url, tmp_path, caplog):
    settings = {"CACHE_TYPE": "", "REDIS_URL": "redis://127.0.0.1:1/0", "CACHE_KEY_PREFIX": "down:"}
    shop = _make_app(db_url, tmp_path, settings)
    app = next(shop)
    try:
        with app.app_context():
            product = make_product("Rain hat", price=1500)
            product_id, url = product.id, f"/p/{product.slug}"
        client = app.test_client()
        with caplog.at_level(logging.WARNING, logger="storefront.core.pagecache"):
            for path in ("/", url, "/search?q=rain", url):
                response = client.get(path)
                assert response.status_code == 200 and "Rain hat" in response.get_data(as_text=True), path
        assert any("page cache unavailable" in r.getMessage() for r in caplog.records)
        with app.app_context():
            db.session.get(Product, product_id).price = 1200
            db.session.commit()
        assert "$12.00" in client.get(url).get_data(as_text=True)
    finally:
        next(shop, None)
