"""Card payment fixtures: the shop wired to an in-process fake Stripe, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, make_product
from tests.conftest import _make_app

from .fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe

CARD = {**CHECKOUT_DELIVERY, "payment_method": "card"}


@pytest.fixture
def fake_stripe():
    """Stripe, in memory."""
    return FakeStripe()


@pytest.fixture
def app(db_url, tmp_path, fake_stripe):
    """The shop with card payments on (every fixture built on `app` gets this one here)."""
    yield from _make_app(
        db_url,
        tmp_path,
        {
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_HTTP_CLIENT": fake_stripe,
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        },
    )


@pytest.fixture
def coat(app):
    """A product with 5 units of one variant at 50.00; returns the variant id."""
    with app.app_context():
        return make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id


def pay_by_card(shop, variant_id: int, quantity: int = 1, key: str | None = None):
    """Fill the cart and press "Pay by card"; returns the response (a redirect to Stripe)."""
    assert shop.add(variant_id, quantity).status_code == 303
    return shop.checkout(CARD, key=key)


def session_id_of(response) -> str:
    """The Checkout Session a redirect points at."""
    match = re.fullmatch(r"https://checkout\.stripe\.com/c/pay/(cs_test_[0-9a-f]+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def only_order() -> Order:
    """The one order in the shop, fresh from the database."""
    db.session.expire_all()
    (order,) = db.session.scalars(select(Order)).all()
    return order


def deliver(client, fake, kind: str, session_id: str, **kwargs):
    """Post a signed webhook event, as Stripe would."""
    payload, signature = fake.event(kind, session_id, **kwargs)
    return client.post(
        "/stripe/webhook", data=payload, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )


def paid_card_order(app, shop, fake, variant_id: int, quantity: int = 1) -> dict:
    """A card order paid through the webhook; returns its token, reference and session id."""
    session_id = session_id_of(pay_by_card(shop, variant_id, quantity))
    fake.pay(session_id)
    assert deliver(shop.client, fake, "checkout.session.completed", session_id).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "placed"
        return {
            "token": order.token,
            "reference": order.reference,
            "session_id": session_id,
            "id": order.id,
            "total": order.total,
        }
