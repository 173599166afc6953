"""Shopper catalog pages: listings, sorting, paging, search, product page states, safe text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from storefront.catalog import service
from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.extensions import db
from tests.builders import make_category, make_product


@pytest.fixture
def shelf(app):
    """A category with 15 products priced 1.00 .. 15.00 (newest is the most expensive)."""
    with app.app_context():
        category = make_category("Kitchen")
        for n in range(1, 16):
            make_product(f"Mug {n:02d}", price=n * 100, category=category, variants=(("", 5),))
    return "kitchen"


def _titles(html: str) -> list[str]:
    return re.findall(r'<span class="card-title">([^<]+)</span>', html)


def test_category_pages_sort_and_paginate(client, shelf):
    first = client.get("/c/kitchen")
    assert first.status_code == 200 and "15 products" in first.text
    assert _titles(first.text)[0] == "Mug 15" and len(_titles(first.text)) == 12
    assert 'rel="next"' in first.text
    second = client.get("/c/kitchen?page=2")
    assert _titles(second.text) == ["Mug 03", "Mug 02", "Mug 01"]
    cheap = client.get("/c/kitchen?sort=price_asc")
    assert _titles(cheap.text)[:3] == ["Mug 01", "Mug 02", "Mug 03"]
    dear = client.get("/c/kitchen?sort=price_desc&page=2")
    assert _titles(dear.text) == ["Mug 03", "Mug 02", "Mug 01"]
    for odd in ("?page=0", "?page=-4", "?page=abc", "?page=99999999", "?sort=drop+table", "?page=2.5"):
        assert client.get("/c/kitchen" + odd).status_code == 200, odd
    assert client.get("/c/nope").status_code == 404


def test_search_matches_every_word_and_handles_odd_queries(client, app):
    with app.app_context():
        make_product("Wool coat", description="Warm *merino* for winter")
        make_product("Rain coat", description="Keeps you dry")
        make_product("100% cotton tee", description="Soft_and_light")
    assert set(_titles(client.get("/search?q=coat").text)) == {"Wool coat", "Rain coat"}
    assert _titles(client.get("/search?q=COAT+merino").text) == ["Wool coat"]
    assert _titles(client.get("/search?q=100%25").text) == ["100% cotton tee"]
    assert _titles(client.get("/search?q=%25").text) == ["100% cotton tee"], "% is a character, not a wildcard"
    assert _titles(client.get("/search?q=_").text) == ["100% cotton tee"]
    empty = client.get("/search?q=")
    assert empty.status_code == 200 and "Type what you are looking for" in empty.text
    long = client.get("/search?q=" + "coat+" * 2000)
    assert long.status_code == 200 and "first words" in long.text
    for odd in ("'; DROP TABLE products; --", "<script>alert(1)</script>", "\\", "%00", "😀", "a" * 5000):
        response = client.get("/search", query_string={"q": odd})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.text


def test_product_page_stock_states_and_photos(client, app):
    with app.app_context():
        product = make_product(
            "Knit jumper", price=4000, variants=(("S", 12), ("M", 3), ("L", 0)), overrides={"L": 4500}
        )
        slug, (small, _medium, large) = product.slug, [v.id for v in product.variants]
    html = client.get(f"/p/{slug}").text
    assert "In stock" in html and "Only 3 left" in html and "Sold out" in html
    assert re.search(rf'value="{large}"[^>]*disabled', html)
    assert re.search(rf'value="{small}"[^>]*checked', html)
    assert "from $40.00" in html and "$45.00" in html
    with app.app_context():
        for variant in db.session.get(Product, product.id).variants:
            variant.on_hand = 0
        db.session.commit()
    sold_out = client.get(f"/p/{slug}").text
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>', sold_out)


def test_product_photos_are_responsive(client, app):
    from storefront.catalog.images import render_demo_photo

    with app.app_context():
        product = make_product("Vase")
        from pathlib import Path

        for seed in (1, 2):
            photo = render_demo_photo("Vase", seed, (1200, 900))
            service.store_photo(db.session, product, photo, Path(app.config["MEDIA_ROOT"]), alt="Blue vase")
        db.session.commit()
        slug = product.slug
    html = client.get(f"/p/{slug}").text
    imgs = re.findall(r"<img [^>]+>", html)
    assert len(imgs) == 2
    assert 'fetchpriority="high"' in imgs[0] and 'loading="lazy"' in imgs[1], "only photos below the fold wait"
    for img in imgs:
        assert 'width="1200"' in img and 'height="900"' in img and 'alt="Blue vase"' in img
        assert "640w" in img and "1024w" in img
    assert html.count('type="image/webp"') == 2
    webp = re.search(r'srcset="(/media/[0-9a-f]+-320\.webp) 320w', html).group(1)
    response = client.get(webp)
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/notahexname-320.webp").status_code == 404


class _Tags(HTMLParser):
    """Collect real tags and attributes (not text) from HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_script_in_names_and_descriptions_never_executes(client, app):
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) "
        '<a href="javascript:alert(4)">x</a> <iframe src=//evil></iframe> **bold**'
    )
    with app.app_context():
        product = make_product("<script>alert('t')</script><img src=x onerror=alert(5)>", description=hostile)
        slug = product.slug
    for url in (f"/p/{slug}", "/", "/search?q=script"):
        parser = _Tags()
        parser.feed(client.get(url).text)
        for tag, attrs in parser.tags:
            # A JSON-LD element (storefront/seo) is data, never run.
            runs = tag == "script" and "src" not in attrs and attrs.get("type") != "application/ld+json"
            assert tag not in ("iframe",) and not runs, (url, tag)
            assert not any(name.startswith("on") for name in attrs), (url, tag, attrs)
            assert not any((value or "").strip().lower().startswith("javascript:") for value in attrs.values())
    page = client.get(f"/p/{slug}").text
    assert "<strong>bold</strong>" in page, "the allowed Markdown still renders"


