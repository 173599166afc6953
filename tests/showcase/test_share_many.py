"""Several products in one share (issue 21 item 3): the message's rules, the seller's page, and credit.

The message's rules are pure (showcase.share); the page /seller/share is for sellers only, drops
what is not on sale, says so, and answers 422 when nothing is left; a link from the message, opened
by a new shopper who then orders, credits the seller (and a later seller link still wins).
"""

from __future__ import annotations

import functools
import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from storefront.auth import models as auth_models
from storefront.catalog import sales
from storefront.catalog.sale_rules import PERCENT, SaleTerms
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.money import format_money
from storefront.sellers.models import CommissionEntry
from storefront.showcase import share
from tests.builders import CHECKOUT_DELIVERY, ShopClient, add_demo_photos, make_product, make_user
from tests.sellers.builders import make_seller

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile"
WORDS = share.Wording(
    heading="From Anna at Shop:",
    ranged=lambda price: f"from {price}",
    was=lambda price, regular: f"{price} (was {regular})",
)


def usd(amount: int) -> str:
    return format_money(amount, "USD", "en")


@pytest.fixture(autouse=True)
def quick_password_hash(monkeypatch):
    """One hashing round keeps sign-ins fast (these tests are not about hashing)."""
    monkeypatch.setattr(
        auth_models, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    )


def _item(title: str, price: int, regular: int | None = None, ranged: bool = False) -> share.ShareItem:
    slug = title.lower().replace(" ", "-")
    link = f"http://shop.test/p/{slug}?ref=ANNA24"
    return share.ShareItem(None, title, link, price, regular or price, ranged, False, None)


# --- the pure rules -----------------------------------------------------------------------------


def test_pick_slugs_keeps_order_drops_repeats_and_blanks_and_caps_the_count():
    picked = share.pick_slugs(["b", "a", "", "b", "  c ", "x" * 500, "A"])
    assert picked.slugs == ["b", "a", "c"] and picked.over_limit == 0
    many = share.pick_slugs([f"p{n}" for n in range(13)])
    assert many.slugs == [f"p{n}" for n in range(share.MAX_PRODUCTS)] and many.over_limit == 3
    assert share.MAX_PRODUCTS == 10


def test_the_message_has_a_first_line_then_one_line_per_product_in_order():
    items = [_item("Wool coat", 5000), _item("Silk scarf", 1500, regular=2000), _item("Hat", 900, ranged=True)]
    text = share.message(items, usd, WORDS)
    assert text.splitlines() == [
        "From Anna at Shop:",
        "Wool coat — $50.00 — http://shop.test/p/wool-coat?ref=ANNA24",
        "Silk scarf — $15.00 (was $20.00) — http://shop.test/p/silk-scarf?ref=ANNA24",
        "Hat — from $9.00 — http://shop.test/p/hat?ref=ANNA24",
    ]


def test_a_title_with_line_breaks_stays_on_its_line():
    assert share.line(_item("Wool\n  coat", 5000), usd, WORDS).startswith("Wool coat — $50.00 — ")


def test_chat_links_carry_the_whole_message():
    text = "From Anna:\nCoat — $50.00 — http://shop.test/p/coat?ref=ANNA24"
    wa = urlsplit(share.whatsapp_url(text))
    assert wa.netloc == "wa.me" and parse_qs(wa.query)["text"] == [text]
    tg = parse_qs(urlsplit(share.telegram_url(text, "http://shop.test/p/coat?ref=ANNA24")).query)
    assert tg["url"] == ["http://shop.test/p/coat?ref=ANNA24"] and tg["text"] == [text]


