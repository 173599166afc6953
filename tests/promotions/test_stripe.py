"""Stripe Checkout charges exactly the discounted order: its line items sum to order.total."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import make_product
from tests.payments.conftest import app, fake_stripe  # noqa: F401 - the shop with the fake Stripe
from tests.payments.helpers import CARD, session_id_of

from .helpers import apply_code, make_code


@pytest.mark.parametrize(
    ("code", "kind", "value"), [("ODD", "fixed", 700), ("PCT", "percent", 1250), ("SHIP", "free_delivery", 0)]
)
def test_line_items_sum_to_the_discounted_total(app, shop, fake_stripe, code, kind, value):  # noqa: F811
    with app.app_context():
        a = make_product("Lamp", price=1000, variants=(("One", 9),)).variants[0].id
        b = make_product("Bulb", price=333, variants=(("One", 9),)).variants[0].id
        make_code(code, kind, value)
    shop.add(a, 1)
    shop.add(b, 3)
    apply_code(shop, code)
    response = shop.checkout(CARD)
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    session = fake_stripe.sessions[session_id_of(response)]
    sent = sum(int(line["price_data"]["unit_amount"]) * int(line["quantity"]) for line in session["line_items_sent"])
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.discount > 0
        assert sent == session["amount_total"] == order.total == order.subtotal + order.shipping - order.discount
        assert order.payment.amount == order.total


def test_a_code_covering_the_whole_order_cannot_go_to_the_card_page(app, shop, fake_stripe):  # noqa: F811
    with app.app_context():
        lamp = make_product("Lamp", price=1000, variants=(("One", 9),)).variants[0].id
        make_code("ALL", "fixed", 100_000)
    shop.add(lamp, 1)
    apply_code(shop, "ALL")
    pickup_by_card = {**CARD, "delivery_method": "pickup"}
    response = shop.checkout(pickup_by_card)
    assert response.status_code in (400, 409, 422)
    assert "nothing to pay online" in response.get_data(as_text=True)
    assert fake_stripe.sessions == {}
    with app.app_context():
        assert db.session.scalars(select(Order)).first() is None  # nothing placed; the cart keeps its code
    assert "ALL" in shop.client.get("/cart").get_data(as_text=True)
