"""Bytes a first-time shopper downloads for a page: its HTML, CSS and JS, as the app sends them.

Each file is fetched three times through the app (no proxy in front): with no Accept-Encoding,
with `gzip` and with `br`, and the transferred body is counted. Photos are left out (listed
apart). Run on the demo shop: `.venv/bin/python -m tests.perf.page_weight`.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from storefront import create_app
from storefront.config import TestConfig
from storefront.extensions import db
from tests.builders import ShopClient

ENCODINGS = ("identity", "gzip", "br")
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="(/[^"]+)"')
PHOTO = re.compile(r'<img [^>]*src="(/media/[^"]+)"')


def demo_app(folder: Path):
    """The shop with the demo catalogue on a SQLite file in `folder`."""
    from storefront.demo import seed_catalog, seed_stores_and_seller

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'shop.db'}", MEDIA_ROOT=str(folder / "media"))
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_catalog(db.session)
        seed_stores_and_seller(db.session)
        db.session.commit()
    return app


def transferred(client, url: str) -> dict[str, int]:
    """Body bytes sent for `url` under each Accept-Encoding (what goes over the wire)."""
    sizes = {}
    for encoding in ENCODINGS:
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200, (url, response.status_code)
        sizes[encoding] = len(response.get_data())
    return sizes


def shopper_pages(client) -> dict[str, str]:
    """Home, a category, a product and the cart with that product in it."""
    home = client.get("/").text
    category = re.search(r'href="(/c/[^"?]+)"', home).group(1)
    product = re.search(r'href="(/p/[^"?]+)"', home).group(1)
    variant = re.search(r'name="variant_id" value="(\d+)"', client.get(product).text).group(1)
    assert ShopClient(client).add(int(variant), 1).status_code == 303
    return {"home": "/", "category": category, "product": product, "cart": "/cart"}


def page_weight(client, path: str) -> dict:
    """Per-file and total transferred bytes of one page (photos counted apart)."""
    html = client.get(path).text
    rows = [("html", path, transferred(client, path))]
    for url in ASSET.findall(html):
        kind = "css" if ".css" in url else "js"
        rows.append((kind, url, transferred(client, url)))
    totals = {e: sum(r[2][e] for r in rows) for e in ENCODINGS}
    photos = sorted(set(PHOTO.findall(html)))
    return {"path": path, "rows": rows, "totals": totals, "photos": len(photos)}


def measure() -> dict[str, dict]:
    """Page weights of the four shopper pages of the demo shop."""
    with tempfile.TemporaryDirectory() as folder:
        app = demo_app(Path(folder))
        client = app.test_client()
        return {name: page_weight(client, path) for name, path in shopper_pages(client).items()}


def print_table(weights: dict[str, dict], out=sys.stdout) -> None:
    """One block per page: each file's raw / gzip / br bytes as sent, then kind subtotals and total."""
    line = "{:<9} {:<44} {:>8} {:>8} {:>8}"
    for name, weight in weights.items():
        print(f"\n{name} ({weight['path']}), photos apart: {weight['photos']} <img>", file=out)
        print(line.format("kind", "file", "raw", "gzip", "br"), file=out)
        for kind, url, sizes in weight["rows"]:
            print(line.format(kind, url.split("?")[0][-44:], *(sizes[e] for e in ENCODINGS)), file=out)
        for kind in ("html", "css", "js"):
            sub = [r[2] for r in weight["rows"] if r[0] == kind]
            print(line.format(kind, "(subtotal)", *(sum(s[e] for s in sub) for e in ENCODINGS)), file=out)
        print(line.format("total", "HTML+CSS+JS", *(weight["totals"][e] for e in ENCODINGS)), file=out)


if __name__ == "__main__":
    print_table(measure())
