"""Issue 7's budget: a first visit to a shopper page costs at most 30 kB of HTML, CSS and JS
over the wire (compressed as the app sends it; photos apart)."""

from __future__ import annotations

import io

from PIL import Image

from storefront import demo
from storefront.demo import seed_catalog, seed_stores_and_seller
from storefront.extensions import db
from tests.perf.page_weight import page_weight, shopper_pages

BUDGET_BYTES = 30_000


def _plain_photo(title: str, seed: int, size: tuple[int, int], **_picture: object) -> bytes:
    """A flat photo of the demo's size: the page markup is the same, drawing it is not needed."""
    out = io.BytesIO()
    Image.new("RGB", size, (seed * 40 % 256, 120, 90)).save(out, "PNG")
    return out.getvalue()


def test_shopper_pages_fit_the_first_visit_budget(sqlite_app, monkeypatch):
    monkeypatch.setattr(demo, "render_demo_photo", _plain_photo)
    with sqlite_app.app_context():
        seed_catalog(db.session)
        seed_stores_and_seller(db.session)
        db.session.commit()
    client = sqlite_app.test_client()
    for name, path in shopper_pages(client).items():
        weight = page_weight(client, path)
        kinds = {kind for kind, _url, _sizes in weight["rows"]}
        assert kinds == {"html", "css", "js"}, (name, kinds)
        totals = weight["totals"]
        assert totals["gzip"] <= BUDGET_BYTES and totals["br"] <= BUDGET_BYTES, (name, totals)
        assert totals["br"] < totals["gzip"] < totals["identity"] / 2, (name, totals)
