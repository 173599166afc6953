"""After an add without script, the page offers the cart and the checkout; cart and summary lines show thumbnails."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from tests.builders import CHECKOUT_PICKUP, ShopClient, add_demo_photos, make_product, variant_ids

JSON = {"Accept": "application/json"}


@pytest.fixture
def coat_and_hat(app) -> dict:
    """A coat with two photos and a hat without; a title with markup to check escaping."""
    with app.app_context():
        coat = make_product("Wool <b>coat</b>", variants=(("M", 20),))
        add_demo_photos(coat, 2, size=(800, 1000))
        hat = make_product("Felt hat", variants=(("", 20),))
        return {"coat": variant_ids(coat)[0], "hat": variant_ids(hat)[0], "coat_url": f"/p/{coat.slug}"}


def _flash(html: str) -> str:
    match = re.search(r'<p class="flash flash-success">(.*?)</p>', html, re.S)
    assert match, "a success flash is shown"
    return match.group(1)


def test_an_add_without_script_lands_back_with_view_cart_and_checkout(shop, coat_and_hat):
    form = {"variant_id": coat_and_hat["coat"], "quantity": 1, "next": coat_and_hat["coat_url"]}
    added = shop.post("/cart/add", form)
    assert added.status_code == 303 and added.headers["Location"] == coat_and_hat["coat_url"]
    flash = _flash(shop.client.get(coat_and_hat["coat_url"]).text)
    assert str(escape("Added Wool <b>coat</b> — M to your cart.")) in flash, "the owner's title stays text"
    assert "<b>" not in flash
    assert '<a class="btn" href="/cart">View cart</a>' in flash
    assert '<a class="btn btn-primary" href="/checkout">Checkout</a>' in flash


def test_a_script_add_gets_the_plain_message(shop, coat_and_hat):
    answer = shop.add(coat_and_hat["hat"], 1, headers=JSON)
    assert answer.status_code == 200
    assert answer.json == {"ok": True, "message": "Added Felt hat to your cart.", "count": 1}


def test_cart_updates_flash_no_links(shop, coat_and_hat):
    shop.add(coat_and_hat["hat"], 1)
    shop.client.get("/cart")  # the add's flash, shown once
    updated = shop.post("/cart/update", {"variant_id": coat_and_hat["hat"], "quantity": 2})
    assert updated.status_code == 303
    flash = _flash(shop.client.get("/cart").text)
    assert flash == "Cart updated."


def test_the_links_are_translated(app, coat_and_hat):
    spanish = ShopClient(app.test_client())
    spanish.client.set_cookie("locale", "es")
    spanish.add(coat_and_hat["hat"], 1)
    flash = _flash(spanish.client.get("/cart").text)
    assert ">Ver carrito</a>" in flash and ">Finalizar compra</a>" in flash


def test_cart_and_checkout_lines_show_a_thumbnail_or_a_placeholder(shop, coat_and_hat):
    shop.add(coat_and_hat["coat"], 1)
    shop.add(coat_and_hat["hat"], 1)
    for url in ("/cart", "/checkout"):
        html = shop.client.get(url).text
        thumbs = re.findall(r'<picture class="thumb">.*?</picture>', html, re.S)
        assert len(thumbs) == 1, f"{url}: the coat has a photo"
        img = re.search(r"<img [^>]+>", thumbs[0]).group(0)
        assert 'loading="lazy"' in img and 'alt=""' in img and re.search(r'width="\d+" height="\d+"', img)
        assert re.search(r"/media/[0-9a-f]+-320\.jpg", img), "the smallest rendition"
        assert re.search(r'type="image/webp" srcset="/media/[0-9a-f]+-320\.webp"', thumbs[0])
        assert html.count('<span class="thumb noimg" aria-hidden="true"></span>') == 1, f"{url}: the hat has none"


def test_the_cart_page_stays_one_query_with_photos(app, shop, coat_and_hat):
    """Thumbnails come with the cart's one joined SELECT, not a query per line."""
    from sqlalchemy import event

    from storefront.extensions import db

    shop.add(coat_and_hat["coat"], 1)
    shop.add(coat_and_hat["hat"], 1)
    shop.client.get("/cart")  # the flash
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert shop.client.get("/cart").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1, statements


def test_checkout_still_places_the_order(shop, coat_and_hat):
    shop.add(coat_and_hat["coat"], 1)
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303
