"""Knowing whose cart it is: the signed cookie set at checkout, and the cart it then names (both databases)."""

from __future__ import annotations

from sqlalchemy import select

from storefront.cart.models import Cart
from storefront.cart.web import KNOWN_CUSTOMER_COOKIE, _known_signer
from storefront.customers.models import Customer
from storefront.extensions import db
from tests.builders import CHECKOUT_DELIVERY, make_product

from .helpers import make_customer

ADA = "tel:442079460958"  # CHECKOUT_DELIVERY's phone as a customer key


def _carts() -> list[tuple[int, int | None]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(select(Cart.id, Cart.customer_id).order_by(Cart.id))]


def _cookie(shop) -> str | None:
    cookie = shop.client.get_cookie(KNOWN_CUSTOMER_COOKIE)
    return cookie.value if cookie else None


def test_an_order_names_the_customer_and_their_next_cart_is_theirs(app, shop):
    with app.app_context():
        variant_id = make_product("Mug", 1200, (("Blue", 5),)).variants[0].id
        make_customer(1)
        ada = Customer(key=ADA, phone="+44 20 7946 0958", marketing_push=True)
        db.session.add(ada)
        db.session.commit()
        ada_id = ada.id
    assert shop.add(variant_id).status_code == 303
    with app.app_context():
        assert _carts()[0][1] is None  # an unknown browser's cart is nobody's
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
    assert _cookie(shop) is not None
    cookie = shop.client.get_cookie(KNOWN_CUSTOMER_COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    shop.client.delete_cookie("cart")  # a fresh cart, as after the order
    assert shop.add(variant_id).status_code == 303
    with app.app_context():
        assert _carts()[-1][1] == ada_id


def test_a_forged_or_orphan_cookie_names_nobody(app, shop):
    with app.app_context():
        variant_id = make_product("Mug", 1200, (("Blue", 5),)).variants[0].id
        customer = make_customer(1)
        with app.test_request_context():
            orphan = _known_signer().dumps(customer + 999)
    shop.client.set_cookie(KNOWN_CUSTOMER_COOKIE, f"{customer}.forged")
    assert shop.add(variant_id).status_code == 303
    shop.client.set_cookie(KNOWN_CUSTOMER_COOKIE, orphan)  # signed by us, but no such customer
    assert shop.add(variant_id).status_code == 303
    with app.app_context():
        assert [customer_id for _id, customer_id in _carts()] == [None]


def test_the_first_order_of_a_new_customer_names_them_too(app, shop):
    """Checkout makes the customer of a first order (customers' subscriber): the cookie names that customer."""
    with app.app_context():
        variant_id = make_product("Mug", 1200, (("Blue", 5),)).variants[0].id
    shop.add(variant_id)
    assert _cookie(shop) is None  # not before an order
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
    with app.app_context(), app.test_request_context():
        made = db.session.scalars(select(Customer).where(Customer.key == ADA)).one()
        assert _known_signer().loads(_cookie(shop)) == made.id
