"""Sellers' pages and collections as shoppers see them: order, prices, stock, 404s, cache freshness, sitemap."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update

from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from storefront.showcase.models import SellerPick
from tests.builders import make_product
from tests.sellers.builders import make_seller
from tests.showcase.public_helpers import make_collection, reorder, seller_by_code, set_picks, titles_in_order

ROOT = Path(__file__).resolve().parents[2]
TITLES = ["Wool coat", "Silk scarf", "Tea set", "Draft lamp"]


@pytest.fixture
def showroom(app):
    """Anna (ANNA24) picks three products and a draft; a collection of hers and one of the shop's."""
    with app.app_context():
        coat = make_product("Wool coat", price=5000, variants=(("M", 10),))
        scarf = make_product("Silk scarf", price=1500, variants=(("One", 0),))  # sold out
        tea = make_product("Tea set", price=2500, variants=(("One", 4),))
        lamp = make_product("Draft lamp", price=900)
        lamp.status = "draft"
        db.session.commit()
        anna = make_seller("ANNA24")
        anna.bio = "I pick warm things."
        anna.whatsapp = "+880 1711-000000"
        db.session.commit()
        set_picks(anna, [tea, lamp, scarf, coat])
        make_collection(anna, "Eid gifts", "eid-gifts-k3f9q", [scarf, coat, lamp, tea])
        make_collection(anna, "Secret", "secret-aaaaa", [coat], hidden=True)
        make_collection(None, "New this week", "new-this-week-bbbbb", [coat, tea])
    return app


def test_a_seller_page_shows_their_picks_in_order_with_prices_stock_and_collections(showroom):
    client = showroom.test_client()
    page = client.get("/s/anna24")
    assert page.status_code == 200, "the code is case-insensitive"
    html = page.text
    assert "<h1>Anna24</h1>" in html and "I pick warm things." in html
    assert titles_in_order(html, TITLES) == ["Tea set", "Silk scarf", "Wool coat"], "their order, no draft"
    assert html.count("Sold out") == 1, "the sold-out pick is shown as such, not hidden"
    assert "$50.00" in html and "$25.00" in html
    assert 'href="/collections/eid-gifts-k3f9q"' in html
    assert "secret-aaaaa" not in html, "a hidden collection is not linked"
    assert "wa.me/" not in html and "tel:" not in html, "no contact unless the seller shows it"
    assert '<link rel="canonical" href="http://localhost/s/ANNA24">' in html
    assert 'property="og:image" content="http://localhost/og/s/ANNA24.jpg?v=' in html
    assert 'property="og:title" content="Anna24"' in html
    assert "private" in page.headers["Cache-Control"], "the first visit sets the attribution cookie"
    again = client.get("/s/ANNA24")
    assert again.headers["Cache-Control"] == "no-cache" and again.headers.get("ETag"), (
        "seen again, the page sets no cookie: the service worker may keep it for offline"
    )


def test_contact_is_shown_only_when_the_seller_chooses(showroom):
    with showroom.app_context():
        seller_by_code("ANNA24").show_contact = True
        db.session.commit()
    html = showroom.test_client().get("/s/ANNA24").text
    assert 'href="https://wa.me/8801711000000"' in html and 'href="tel:+8801711000000"' in html


def test_a_collection_shows_its_products_in_order_its_maker_and_a_share_box(showroom):
    client = showroom.test_client()
    page = client.get("/collections/eid-gifts-k3f9q")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Eid gifts</h1>" in html and "About Eid gifts" in html
    assert titles_in_order(html, TITLES) == ["Silk scarf", "Wool coat", "Tea set"], "draft products are absent"
    assert "Sold out" in html
    assert 'A collection by <a href="/s/ANNA24">Anna24</a>' in html
    assert 'value="http://localhost/collections/eid-gifts-k3f9q" readonly' in html
    assert 'href="/qr/collections/eid-gifts-k3f9q.svg"' in html
    assert "https://wa.me/?text=Eid%20gifts%20http%3A//localhost/collections/eid-gifts-k3f9q" in html
    assert "data-share-box" in html and "js/share.js" in html
    assert 'property="og:image" content="http://localhost/og/collections/eid-gifts-k3f9q.jpg?v=' in html
    shop_page = client.get("/collections/new-this-week-bbbbb").text
    assert "A collection by Storefront" in shop_page or "A collection by" in shop_page


def test_a_shop_collection_shares_with_the_visiting_sellers_code(showroom):
    client = showroom.test_client()
    html = client.get("/collections/new-this-week-bbbbb?ref=ANNA24").text
    assert 'value="http://localhost/collections/new-this-week-bbbbb?ref=ANNA24" readonly' in html
    assert 'href="/qr/collections/new-this-week-bbbbb.svg?ref=ANNA24"' in html
    plain = showroom.test_client().get("/collections/new-this-week-bbbbb").text
    assert 'value="http://localhost/collections/new-this-week-bbbbb" readonly' in plain, "cached copies vary by code"


