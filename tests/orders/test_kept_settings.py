"""The checkout's owner settings kept per process by catalog generation (issue 22, round three).

Pickup stores, transfer methods and hoarding limits are not read on every checkout any more:
each process keeps them under the catalog generation. An owner's edit must still show on the
very next checkout, in every process: these tests fail if an edit stopped moving the generation.
"""

from __future__ import annotations

from dataclasses import asdict

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.limit_rules import DEFAULT_LIMITS
from storefront.orders.limits import save_limits
from storefront.payments import transfer_service
from storefront.payments.transfer_rules import TransferMethodValues
from storefront.stores import service as stores
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product
from tests.stores.builders import make_store


def _checkout_page(shop: ShopClient) -> str:
    return shop.client.get("/checkout").get_data(as_text=True)


def test_a_store_edit_shows_on_the_next_checkout(app, client):
    with app.app_context():
        variant_id = make_product("Wool scarf", variants=(("One size", 5),)).variants[0].id
        make_store("Main Street", 45.52, -122.68, city="Portland")
    shop = ShopClient(client)
    shop.add(variant_id, 1)
    assert "Main Street, Portland" in _checkout_page(shop)
    assert "Harbour Road" not in _checkout_page(shop)  # kept: the same choices
    with app.app_context():
        make_store("Harbour Road", 45.50, -122.70, city="Portland")
    assert "Harbour Road, Portland" in _checkout_page(shop)
    with app.app_context():  # no longer offering pickup: gone from the next form
        store = next(s for s in stores.all_stores(db.session) if s.name == "Main Street")
        store.pickup = False
        db.session.commit()
    page = _checkout_page(shop)
    assert "Main Street, Portland" not in page and "Harbour Road, Portland" in page


def test_a_transfer_method_switched_on_and_off_shows_on_the_next_checkout(app, client):
    with app.app_context():
        variant_id = make_product("Wool scarf", variants=(("One size", 5),)).variants[0].id
        currency = app.config["SHOP_CURRENCY"]
    shop = ShopClient(client)
    shop.add(variant_id, 1)
    assert "Harbour Bank" not in _checkout_page(shop)
    values = TransferMethodValues("Harbour Bank", "IBAN 1234", "Say your order number.", (currency,), 24)
    with app.app_context():
        method = transfer_service.save_method(db.session, None, values, utcnow())
        db.session.commit()
        method_id = method.id
    assert "Harbour Bank" in _checkout_page(shop)
    with app.app_context():
        method = transfer_service.all_methods(db.session)[0]
        assert method.id == method_id
        transfer_service.save_method(
            db.session, method, TransferMethodValues(**{**asdict(values), "active": False}), utcnow()
        )
        db.session.commit()
    assert "Harbour Bank" not in _checkout_page(shop)


def test_the_owners_new_limit_applies_to_the_next_order(app, client):
    with app.app_context():
        variant_id = make_product("Wool scarf", variants=(("One size", 50),)).variants[0].id
    shop = ShopClient(client)
    shop.add(variant_id, 3)
    shop.checkout_key()  # the limits in force are kept from here on
    with app.app_context():
        save_limits(db.session, {**asdict(DEFAULT_LIMITS), "max_units_per_order": 2}, None, utcnow())
        db.session.commit()
    refused = shop.checkout(CHECKOUT_DELIVERY)
    assert refused.status_code != 303
    with app.app_context():
        save_limits(db.session, {**asdict(DEFAULT_LIMITS), "max_units_per_order": 5}, None, utcnow())
        db.session.commit()
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