def test_items_are_priced_at_now_with_the_sale_and_link_each_product(sqlite_app):
    with sqlite_app.app_context():
        make_product("Wool coat", price=5000, variants=(("M", 2), ("L", 0)), overrides={"L": 6000})
        hat = make_product("Felt hat", price=2000, variants=(("One", 0),))
        now = utcnow()
        terms = SaleTerms(PERCENT, 25, now - timedelta(hours=1), now + timedelta(days=2))
        sales.create_sale(db.session, hat.id, terms, now)
        db.session.commit()
        products, dropped = share.load_products(db.session, ["felt-hat", "nope", "wool-coat"])
        assert [p.slug for p in products] == ["felt-hat", "wool-coat"] and dropped == ["nope"]
        items = share.share_items(products, now, lambda slug: f"L/{slug}?ref=X", lambda p: None)
        hat_item, coat_item = items
        assert (hat_item.price, hat_item.regular, hat_item.on_sale, hat_item.sold_out) == (1500, 2000, True, True)
        assert (coat_item.price, coat_item.ranged, coat_item.on_sale, coat_item.sold_out) == (5000, True, False, False)
        assert share.line(hat_item, usd, WORDS) == "Felt hat — $15.00 (was $20.00) — L/felt-hat?ref=X"
        later = share.share_items(products, now + timedelta(days=3), lambda slug: slug, lambda p: None)
        assert later[0].price == 2000 and not later[0].on_sale, "an ended sale is not in the message"


# --- the seller's page --------------------------------------------------------------------------


def _signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    response = shop.login(email)
    assert response.status_code == 303, response.text
    return shop


def _message(page: str) -> str:
    found = re.search(r"<textarea[^>]*data-share-many-text[^>]*>(.*?)</textarea>", page, re.S)
    assert found, "the page has the message block"
    return html.unescape(found.group(1))


@pytest.fixture
def world(app):
    """Three products on sale (one with a photo), a draft, sellers ANNA24 and BEN777, the owner."""
    with app.app_context():
        make_user("owner@example.com", "owner")
        coat = make_product("Wool coat", price=5000, variants=(("M", 10),))
        add_demo_photos(coat, 1, size=(400, 400))
        make_product("Silk scarf", price=1500, variants=(("One", 10),))
        make_product("Felt hat", price=2000, variants=(("One", 0),))
        make_product("Secret lamp", price=900).status = "draft"
        db.session.commit()
        make_seller("ANNA24", email="anna@sellers.example")
        make_seller("BEN777", email="ben@sellers.example")
    return app


def test_only_sellers_reach_the_share_page(world):
    anonymous = world.test_client().get("/seller/share?p=wool-coat")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    owner = _signed_in(world, "owner@example.com")
    assert owner.client.get("/seller/share?p=wool-coat").status_code == 403


def test_the_page_shows_the_products_and_one_message_in_the_sellers_order(world):
    anna = _signed_in(world, "anna@sellers.example")
    page = anna.client.get("/seller/share?p=felt-hat&p=wool-coat&p=nope&p=secret-lamp&p=silk-scarf&p=wool-coat")
    assert page.status_code == 200
    text = page.text
    assert "private" in page.headers["Cache-Control"] or "no-store" in page.headers["Cache-Control"]
    lines = _message(text).splitlines()
    assert lines[0] == "From Anna24 at Storefront:"
    assert lines[1:] == [
        "Felt hat — $20.00 — http://localhost/p/felt-hat?ref=ANNA24",
        "Wool coat — $50.00 — http://localhost/p/wool-coat?ref=ANNA24",
        "Silk scarf — $15.00 — http://localhost/p/silk-scarf?ref=ANNA24",
    ]
    assert "2 products are not on sale any more and were left out." in text
    assert "Secret lamp" not in text and "BEN777" not in text
    assert re.findall(r'data-share-item="([^"]+)"', text) == ["felt-hat", "wool-coat", "silk-scarf"]
    assert "Sold out" in text and "In stock" in text
    photos = re.findall(r'data-photo="([^"]+)" data-name="([^"]+)"', text)
    assert len(photos) == 1 and photos[0][0].startswith("/media/") and photos[0][0].endswith(".jpg")
    assert photos[0][1] == "wool-coat.jpg"
    assert world.test_client().get(photos[0][0]).status_code == 200, "the share sheet can fetch the photo"
    whatsapp = re.search(r'href="(https://wa\.me/\?text=[^"]+)"', text).group(1)
    assert parse_qs(urlsplit(html.unescape(whatsapp)).query)["text"] == [_message(text)]
    assert 'src="/static/js/share-many.js?v=' in text and " defer" in text