def test_the_qr_code_encodes_the_collection_link(showroom):
    client = showroom.test_client()
    svg = client.get("/qr/collections/eid-gifts-k3f9q.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and "<svg" in svg.text
    assert client.get("/qr/collections/new-this-week-bbbbb.svg?ref=bad!").status_code == 422
    assert client.get("/qr/collections/new-this-week-bbbbb.svg?ref=NOPE99").status_code == 404
    assert client.get("/qr/collections/new-this-week-bbbbb.svg?ref=ANNA24").status_code == 200
    assert client.get("/qr/collections/secret-aaaaa.svg").status_code == 404


@pytest.mark.parametrize("change", ["page_hidden", "disabled", "unapproved", "account_off"])
def test_a_hidden_or_disabled_sellers_page_and_collections_answer_404(showroom, change):
    client = showroom.test_client()
    assert client.get("/s/ANNA24").status_code == 200  # cached now: the change must still be seen at once
    assert client.get("/collections/eid-gifts-k3f9q").status_code == 200
    with showroom.app_context():
        anna = seller_by_code("ANNA24")
        if change == "page_hidden":
            anna.page_hidden = True
        elif change == "disabled":
            anna.active = False
        elif change == "unapproved":
            anna.approved_at = None
        else:
            anna.user.active = False
        db.session.commit()
    assert client.get("/s/ANNA24").status_code == 404
    assert client.get("/collections/eid-gifts-k3f9q").status_code == 404
    assert client.get("/og/s/ANNA24.jpg").status_code == 404
    assert client.get("/collections/new-this-week-bbbbb").status_code == 200, "the shop's own is unaffected"


def test_unknown_and_hidden_collections_and_bad_input_answer_404(showroom):
    client = showroom.test_client()
    assert client.get("/collections/secret-aaaaa").status_code == 404
    assert client.get("/collections/nope-zzzzz").status_code == 404
    assert client.get("/s/NOPE99").status_code == 404
    for bad in ("x" * 300, "%3Cscript%3E", "-", "..", "ÄÖ"):
        assert client.get(f"/s/{bad}").status_code == 404, bad
        assert client.get(f"/collections/{bad}").status_code == 404, bad


def test_changes_show_at_once_despite_the_page_cache(showroom):
    client = showroom.test_client()
    first = client.get("/collections/eid-gifts-k3f9q")
    again = client.get("/collections/eid-gifts-k3f9q", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304, "served from the cache while nothing changed"
    with showroom.app_context():
        coat, scarf, tea = (db.session.scalars(db.select(Product).where(Product.title == t)).one() for t in TITLES[:3])
        reorder("eid-gifts-k3f9q", [tea, coat, scarf])
    html = client.get("/collections/eid-gifts-k3f9q").text
    assert titles_in_order(html, TITLES) == ["Tea set", "Wool coat", "Silk scarf"], "a reorder is seen at once"

    before = client.get("/s/ANNA24").text
    assert titles_in_order(before, TITLES) == ["Tea set", "Silk scarf", "Wool coat"]
    with showroom.app_context():
        anna = seller_by_code("ANNA24")
        coat_id = db.session.scalars(db.select(Product.id).where(Product.title == "Wool coat")).one()
        # a bulk statement on the picks (as a reorder might be written) is seen too
        mine = (SellerPick.seller_id == anna.id, SellerPick.product_id == coat_id)
        db.session.execute(update(SellerPick).where(*mine).values(position=-1))
        db.session.commit()
    assert titles_in_order(client.get("/s/ANNA24").text, TITLES)[0] == "Wool coat"

    with showroom.app_context():
        seller_by_code("ANNA24").bio = "New bio."
        db.session.commit()
    assert "New bio." in client.get("/s/ANNA24").text, "a profile change is seen at once"

    with showroom.app_context():
        scarf = db.session.scalars(db.select(Product).where(Product.title == "Silk scarf")).one()
        adjust_stock(db.session, scarf.variants[0].id, 5, "restock", utcnow(), None)
        db.session.commit()
    assert "Sold out" not in client.get("/s/ANNA24").text, "a product's stock change is seen at once"


def test_owed_money_changes_do_not_empty_the_page_cache(showroom):
    client = showroom.test_client()
    etag = client.get("/s/ANNA24").headers["ETag"]
    with showroom.app_context():
        seller_by_code("ANNA24").owed += 100
        db.session.commit()
    assert client.get("/s/ANNA24", headers={"If-None-Match": etag}).status_code == 304


def test_the_sitemap_lists_public_seller_pages_and_visible_collections(showroom):
    client = showroom.test_client()
    xml = client.get("/sitemap.xml").text
    assert "http://localhost/s/ANNA24</loc>" in xml
    assert "http://localhost/collections/eid-gifts-k3f9q</loc>" in xml
    assert "http://localhost/collections/new-this-week-bbbbb</loc>" in xml
    assert "secret-aaaaa" not in xml
    with showroom.app_context():
        seller_by_code("ANNA24").page_hidden = True
        db.session.commit()
    xml = client.get("/sitemap.xml").text
    assert "/s/ANNA24" not in xml and "eid-gifts-k3f9q" not in xml
    assert "new-this-week-bbbbb" in xml


def test_the_service_worker_keeps_seller_pages_and_collections_for_offline(sqlite_app):
    source = (ROOT / "service-worker.js").read_text()
    pattern = re.search(r"const PAGE_PATTERN = /(.+)/;", source).group(1).replace("\\/", "/")
    page_pattern = re.compile(pattern)
    for path in ("/s/ANNA24", "/collections/eid-gifts-k3f9q", "/p/wool-coat", "/"):
        assert page_pattern.search(path), path
    for path in ("/seller", "/seller/collections", "/sitemap.xml"):
        assert not page_pattern.search(path), path
    assert "s\\/|collections\\/" in sqlite_app.test_client().get("/service-worker.js").text


# --- in a real browser: a seller's page opened from a chat link works offline afterwards -----------
