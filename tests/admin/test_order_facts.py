"""The admin order page tells staff who ordered and through whom: new customer or open orders
from this phone, the pickup store with its address, the bound store, the referring seller, the
phone as call and WhatsApp links, and a payment line that is true for an unpaid cash order."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_product, make_user
from tests.sellers.builders import make_seller
from tests.stores.builders import make_store

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"


@pytest.fixture
def shop_setup(app) -> dict:
    with app.app_context():
        product = make_product("Linen shirt", price=4000, variants=(("M", 20),))
        market = make_store(
            "Market Street", 37.7793, -122.4193, city="San Francisco", postcode="94103", address="1355 Market Street"
        )
        make_store("Harbour", 37.8080, -122.4177, city="San Francisco", postcode="94133", address="Pier 39")
        make_seller("ANNA24")
        make_user("staff@example.com", "staff")
        return {"variant": product.variants[0].id, "slug": product.slug, "market": market.id}


@pytest.fixture
def staff(app) -> ShopClient:
    shop = ShopClient(app.test_client())
    assert shop.login("staff@example.com").status_code == 303
    return shop


def place(app, setup, fields: dict, via_seller: bool = False, address: str = "203.0.113.9") -> str:
    """A shopper's cash order; its reference."""
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = address
    if via_seller:
        assert shop.client.get(f"/p/{setup['slug']}?ref=anna24", headers={"User-Agent": PHONE_UA}).status_code == 200
    assert shop.add(setup["variant"], 1).status_code == 303
    response = shop.checkout(fields)
    assert response.status_code == 303, response.text
    with app.app_context():
        token = response.headers["Location"].rsplit("/", 1)[1]
        return db.session.scalars(select(Order.reference).where(Order.token == token)).one()


def test_pickup_order_shows_store_seller_links_and_the_truth_about_payment(app, shop_setup, staff):
    pickup = {**CHECKOUT_PICKUP, "phone": "+1 415 555 0100", "pickup_store": str(shop_setup["market"])}
    reference = place(app, shop_setup, pickup, via_seller=True)
    page = staff.client.get(f"/admin/orders/{reference}")
    assert page.status_code == 200
    html = page.text
    assert "Pickup at Market Street" in html and "1355 Market Street" in html and "94103 San Francisco" in html
    assert "Pickup at the shop" not in html
    assert "Customer’s store: Market Street" in html
    assert "Referred by Anna24 (link ANNA24)" in html
    assert 'href="tel:+14155550100"' in html
    assert 'href="https://wa.me/14155550100"' in html and 'rel="noopener noreferrer"' in html
    assert "New customer" in html
    assert "To be paid at pickup, in person." in html
    assert "delivery $0.00" not in html and "Total (delivery" not in html  # a pickup has no delivery line
    assert "Paid at pickup, in person." not in html.replace("To be paid at pickup, in person.", "")
    for event in ("confirm", "pack", "mark_ready", "collect"):
        assert staff.post(f"/admin/orders/{reference}/event", {"event": event}).status_code == 303
    collected = staff.client.get(f"/admin/orders/{reference}").text
    assert "Paid at pickup, in person." in collected and "To be paid" not in collected


def test_returning_customer_sees_open_orders_from_this_phone(app, shop_setup, staff):
    first = place(app, shop_setup, CHECKOUT_DELIVERY)
    second = place(app, shop_setup, CHECKOUT_DELIVERY, address="198.51.100.4")
    assert "New customer" in staff.client.get(f"/admin/orders/{first}").text  # nobody before the first
    html = staff.client.get(f"/admin/orders/{second}").text
    assert "New customer" not in html
    assert re.search(r"data-customer>2 open orders from this phone<", html)
    assert "No referring seller" in html
    assert "To be paid in cash on delivery." in html
    assert staff.post(f"/admin/orders/{first}/event", {"event": "cancel"}).status_code == 303
    assert re.search(r"data-customer>1 open order from this phone<", staff.client.get(f"/admin/orders/{second}").text)
    cancelled = staff.client.get(f"/admin/orders/{first}").text
    assert "Not paid: the order was cancelled." in cancelled


def test_several_open_orders_from_one_address_are_pointed_out(app, shop_setup, staff):
    one = place(app, shop_setup, {**CHECKOUT_DELIVERY, "phone": "+1 555 0101"}, address="192.0.2.66")
    assert "data-address-orders" not in staff.client.get(f"/admin/orders/{one}").text
    two = place(app, shop_setup, {**CHECKOUT_DELIVERY, "phone": "+1 555 0102"}, address="192.0.2.66")
    html = staff.client.get(f"/admin/orders/{two}").text
    assert "New customer" in html, "a made-up phone looks new..."
    assert "2 open orders from the same connection (network address)" in html, "...but the address gives it away"


def test_local_numbers_get_whatsapp_links_with_the_shops_calling_code(app, shop_setup, staff):
    reference = place(app, shop_setup, {**CHECKOUT_DELIVERY, "phone": "0171 555 0100"})
    html = staff.client.get(f"/admin/orders/{reference}").text
    assert 'href="tel:01715550100"' in html
    assert "wa.me" not in html, "without the calling code the number cannot be known"
    app.config["SHOP_CALLING_CODE"] = "44"
    html = staff.client.get(f"/admin/orders/{reference}").text
    assert 'href="https://wa.me/441715550100"' in html


@pytest.mark.parametrize("locale", ["bn", "es", "zh_Hans"])
def test_the_order_page_renders_translated(app, shop_setup, staff, locale):
    reference = place(app, shop_setup, {**CHECKOUT_PICKUP, "pickup_store": str(shop_setup["market"])})
    staff.client.set_cookie("locale", locale)
    html = staff.client.get(f"/admin/orders/{reference}").text
    for english in (
        "New customer",
        "To be paid at pickup, in person.",
        "Pickup at Market Street",
        "No referring seller",
    ):
        assert english not in html, (locale, english)
    assert "Market Street" in html and "tel:" in html


def test_an_unconfirmed_cash_order_says_when_it_will_be_released(app, shop_setup, staff):
    reference = place(app, shop_setup, CHECKOUT_DELIVERY)
    html = staff.client.get(f"/admin/orders/{reference}").text
    assert "data-release-at" in html and "cancelled automatically on" in html
    assert staff.post(f"/admin/orders/{reference}/event", {"event": "confirm"}).status_code == 303
    assert "data-release-at" not in staff.client.get(f"/admin/orders/{reference}").text, "confirming stops it"


def test_release_deadline_rule():
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    from storefront.orders.limit_rules import release_deadline

    at = datetime(2026, 12, 31, 23, 30)
    cash = SimpleNamespace(status="placed", payment_method="cash", created_at=at)
    assert release_deadline(cash, 48) == at + timedelta(hours=48)
    assert release_deadline(cash, 0) is None
    assert release_deadline(SimpleNamespace(status="confirmed", payment_method="cash", created_at=at), 48) is None
    assert release_deadline(SimpleNamespace(status="placed", payment_method="card", created_at=at), 48) is None
