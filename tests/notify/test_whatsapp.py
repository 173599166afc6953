"""WhatsApp links to customers: the number, the prefilled news of the order's current state in the order's
language, on the admin order page, and on a seller's own orders only when the shop allows it."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import pytest
from flask import g
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify import whatsapp
from storefront.notify.alert_views import seller_order_whatsapp
from storefront.orders.models import Order
from storefront.orders.rules import OrderStatus
from storefront.sellers import service as sellers
from storefront.sellers.models import CommissionEntry, Seller
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_product, make_user
from tests.sellers.builders import make_order, make_seller, touched
from tests.stores.builders import make_store

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here

CONTEXT = {"ref": "K7F3Q", "total": 4250, "currency": "USD", "name": "Ana", "store": "Market Street"}
URL = "http://localhost/o/tok"
# Every status has its own sentence (the owner may write at any step).
ENGLISH = {
    OrderStatus.AWAITING_PAYMENT: "Hello Ana, your order K7F3Q ($42.50) is waiting for your payment; you can pay here:",
    OrderStatus.AWAITING_TRANSFER: "Hello Ana, your order K7F3Q ($42.50) is waiting for your transfer; "
    "the details are here:",
    OrderStatus.UNPAID: "Hello Ana, your order K7F3Q was not placed: the time to pay ran out. Its page:",
    OrderStatus.PLACED: "Hello Ana, we received your order K7F3Q, total $42.50.",
    OrderStatus.CONFIRMED: "Hello Ana, your order K7F3Q is confirmed.",
    OrderStatus.PACKED: "Hello Ana, your order K7F3Q is packed.",
    OrderStatus.SHIPPED: "Hello Ana, your order K7F3Q is on its way.",
    OrderStatus.READY_FOR_PICKUP: "Hello Ana, your order K7F3Q is ready for pickup at Market Street.",
    OrderStatus.DELIVERED: "Hello Ana, your order K7F3Q was delivered.",
    OrderStatus.COLLECTED: "Hello Ana, thank you for collecting your order K7F3Q.",
    OrderStatus.CANCELLED: "Hello Ana, your order K7F3Q was cancelled.",
}


def test_wa_link_keeps_only_digits_and_encodes_the_whole_text():
    text = "Hello Ana, a & b?\nhttp://shop.example/o/x?y=1"
    assert whatsapp.wa_link("+44 7700-900 123", text) == (
        "https://wa.me/447700900123?text=Hello%20Ana%2C%20a%20%26%20b%3F%0Ahttp%3A%2F%2Fshop.example%2Fo%2Fx%3Fy%3D1"
    )
    assert whatsapp.wa_link("447700900123") == "https://wa.me/447700900123"


def test_every_order_status_has_its_news():
    assert set(whatsapp.STATE_TEXTS) == set(OrderStatus) == set(ENGLISH)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_the_text_of_each_status_ends_with_the_order_link(sqlite_app, status):
    with sqlite_app.test_request_context("/"):
        text = whatsapp.order_text(CONTEXT, status.value, URL)
    assert text == f"{ENGLISH[status]}\n{URL}"


def test_no_name_no_store(sqlite_app):
    with sqlite_app.test_request_context("/"):
        text = whatsapp.order_text({**CONTEXT, "name": " ", "store": ""}, "ready_for_pickup", URL)
    assert text.startswith("Hello, your order K7F3Q is ready for pickup at ")
    assert "Market Street" not in text


# -- the admin order page ------------------------------------------------------------------------


@pytest.fixture
def pickup_order(app) -> dict:
    """A cash pickup order at Market Street, by Ana (+1 415 555 0100), marked ready; and a signed-in owner."""
    with app.app_context():
        product = make_product("Linen shirt", price=4000, variants=(("M", 20),))
        market = make_store("Market Street", 37.7793, -122.4193, city="San Francisco", address="1355 Market Street")
        make_user("owner@example.com", "owner")
        variant, market_id = product.variants[0].id, market.id
    shop = ShopClient(app.test_client())
    assert shop.add(variant, 1).status_code == 303
    form = {**CHECKOUT_PICKUP, "customer_name": "Ana", "phone": "+1 415 555 0100", "pickup_store": str(market_id)}
    placed = shop.checkout(form)
    assert placed.status_code == 303, placed.text
    token = placed.headers["Location"].rsplit("/", 1)[1]
    owner = ShopClient(app.test_client())
    assert owner.login().status_code == 303
    with app.app_context():
        reference = db.session.scalars(select(Order.reference).where(Order.token == token)).one()
    for event in ("confirm", "pack", "mark_ready"):
        assert owner.post(f"/admin/orders/{reference}/event", {"event": event}).status_code == 303
    return {"owner": owner, "reference": reference, "token": token}


def _news_link(html: str) -> str:
    match = re.search(r'<a class="btn btn-primary" href="([^"]+)"[^>]*data-whatsapp-news>([^<]+)</a>', html)
    assert match, "no WhatsApp news button"
    return match.group(1).replace("&amp;", "&"), match.group(2)


def test_the_admin_order_page_offers_the_orders_news_on_whatsapp(app, pickup_order):
    reference, token = pickup_order["reference"], pickup_order["token"]
    html = pickup_order["owner"].client.get(f"/admin/orders/{reference}").text
    url, label = _news_link(html)
    expected = f"Hello Ana, your order {reference} is ready for pickup at Market Street.\nhttp://localhost/o/{token}"
    assert url == "https://wa.me/14155550100?text=" + quote(expected, safe="")
    assert label == "WhatsApp: Ready for pickup"
    assert 'href="https://wa.me/14155550100" target="_blank" rel="noopener noreferrer" data-whatsapp-chat' in html
    preview = re.search(r"<details class=\"wa-preview\" data-whatsapp-text>.*?<p lang=\"en\">(.*?)</p>", html, re.S)
    assert preview and preview.group(1) == expected, "the owner sees what will be sent"


def test_the_text_follows_the_orders_language_not_the_owners(app, pickup_order):
    reference = pickup_order["reference"]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.reference == reference)).one()
        order.locale = "es"
        db.session.commit()
    html = pickup_order["owner"].client.get(f"/admin/orders/{reference}").text
    url, label = _news_link(html)
    text = unquote(url.split("?text=", 1)[1])
    assert text.startswith(f"Hola Ana, tu pedido {reference} está listo para recoger en Market Street.\n")
    assert label == "WhatsApp: Ready for pickup", "the button speaks the owner's language"
    assert '<p lang="es">' in html
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.reference == reference)).one()
        order.status, order.locale = OrderStatus.UNPAID.value, "es"
        db.session.commit()
    url, _label = _news_link(pickup_order["owner"].client.get(f"/admin/orders/{reference}").text)
    assert unquote(url.split("?text=", 1)[1]).startswith(
        f"Hola Ana, tu pedido {reference} no se realizó: se acabó el tiempo para pagar. Su página:\nhttp://localhost/o/"
    )


def test_no_buttons_without_a_whatsapp_number(app, pickup_order):
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.reference == pickup_order["reference"])).one()
        order.phone = "0171 555 0100"  # local, and the shop has no calling code
        db.session.commit()
    html = pickup_order["owner"].client.get(f"/admin/orders/{pickup_order['reference']}").text
    assert "wa.me" not in html and "data-whatsapp-text" not in html


# -- sellers -----------------------------------------------------------------------------------------


@pytest.fixture
def two_sellers(app) -> dict:
    """ANNA24 and BEN7, each credited with one order from a customer of their own."""
    with app.app_context():
        coat = make_product("Wool coat", price=10000)
        now = utcnow()
        refs = {}
        for code, phone in (("ANNA24", "+44 7700 900111"), ("BEN7", "+44 7700 900222")):
            make_seller(code, email=f"{code.lower()}@sellers.example")
            order = make_order([(coat, 1)], phone=phone)
            sellers.credit_order(db.session, order, touched((code, now)), now)
            refs[code] = order.reference
        db.session.commit()
    return refs


def _seller(app, code: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    assert shop.login(f"{code.lower()}@sellers.example").status_code == 303
    return shop


def test_sellers_get_whatsapp_buttons_only_when_the_shop_allows_it(app, two_sellers):
    anna = _seller(app, "ANNA24")
    for url in ("/seller/", "/seller/commissions"):
        html = anna.client.get(url).text
        assert two_sellers["ANNA24"] in html and "data-seller-whatsapp" not in html and "wa.me/447700900111" not in html
    app.config["SELLERS_MAY_MESSAGE_CUSTOMERS"] = True
    for url in ("/seller/", "/seller/commissions"):
        html = anna.client.get(url).text
        assert html.count("data-seller-whatsapp") == 1
        assert "https://wa.me/447700900111?text=Hello%20Ada%20Buyer%2C%20we%20received%20your%20order%20" in html
        assert "447700900222" not in html and two_sellers["BEN7"] not in html, "never another seller's customer"
        assert "+44 7700 900111" not in html, "the number stays inside the link"


def test_a_seller_never_gets_a_link_to_another_sellers_customer(app, two_sellers):
    app.config["SELLERS_MAY_MESSAGE_CUSTOMERS"] = True
    with app.test_request_context("/seller/"):
        anna = db.session.scalars(select(Seller).where(Seller.code == "ANNA24")).one()
        entries = {e.seller_id: e for e in db.session.scalars(select(CommissionEntry))}
        g.seller = anna
        own = seller_order_whatsapp(entries[anna.id])
        assert own is not None and own.number == "447700900111"
        other = next(entry for seller_id, entry in entries.items() if seller_id != anna.id)
        assert seller_order_whatsapp(other) is None
        g.seller = None
        assert seller_order_whatsapp(entries[anna.id]) is None, "outside the seller pages: nothing"


def test_the_order_link_is_on_the_shops_public_address(app, pickup_order):
    app.config["SHOP_URL"] = "https://shop.example/"
    html = pickup_order["owner"].client.get(f"/admin/orders/{pickup_order['reference']}").text
    url, _label = _news_link(html)
    assert unquote(url).endswith(f"\nhttps://shop.example/o/{pickup_order['token']}")
