"""Acceptance 2 and 3: the shopper journey in each of the four languages finds the catalogue's
words, and prices (and dates) are written as Babel says for the locale and the shop's currency."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_currency, get_currency_precision
from markupsafe import escape

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, make_category, make_product
from tests.helpers import csrf_from
from tests.i18n.catalogues import translated

BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
# How each shopper asks for their language: a remembered choice or the browser's Accept-Language.
SHOPPERS = {
    "en": {"Accept-Language": "en-US,en;q=0.9"},
    "bn": {"cookie": "bn", "Accept-Language": "en-US"},
    "es": {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"},
    "zh_Hans": {"Accept-Language": "zh-CN,zh;q=0.9"},
}
PRICE_MINOR = 123456  # 1,234.56 in a two-decimal currency: grouping and decimals both show


def babel_price(minor: int, currency: str, locale: str) -> str:
    """What Babel says the price looks like, in the digits the locale uses by default (CLDR)."""
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    text = format_currency(amount, currency, locale=locale, numbering_system="default")
    if Locale.parse(locale).default_numbering_system == "beng":  # Babel keeps ASCII digits
        text = text.translate(str.maketrans("0123456789", BENGALI_DIGITS))
    return text


def _shopper(app, locale):
    client = app.test_client()
    options = dict(SHOPPERS[locale])
    if "cookie" in options:
        client.set_cookie("locale", options.pop("cookie"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = options["Accept-Language"]
    return client


def _has(page, locale: str, *msgids: str) -> None:
    for msgid in msgids:
        words = str(escape(translated(locale, msgid)))
        assert words in page.text, f"{locale}: {msgid!r} should read {words!r} on {page.request.path}"


@pytest.mark.parametrize("locale", list(SHOPPERS))
def test_shopper_journey_in_each_language(sqlite_app, locale):
    with sqlite_app.app_context():
        product = make_product("Merino coat", price=12000, category=make_category("Clothing"))
        slug, variant_id = product.slug, product.variants[0].id
    client = _shopper(sqlite_app, locale)
    home = client.get("/")
    _has(home, locale, "Search", "Cart", "Featured", "Language")
    page = client.get(f"/p/{slug}")
    _has(page, locale, "Add to cart", "In stock")
    assert "Merino coat" in page.text, "owner-entered texts stay as entered"
    added = client.post("/cart/add", data={"csrf_token": csrf_from(page.text), "variant_id": variant_id, "quantity": 2})
    assert added.status_code == 303
    cart = client.get("/cart")
    _has(cart, locale, "Your cart", "Check out", "Quantity", "Subtotal")
    assert str(escape(translated(locale, "Added %(item)s to your cart.") % {"item": "Merino coat — M"})) in cart.text
    checkout = client.get("/checkout")
    _has(checkout, locale, "Checkout", "Your details", "Delivery address", "Place order")
    key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', checkout.text).group(1)
    placed = client.post(
        "/checkout", data={**CHECKOUT_DELIVERY, "csrf_token": csrf_from(checkout.text), "checkout_key": key}
    )
    assert placed.status_code == 303, placed.text
    order = client.get(placed.headers["Location"])
    _has(order, locale, "Order status", "Items", "Placed", "cash on delivery")
    currency = sqlite_app.config["SHOP_CURRENCY"]
    assert str(escape(babel_price(24500, currency, locale))) in order.text, "total: 2 x 120.00 + 5.00 delivery"
    if locale == "bn":
        placed_line = re.search(r'<p class="muted">([^<]+)</p>', order.text).group(1)
        assert any(d in placed_line for d in BENGALI_DIGITS) and not re.search(r"[0-9]", placed_line)
    with sqlite_app.app_context():
        assert db.session.query(Order).count() == 1


@pytest.mark.parametrize(("locale", "currency"), [("bn", "BDT"), ("es", "EUR"), ("zh_Hans", "CNY"), ("en", "USD")])
def test_prices_render_as_babel_says(sqlite_app, locale, currency):
    sqlite_app.config["SHOP_CURRENCY"] = currency
    with sqlite_app.app_context():
        product = make_product("Kettle", price=PRICE_MINOR, category=make_category("Kitchen"))
        slug, variant_id = product.slug, product.variants[0].id
    client = _shopper(sqlite_app, locale)
    expected = babel_price(PRICE_MINOR, currency, locale)
    for path in ("/", "/c/kitchen", f"/p/{slug}", "/search?q=Kettle"):
        page = client.get(path)
        assert str(escape(expected)) in page.text, f"{path} should show {expected!r}"
    page = client.get(f"/p/{slug}")
    client.post("/cart/add", data={"csrf_token": csrf_from(page.text), "variant_id": variant_id, "quantity": 2})
    assert str(escape(babel_price(2 * PRICE_MINOR, currency, locale))) in client.get("/cart").text


def test_the_expected_formats_are_the_real_ones():
    """Pin what the comparison above relies on, so a Babel change cannot make both sides wrong."""
    assert babel_price(PRICE_MINOR, "BDT", "bn") == "১,২৩৪.৫৬৳"
    assert babel_price(PRICE_MINOR, "EUR", "es") == "1.234,56\xa0€"
    assert babel_price(12345678, "EUR", "es") == "123.456,78\xa0€"
    assert babel_price(PRICE_MINOR, "CNY", "zh_Hans") == "¥1,234.56"
    assert babel_price(PRICE_MINOR, "USD", "en") == "$1,234.56"
