"""Chat-preview images of sellers' pages and collections: drawn once per content version, long-cached."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from storefront.catalog.images import render_demo_photo, store_upload
from storefront.extensions import db
from storefront.showcase import preview
from tests.builders import add_demo_photos, make_product
from tests.sellers.builders import make_seller
from tests.showcase.public_helpers import make_collection, seller_by_code, set_picks


@pytest.fixture
def pictured(app):
    """Anna with a photo and four picks with photos; her collection of the same four, and a fifth product."""
    with app.app_context():
        products = [make_product(title, price=1000 + i) for i, title in enumerate(["Coat", "Scarf", "Tea", "Lamp"])]
        for product in products:
            add_demo_photos(product, 1, size=(700, 700))
        make_product("Cap", price=700)
        anna = make_seller("ANNA24")
        anna.photo_key = store_upload(render_demo_photo("Anna", 3, (500, 500)), Path(app.config["MEDIA_ROOT"])).key
        db.session.commit()
        set_picks(anna, products)
        make_collection(anna, "Eid gifts", "eid-gifts-k3f9q", products)
    return app


@pytest.fixture
def drawings(monkeypatch):
    """Counts the images drawn."""
    calls: list[str] = []
    real = preview.render

    def counting(drawing):
        calls.append(drawing.kind)
        return real(drawing)

    monkeypatch.setattr(preview, "render", counting)
    return calls


def _og_image(html: str) -> str:
    return re.search(r'property="og:image" content="http://localhost([^"]+)"', html).group(1)


def _files(app, prefix: str) -> list[str]:
    folder = Path(app.config["MEDIA_ROOT"]) / "share"
    return sorted(p.name for p in folder.glob(f"{prefix}-*.jpg")) if folder.exists() else []


@pytest.mark.parametrize(
    ("page", "prefix"), [("/s/ANNA24", "s"), ("/collections/eid-gifts-k3f9q", "c")], ids=["seller", "collection"]
)
def test_a_preview_is_drawn_once_per_content_version(pictured, drawings, page, prefix):
    client = pictured.test_client()
    url = _og_image(client.get(page).text)
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert "immutable" in first.headers["Cache-Control"] and "max-age=31536000" in first.headers["Cache-Control"]
    with Image.open(io.BytesIO(first.data)) as image:
        assert image.size == (1200, 630) and image.format == "JPEG"
    assert len(first.data) < 300_000, "chat apps skip big previews"
    assert drawings == [prefix] and len(_files(pictured, prefix)) == 1
    assert client.get(url).status_code == 200 and drawings == [prefix], "the second request is not redrawn"

    stale = client.get(url.split("?")[0] + "?v=0000000000000000")
    assert stale.status_code == 302 and stale.headers["Location"].endswith(url)

    with pictured.app_context():  # a change of what is drawn: a new version, URL and file
        if prefix == "s":
            anna = seller_by_code("ANNA24")
            anna.user.name = "Anna Rahman"
        else:
            from sqlalchemy import select

            from storefront.showcase.models import Collection

            db.session.scalars(select(Collection)).one().title = "Eid gifts under 1000"
        db.session.commit()
    new_url = _og_image(client.get(page).text)
    assert new_url != url
    assert client.get(new_url).status_code == 200 and drawings == [prefix, prefix]
    assert client.get(url).status_code == 302, "the old version redirects to the new one"
    assert len(_files(pictured, prefix)) == 1, "the older file is removed"


def test_a_reorder_of_the_first_products_changes_the_collage(pictured):
    client = pictured.test_client()
    html = client.get("/s/ANNA24").text
    with pictured.app_context():
        key = seller_by_code("ANNA24").photo_key
    assert f'<img src="/media/{key}-320.jpg"' in html, "the seller's photo is on their page"
    url = _og_image(html)
    with pictured.app_context():
        from sqlalchemy import select

        from storefront.catalog.models import Product

        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        set_picks(seller_by_code("ANNA24"), [products[1], products[0], *products[2:4]])
    assert _og_image(client.get("/s/ANNA24").text) != url
    with pictured.app_context():
        seller_by_code("ANNA24").bio = "Not drawn."
        db.session.commit()
    after_bio = _og_image(client.get("/s/ANNA24").text)
    with pictured.app_context():
        seller_by_code("ANNA24").bio = "Still not drawn."
        db.session.commit()
    assert _og_image(client.get("/s/ANNA24").text) == after_bio, "what is not drawn does not change the version"


def test_drawing_without_any_photo_works(tmp_path):
    drawing = preview.Drawing(kind="c", owner_id=7, title="Empty ☃ list", subtitle="By Anna", portrait=None, photos=())
    path = preview.ensure_image(tmp_path, drawing)
    with Image.open(path) as image:
        assert image.size == (1200, 630)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    other = preview.Drawing(kind="s", owner_id=7, title="A", subtitle="B", portrait=broken, photos=(broken, None, None))
    assert preview.ensure_image(tmp_path, other).exists()


def test_characters_the_font_cannot_draw_are_left_out_not_boxed():
    font = preview.share_image._font(52, True)  # noqa: SLF001
    text = preview._drawable("Eid gifts under ৳1,000", font)  # noqa: SLF001
    if isinstance(font, preview.ImageFont.FreeTypeFont):
        assert text == "Eid gifts under 1,000"
    assert "৳" not in text
