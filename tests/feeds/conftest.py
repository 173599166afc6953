"""Feed fixtures: each test's finished feeds in its own folder, a photographed catalog, feed links."""

from __future__ import annotations

import secrets

import pytest

from storefront.catalog.models import Photo, Product
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.feeds import build, cache, service
from tests.builders import make_category, make_product, make_user


@pytest.fixture(autouse=True)
def feed_cache(request, tmp_path):
    """Finished feeds go to this test's temporary folder, never to instance/."""
    folder = tmp_path / "feeds"
    for name in ("app", "sqlite_app"):
        if name in request.fixturenames:
            request.getfixturevalue(name).config["FEEDS_CACHE_DIR"] = str(folder)
    return folder


def add_photos(product: Product, *widths: str) -> list[Photo]:
    """Photo rows (no files: the feeds only name their renditions) in this order; committed."""
    photos = [
        Photo(product_id=product.id, key=secrets.token_hex(16), width=1024, height=768, widths=w, position=n)
        for n, w in enumerate(widths)
    ]
    db.session.add_all(photos)
    db.session.commit()
    return photos


def photographed(title: str, price: int = 1250, variants=(("", 5),), **kwargs) -> Product:
    """A committed product with one photo (the feeds leave out products without one)."""
    product = make_product(title, price, variants=variants, **kwargs)
    add_photos(product, "320,640,1024")
    return product


def make_link(fmt: str = "google", name: str = "Merchant Center") -> str:
    """A committed feed link of `fmt`; its raw token."""
    owner = make_user("feeds-owner@example.com", "owner")
    _link, token = service.create_link(db.session, name, fmt, owner.id, utcnow())
    db.session.commit()
    return token


def rebuild_feeds(app) -> list[str]:
    """What the background job does (build.rebuild, as jobs.rebuild calls it): the formats it built."""
    with app.app_context():
        built = build.rebuild(db.session, app.config, cache.cache_dir(app.config, app.instance_path))
        db.session.commit()
    return built


@pytest.fixture
def shelf(app):
    """A category with a two-variant product (one sold out) and a one-variant product."""
    with app.app_context():
        mugs = make_category("Mugs")
        two = photographed("Stoneware mug", 1250, variants=(("Blue", 4), ("Green", 0)), category=mugs)
        add_photos(two, "320,640", "320,640,1200,1600")  # two more: additional images, largest rendition
        one = photographed("Linen towel", 990, category=None)
        return {"two": two.id, "one": one.id, "category": mugs.id}
