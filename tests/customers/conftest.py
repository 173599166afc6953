"""Customer fixtures: a product to buy, orders placed through the checkout, staff browsers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.customers.models import ConsentEvent, Customer
from storefront.extensions import db
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product, make_user, nth_shopper

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def mug(app) -> int:
    """A product with plenty of stock; its variant id."""
    with app.app_context():
        return make_product("Stoneware mug", price=2400, variants=(("Blue", 500),)).variants[0].id


def place(app, variant_id: int, n: int = 1, quantity: int = 1, **fields):
    """Place a cash delivery order through the checkout as the n-th shopper; the response (303 when placed)."""
    shop = nth_shopper(app, n)
    assert shop.add(variant_id, quantity).status_code == 303
    return shop.checkout({**CHECKOUT_DELIVERY, **fields})


def customers_in_db(app) -> list[Customer]:
    """Every customer, oldest first (detached)."""
    with app.app_context():
        rows = list(db.session.scalars(select(Customer).order_by(Customer.id)))
        db.session.expunge_all()
        return rows


def consent_log(app) -> list[ConsentEvent]:
    """Every consent event, oldest first (detached)."""
    with app.app_context():
        rows = list(db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)))
        db.session.expunge_all()
        return rows


def signed_in(app, email: str, role: str) -> ShopClient:
    """A signed-in staff browser."""
    with app.app_context():
        make_user(email, role)
    client = ShopClient(app.test_client())
    assert client.login(email).status_code == 303
    return client


@pytest.fixture
def owner(app) -> ShopClient:
    """The owner, signed in."""
    return signed_in(app, "owner@example.com", "owner")


@pytest.fixture
def staff(app) -> ShopClient:
    """A staff member, signed in."""
    return signed_in(app, "staff@example.com", "staff")