def test_archived_products_are_gone_for_shoppers(client, app):
    with app.app_context():
        product = make_product("Old hat")
        product.archived = True
        db.session.commit()
        slug = product.slug
    assert client.get(f"/p/{slug}").status_code == 404
    assert "Old hat" not in client.get("/").text
    assert "Old hat" not in client.get("/search?q=hat").text


def test_unique_slugs(app):
    with app.app_context():
        first = make_product("Tote bag")
        second = make_product("Tote bag")
        assert (first.slug, second.slug) == ("tote-bag", "tote-bag-2")
        renamed = service.save_product(
            db.session,
            first,
            title="Tote bag",
            slug="tote-bag",
            description_md="",
            price=100,
            category_id=None,
            featured=False,
            now=utcnow(),
        )
        assert renamed.slug == "tote-bag"


def test_a_search_that_finds_nothing_suggests_categories(client, app):
    with app.app_context():
        make_product("Linen shirt", category=make_category("Shirts"))
        make_product("Tea towel", category=make_category("Kitchen"))
        make_product("Blue mug", category=make_category("Mugs & cups"))
        make_category("Empty shelf")
        make_product("Hidden lamp", category=make_category("Lamps")).status = "draft"
        make_product("Old rug", category=make_category("Rugs")).status = "archived"
        db.session.commit()
    html = client.get("/search", query_string={"q": "shrts"}).text
    assert "No products match “shrts”." in html
    assert 'Did you mean <a href="/c/shirts">Shirts</a>?' in html, "the nearest category name"
    browse = re.search(r'<nav class="cats suggest-cats"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'<a href="/c/([^"]+)">', browse) == ["kitchen", "mugs-cups", "shirts"], (
        "only shelves with a product on sale"
    )
    assert "Mugs &amp; cups" in browse
    unlike = client.get("/search", query_string={"q": "zzqx"}).text
    assert "Did you mean" not in unlike and "suggest-cats" in unlike, "no guess when nothing is near"
    found = client.get("/search", query_string={"q": "mug"}).text
    assert "suggest-cats" not in found and "Did you mean" not in found
    spanish = app.test_client()
    spanish.set_cookie("locale", "es")
    translated = spanish.get("/search", query_string={"q": "shrts"}).text
    assert "Ningún producto coincide" in translated and "¿Quisiste decir" in translated
    assert "Explora las categorías" in translated


def test_the_nearest_category_ignores_case_accents_and_extra_words(app):
    with app.app_context():
        make_product("Ramekin", category=make_category("Crème brûlée"))
        make_product("Coat", category=make_category("Clothing"))
        assert service.search_suggestions(db.session, "CLOTHNG").nearest.name == "Clothing"
        assert service.search_suggestions(db.session, "blue clothng").nearest.name == "Clothing"
        assert service.search_suggestions(db.session, "creme brulee").nearest.name == "Crème brûlée"
        assert service.search_suggestions(db.session, "mug").nearest is None


def test_the_nearest_category_is_never_an_empty_shelf(app):
    with app.app_context():
        make_category("Clothing")
        make_product("Draft coat", category=make_category("Clothes")).status = "draft"
        db.session.commit()
        assert service.search_suggestions(db.session, "clothng").nearest is None
        assert service.search_suggestions(db.session, "clothng").browse == []
