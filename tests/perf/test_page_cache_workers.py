"""Without Redis each gunicorn worker caches pages in its own memory; a change still reaches all of them at once."""

from __future__ import annotations

import requests

from storefront.catalog.models import Product
from storefront.extensions import db
from tests.builders import make_product
from tests.helpers import _make_app
from tests.live_server import gunicorn

VIEWS = 24  # fresh connections each: the kernel spreads them over both workers


def test_every_worker_shows_a_price_change_on_its_next_request(db_url, tmp_path):
    shop = _make_app(db_url, tmp_path)
    app = next(shop)
    try:
        with app.app_context():
            product = make_product("Wicker basket", price=3200)
            product_id, path = product.id, f"/p/{product.slug}"
        with gunicorn(db_url, tmp_path / "media", workers=2, REDIS_URL="", CACHE_TYPE="") as base:
            warm = [requests.get(base + path, timeout=10) for _ in range(VIEWS)]
            assert all(r.status_code == 200 and "$32.00" in r.text for r in warm)
            with app.app_context():
                db.session.get(Product, product_id).price = 2900
                db.session.commit()
            after = [requests.get(base + url, timeout=10) for url in [path, "/", "/search?q=wicker"] * (VIEWS // 3)]
            stale = [r.url for r in after if "$32.00" in r.text or "$29.00" not in r.text]
            assert stale == [], "a worker served a page from before the change"
    finally:
        next(shop, None)
