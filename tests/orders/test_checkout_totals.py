"""Checkout: the total shown for each delivery method is the one charged; the store chosen on /stores is preselected."""

from __future__ import annotations

import re

import pytest

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, make_product, variant_ids
from tests.stores.builders import make_store


@pytest.fixture
def cart(app, shop):
    """A cart worth $120.99 (delivery costs $5.00 more)."""
    with app.app_context():
        coat, sock = (make_product("Merino coat", price=12000), make_product("Wool sock", price=99))
        ids = [variant_ids(coat)[0], variant_ids(sock)[0]]
    for variant_id in ids:
        assert shop.add(variant_id).status_code == 303
    return shop


def _shown(html: str, method: str) -> list[str]:
    """Every figure the page shows only when `method` is chosen."""
    figures = re.findall(
        rf'data-for-method="{method}">(?:<span class="method-name">[^<]*</span>)?(.*?)</(?:span|p)>', html, re.S
    )
    return [re.sub(r"^<span data-amount>", "", figure) for figure in figures]


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="(\d*)"', html).group(1)


def test_the_page_carries_the_server_totals_of_every_method(cart):
    html = cart.client.get("/checkout").text
    assert re.search(
        r'data-checkout data-method="delivery"[^>]*data-total-delivery="12599" data-total-pickup="12099"', html
    )
    assert _shown(html, "pickup") == ["$120.99", "$120.99"]  # the button and the total; no delivery line
    assert _shown(html, "delivery") == ["$125.99", "<span>Delivery", "$125.99"]
    assert '<p class="totals" data-for-method="delivery"><span>Delivery</span> <span>$5.00</span></p>' in html
    button = re.search(
        r'<button class="btn btn-primary btn-block" type="submit"><span>(.*?)</span></button>', html, re.S
    ).group(1)
    assert "$125.99" in button and "$120.99" in button, "the button carries both labels; CSS/JS show one"
    assert (_hidden(html, "shown_total_delivery"), _hidden(html, "shown_total_pickup")) == ("12599", "12099")
    assert "js/checkout.js" in html


def test_a_re_shown_form_starts_on_the_method_the_shopper_chose(cart):
    response = cart.checkout({**CHECKOUT_PICKUP, "phone": ""})  # refused: no phone
    assert response.status_code == 422
    assert 'data-method="pickup"' in response.text


@pytest.mark.parametrize(
    ("fields", "shown", "total"), [(CHECKOUT_PICKUP, "12099", 12099), (CHECKOUT_DELIVERY, "12599", 12599)]
)
def test_the_order_is_placed_at_the_total_shown_for_its_method(app, cart, fields, shown, total):
    response = cart.checkout({**fields, "shown_total_delivery": "12599", "shown_total_pickup": "12099"})
    assert response.status_code == 303, response.text
    with app.app_context():
        assert db.session.scalars(db.select(Order.total)).one() == total == int(shown)


def test_a_total_that_changed_since_the_page_was_shown_is_not_charged(app, cart):
    # The shopper saw the old pickup price (e.g. the cart changed in another tab): nothing is placed.
    response = cart.checkout({**CHECKOUT_PICKUP, "shown_total_delivery": "12599", "shown_total_pickup": "12000"})
    assert response.status_code == 409
    assert "The total has changed" in response.text
    assert _hidden(response.text, "shown_total_pickup") == "12099", "the page now shows the current total"
    with app.app_context():
        assert db.session.scalars(db.select(Order)).first() is None
    again = cart.checkout({**CHECKOUT_PICKUP, "shown_total_delivery": "12599", "shown_total_pickup": "12099"})
    assert again.status_code == 303


def test_thank_you_right_after_placing_and_not_on_later_visits(cart):
    placed = cart.checkout(CHECKOUT_PICKUP)
    first = cart.client.get(placed.headers["Location"])
    assert "Thank you for your order!" in first.text
    assert first.headers["Cache-Control"] == "no-store"
    assert "Thank you for your order!" not in cart.client.get(placed.headers["Location"]).text


def test_the_store_chosen_on_stores_is_preselected_for_pickup(app, cart):
    with app.app_context():
        harbour = make_store("Harbour Street", 37.79, -122.39, "San Francisco", "94105").id
        market = make_store("Market Street", 37.78, -122.41, "San Francisco", "94103").id
        make_store("No pickup here", 37.77, -122.42, pickup=False)
    selected = re.compile(r'<option selected value="(\d+)">')
    assert selected.search(cart.client.get("/checkout").text) is None, "no choice yet: the shopper picks"
    assert cart.post("/stores/choose", {"store_id": market}).status_code == 303
    assert selected.search(cart.client.get("/checkout").text).group(1) == str(market)
    assert cart.post("/stores/choose", {"store_id": harbour}).status_code == 303
    assert selected.search(cart.client.get("/checkout").text).group(1) == str(harbour)
    with app.app_context():
        no_pickup = db.session.execute(db.text("SELECT id FROM stores WHERE pickup = false")).scalar_one()
    assert cart.post("/stores/choose", {"store_id": no_pickup}).status_code == 303
    assert selected.search(cart.client.get("/checkout").text) is None, "a store without pickup is not offered"


@pytest.mark.parametrize(
    ("language", "thanks", "go_on", "ready"),
    [
        ("es", "¡Gracias por tu pedido!", "Ir a tramitar el pedido", "Te avisaremos cuando esté listo."),
        ("bn", "আপনার অর্ডারের জন্য ধন্যবাদ!", "চেকআউটে এগিয়ে যান", "প্রস্তুত হলে আমরা আপনাকে জানাব।"),
        ("zh_Hans", "感谢您的订购！", "继续结账", "备好后我们会通知您。"),
    ],
)
def test_the_new_words_read_in_every_language(app, cart, language, thanks, go_on, ready):
    with app.app_context():
        market = make_store("Market Street", 37.78, -122.41, "San Francisco", "94103").id
    lang = {"Accept-Language": language.replace("_", "-")}
    cart.post("/stores/choose", {"store_id": market})
    stores = cart.client.get("/stores", headers=lang)
    assert stores.status_code == 200 and go_on in stores.text
    checkout = cart.client.get("/checkout", headers=lang)
    assert checkout.status_code == 200 and 'data-total-pickup="12099"' in checkout.text
    placed = cart.post(
        "/checkout", {**CHECKOUT_PICKUP, "pickup_store": str(market), "checkout_key": "k" * 24}, headers=lang
    )
    assert placed.status_code == 303, placed.text
    order = cart.client.get(placed.headers["Location"], headers=lang).text
    assert thanks in order and ready in order and "Market Street" in order
