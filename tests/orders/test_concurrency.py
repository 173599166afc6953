"""Acceptance 2: 50 shoppers race for the last 5 units; exactly 5 win, stock never negative."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product, stock_of

SHOPPERS = 50
LAST_UNITS = 5


@pytest.fixture
def contested(app):
    with app.app_context():
        scarce = make_product("Last coat", variants=(("One size", LAST_UNITS),))
        plenty = make_product("Socks", price=900, variants=(("One size", 1000),))
        return scarce.variants[0].id, plenty.variants[0].id


def test_fifty_shoppers_last_five_units(app, contested):
    scarce, plenty = contested
    shoppers = []
    for i in range(SHOPPERS):  # every cart is filled before the race starts
        shop = ShopClient(app.test_client())
        # Fifty different people: their own address and phone (the hoarding limits count both).
        shop.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        assert shop.add(scarce, 1).status_code == 303
        assert shop.add(plenty, 1).status_code == 303
        shoppers.append((shop, shop.checkout_key()))
    barrier = threading.Barrier(SHOPPERS)

    def race(args):
        shop, key = args
        phone = f"+44 20 7946 {int(shop.client.environ_base['REMOTE_ADDR'].rsplit('.', 1)[1]):04d}"
        barrier.wait()
        return shop.checkout({**CHECKOUT_DELIVERY, "phone": phone}, key=key)

    with ThreadPoolExecutor(SHOPPERS) as pool:
        responses = list(pool.map(race, shoppers))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(303) == LAST_UNITS, statuses
    assert statuses.count(409) == SHOPPERS - LAST_UNITS, statuses  # no 500, no "database is locked"
    with app.app_context():
        assert stock_of(scarce) == 0
        assert stock_of(plenty) == 1000 - LAST_UNITS
        assert db.session.scalar(select(func.count(Order.id))) == LAST_UNITS
        taken = db.session.scalar(
            select(func.sum(StockMovement.delta)).where(
                StockMovement.reason == "order", StockMovement.variant_id == scarce
            )
        )
        assert taken == -LAST_UNITS
    for (shop, _key), response in zip(shoppers, responses):
        if response.status_code == 409:
            assert "Sorry, not enough left of: Last coat" in response.text
            cart = shop.client.get("/cart").text
            assert "Socks" in cart and "Last coat" in cart, "the losers keep their carts"
            assert "Sold out" in cart