def test_each_seller_gets_their_own_code(world):
    ben = _signed_in(world, "ben@sellers.example")
    lines = _message(ben.client.get("/seller/share?p=wool-coat").text).splitlines()
    assert lines == ["From Ben777 at Storefront:", "Wool coat — $50.00 — http://localhost/p/wool-coat?ref=BEN777"]


def test_nothing_picked_or_nothing_on_sale_is_a_422_saying_to_pick_some(world):
    anna = _signed_in(world, "anna@sellers.example")
    unknown = ("/seller/share?p=nope&p=secret-lamp", "/seller/share?p=" + "x" * 5000, "/seller/share?p=%C3%28")
    for url in ("/seller/share", "/seller/share?p=", *unknown):
        page = anna.client.get(url)
        assert page.status_code == 422, url
        assert "Pick at least one product to share" in page.text and "data-share-many-text" not in page.text


def test_at_most_ten_products_in_one_share(world):
    with world.app_context():
        for n in range(10):
            make_product(f"Mug {n}", price=700)
    anna = _signed_in(world, "anna@sellers.example")
    query = "&".join(f"p=mug-{n}" for n in range(10)) + "&p=wool-coat"
    page = anna.client.get(f"/seller/share?{query}")
    assert page.status_code == 200
    assert len(_message(page.text).splitlines()) == 1 + share.MAX_PRODUCTS
    assert "wool-coat" not in _message(page.text)
    assert "You can share at most 10 products at once" in page.text


def test_the_message_is_in_the_sellers_language(world):
    anna = _signed_in(world, "anna@sellers.example")
    page = anna.client.get("/seller/share?p=wool-coat", headers={"Accept-Language": "es"})
    assert _message(page.text).splitlines() == [
        "De Anna24 en Storefront:",
        "Wool coat — 50,00\xa0US$ — http://localhost/p/wool-coat?ref=ANNA24",
    ]
    assert "Mensaje para enviar" in page.text and "Copiar mensaje" in page.text


def test_the_dashboard_ticks_products_into_a_get_form_that_works_without_javascript(world):
    anna = _signed_in(world, "anna@sellers.example")
    page = anna.client.get("/seller/").text
    form = re.search(r'<form method="get" action="/seller/share"[^>]*>(.*?)</form>', page, re.S)
    assert form, "a plain GET form around the product list"
    assert set(re.findall(r'<input type="checkbox" name="p" value="([^"]+)">', form.group(1))) == {
        "wool-coat",
        "silk-scarf",
    }
    assert "Share selected" in form.group(1)


# --- credit through a link from the message ------------------------------------------------------


def _link_from_message(app, email: str, slug: str) -> str:
    seller = _signed_in(app, email)
    line = _message(seller.client.get(f"/seller/share?p={slug}").text).splitlines()[1]
    return line.rsplit(" — ", 1)[1]


def _order_through(app, shopper: ShopClient, links: list[str], slug: str) -> None:
    for link in links:
        assert shopper.client.get(link, headers={"User-Agent": PHONE}).status_code == 200
    with app.app_context():
        from storefront.catalog.service import product_by_slug

        variant_id = product_by_slug(db.session, slug).variants[0].id
    assert shopper.add(variant_id).status_code in (200, 302, 303)
    placed = shopper.checkout(CHECKOUT_DELIVERY)
    assert placed.status_code in (302, 303), placed.text


def _credited(app) -> list[str]:
    with app.app_context():
        return [entry.seller.code for entry in db.session.scalars(select(CommissionEntry))]


def test_a_link_from_the_message_credits_the_seller(world):
    link = _link_from_message(world, "anna@sellers.example", "silk-scarf")
    assert link == "http://localhost/p/silk-scarf?ref=ANNA24"
    _order_through(world, ShopClient(world.test_client()), [link], "silk-scarf")
    assert _credited(world) == ["ANNA24"]


def test_the_last_seller_link_wins_over_an_earlier_multi_share(world):
    anna_link = _link_from_message(world, "anna@sellers.example", "wool-coat")
    ben_link = "http://localhost/p/silk-scarf?ref=BEN777"
    _order_through(world, ShopClient(world.test_client()), [anna_link, ben_link], "wool-coat")
    assert _credited(world) == ["BEN777"]
