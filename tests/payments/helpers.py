"""Card payment helpers: paying through the fake Stripe, its webhooks, the order it made."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY

CARD = {**CHECKOUT_DELIVERY, "payment_method": "card"}


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
