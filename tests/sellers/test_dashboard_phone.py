"""The seller's dashboard on a phone: top products first with price, a search, sold-out hidden, pages, copy buttons."""

from __future__ import annotations

import re

import pytest

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import service
from storefront.sellers.share_list import PER_PAGE, parse_page
from tests.builders import ShopClient, make_product
from tests.sellers.builders import make_order, make_seller, touched


@pytest.fixture
def seller_shop(sqlite_app):
    """Seller ANNA24 with one sale of the coat; 14 scarves on sale and one sold-out hat."""
    with sqlite_app.app_context():
        coat = make_product("Wool coat", price=12000)
        for n in range(14):
            make_product(f"Silk scarf {n:02d}", price=2500)
        make_product("Straw hat", price=1500, variants=(("One size", 0),))
        make_seller("ANNA24", email="anna@sellers.example")
        order = make_order([(coat, 1)])
        service.credit_order(db.session, order, touched(("ANNA24", utcnow())), utcnow())
        db.session.commit()
    shop = ShopClient(sqlite_app.test_client())
    assert shop.login("anna@sellers.example").status_code == 303
    return shop


def _share_list(html: str) -> list[str]:
    return re.findall(r'data-share-product="([^"]+)"', html)


def test_top_products_come_first_with_their_price(seller_shop):
    html = seller_shop.client.get("/seller/").text
    top = html[html.index('id="top-products"') : html.index("</ol>")]
    assert "Wool coat" in top and "$120.00" in top and "1 sold" in top
    assert html.index('id="top-products"') < html.index('class="stats"') < html.index('id="share-list"')


def test_sold_out_is_hidden_until_asked_and_the_list_is_paged(seller_shop):
    first = seller_shop.client.get("/seller/").text
    assert len(_share_list(first)) == PER_PAGE and "straw-hat" not in first
    assert "15 products" in first and "1 sold out not shown" in first
    assert 'rel="next" href="/seller/?page=2#share-list"' in first
    second = seller_shop.client.get("/seller/?page=2").text
    assert len(_share_list(second)) == 15 - PER_PAGE
    assert not set(_share_list(first)) & set(_share_list(second))
    with_sold_out = seller_shop.client.get("/seller/?q=hat&sold_out=1").text
    assert _share_list(with_sold_out) == ["straw-hat"] and "Sold out" in with_sold_out
    assert 'name="sold_out" value="1" checked' in with_sold_out


def test_the_search_is_server_side_and_odd_input_is_harmless(seller_shop):
    html = seller_shop.client.get("/seller/?q=SCARF 03").text
    assert _share_list(html) == ["silk-scarf-03"] and 'value="SCARF 03"' in html
    none = seller_shop.client.get("/seller/?q=<b>nothing</b>&page=-4")
    assert none.status_code == 200 and _share_list(none.text) == []
    assert "No product matches “&lt;b&gt;nothing&lt;/b&gt;”." in none.text
    assert seller_shop.client.get("/seller/?page=999").status_code == 200
    assert seller_shop.client.get("/seller/?page=abc").status_code == 200
    assert (parse_page("abc"), parse_page("-3"), parse_page(None), parse_page("2")) == (1, 1, 1, 2)


def test_every_link_has_a_copy_button_and_a_live_region(seller_shop):
    html = seller_shop.client.get("/seller/").text
    fields = re.findall(r'<input id="([^"]+)" type="url" value="[^"]+" readonly data-copy-field>', html)
    buttons = re.findall(r'data-copy-for="([^"]+)"', html)
    assert fields and fields == buttons  # one Copy button per link, hidden until copy.js shows it
    assert 'role="status" data-copy-status data-msg-copied="Copied"' in html
    assert "js/copy.js" in html


def test_top_products_no_longer_on_sale_are_plain_text_without_a_link_or_price(seller_shop, sqlite_app):
    from sqlalchemy import update

    from storefront.catalog.models import Product

    with sqlite_app.app_context():
        db.session.execute(update(Product).where(Product.slug == "wool-coat").values(status="draft"))
        db.session.commit()
    html = seller_shop.client.get("/seller/").text
    top = html[html.index('id="top-products"') : html.index("</ol>")]
    assert "Wool coat" in top and "Not on sale now" in top and "1 sold" in top
    assert "wool-coat" not in top and 'class="price"' not in top


def test_the_search_finds_every_product_however_large_the_shop(sqlite_app):
    """Searched in SQL, not over the first 200 products: the oldest product is still found and counted."""
    with sqlite_app.app_context():
        make_product("Velvet cushion 100%", price=900)  # the oldest: last in the share list's order
        for n in range(205):
            make_product(f"Cotton tee {n:03d}", price=1000)
        make_product("Draft velvet", price=900).status = "draft"
        make_seller("BEN7", email="ben@sellers.example")
        db.session.commit()
    shop = ShopClient(sqlite_app.test_client())
    assert shop.login("ben@sellers.example").status_code == 303
    html = shop.client.get("/seller/?q=VELVET").text
    assert _share_list(html) == ["velvet-cushion-100"]  # a draft is never offered for sharing
    assert _share_list(shop.client.get("/seller/?q=100%25").text) == ["velvet-cushion-100"]  # % is literal
    everything = shop.client.get("/seller/?page=21").text
    assert "206 products" in everything and _share_list(everything)
