"""No stock hoarding through anonymous cash orders: units per order, open cash orders per phone
and per client address (counted under a lock, across threads), and the owner's settings."""

from __future__ import annotations

import hashlib
import hmac
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import pytest
from sqlalchemy import func, select, text

from storefront.clock import utcnow
from storefront.config import Config
from storefront.extensions import db
from storefront.orders import limit_rules
from storefront.orders.limit_rules import DEFAULT_LIMITS, HoardingLimits
from storefront.orders.limits import current_limits, save_limits
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_product, stock_of

UNITS_MESSAGE = "One order can hold at most 30 items; this one has 31."
PHONE_MESSAGE = "This phone number already has orders waiting for our confirmation."
ADDRESS_MESSAGE = "Too many orders waiting for our confirmation were placed from your connection."


def units_left(app, variant_id: int) -> int:
    """A variant's on-hand stock, read fresh."""
    with app.app_context():
        return stock_of(variant_id)


@pytest.fixture
def stock(app) -> list[int]:
    """Three products with plenty of stock (what a hoarder would go for)."""
    with app.app_context():
        return [
            make_product(title, price=1000, variants=(("One size", 100),)).variants[0].id
            for title in ("Tea towel", "Mug", "Candle")
        ]


def shopper(app, address: str = "203.0.113.7") -> ShopClient:
    """A shopper's browser connecting from `address`."""
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = address
    return shop


def buy(shop: ShopClient, variant_id: int, quantity: int = 1, phone: str = "+44 20 7946 0958", **fields):
    """Fill the cart and send the checkout form; the response."""
    assert shop.add(variant_id, quantity).status_code == 303
    return shop.checkout({**CHECKOUT_DELIVERY, "phone": phone, **fields})


def order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Order.id)))


def set_limits(app, **changes) -> None:
    with app.app_context():
        save_limits(db.session, {**asdict(DEFAULT_LIMITS), **changes}, None, utcnow())
        db.session.commit()


def test_config_defaults_are_the_documented_defaults():
    assert (
        Config.ORDER_MAX_UNITS,
        Config.ORDER_MAX_OPEN_PER_PHONE,
        Config.ORDER_MAX_OPEN_PER_ADDRESS,
        Config.ORDER_RELEASE_AFTER_HOURS,
    ) == (30, 3, 3, 48)
    assert HoardingLimits(30, 3, 3, 48) == DEFAULT_LIMITS


def test_a_real_shopper_is_not_hurt_by_the_defaults(app, stock):
    shop = shopper(app)
    for variant_id, quantity in zip(stock, (2, 1, 3)):
        assert shop.add(variant_id, quantity).status_code == 303
    response = shop.checkout(CHECKOUT_DELIVERY)
    assert response.status_code == 303 and "/o/" in response.headers["Location"]
    # Forgot something: a second order from the same phone and address goes through too.
    again = buy(shop, stock[0], 2)
    assert again.status_code == 303
    assert order_count(app) == 2
    assert units_left(app, stock[0]) == 96


def test_too_many_units_in_one_order_is_refused_and_the_cart_kept(app, stock):
    shop = shopper(app)
    assert shop.add(stock[0], 20).status_code == 303
    assert shop.add(stock[1], 11).status_code == 303
    response = shop.checkout(CHECKOUT_DELIVERY)
    assert response.status_code == 422
    assert UNITS_MESSAGE in response.text
    assert 'name="customer_name"' in response.text and "Ada Shopper" in response.text, "the form is shown again"
    assert order_count(app) == 0 and units_left(app, stock[0]) == 100
    cart = shop.client.get("/cart").text
    assert "Tea towel" in cart and "Mug" in cart
    # One unit fewer is fine.
    assert shop.post("/cart/update", {"variant_id": stock[1], "quantity": 10}).status_code in (200, 303)
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303


def test_open_cash_orders_per_phone_are_limited_until_staff_confirm(app, stock):
    for n in range(3):  # the same phone, written differently, from three addresses
        phone = ("+44 20 7946 0958", "44 20 7946 0958", "+44 (20) 7946-0958")[n]
        assert buy(shopper(app, f"198.51.100.{n + 1}"), stock[0], phone=phone).status_code == 303
    refused = buy(shopper(app, "198.51.100.9"), stock[1], phone="+44 20 7946 0958")
    assert refused.status_code == 429
    assert PHONE_MESSAGE in refused.text and "Ada Shopper" in refused.text
    assert order_count(app) == 3 and units_left(app, stock[1]) == 100
    with app.app_context():  # staff confirm one: it no longer counts
        from storefront.orders.service import apply_event

        order = db.session.scalars(select(Order).order_by(Order.id)).first()
        apply_event(db.session, order, "confirm", utcnow())
        db.session.commit()
    assert buy(shopper(app, "198.51.100.9"), stock[1], phone="+44 20 7946 0958").status_code == 303


def test_the_attack_from_one_address_with_made_up_phones_is_stopped(app, stock):
    """Five cash orders from one address in a moment, each with a new phone: three go through."""
    attacker = shopper(app, "192.0.2.66")
    statuses = []
    for n in range(5):
        if not statuses or statuses[-1] == 303:  # a refused order leaves its cart as it was
            for variant_id in stock:
                attacker.add(variant_id, 10)
        statuses.append(attacker.checkout({**CHECKOUT_PICKUP, "phone": f"+1 555 01{n:02d}"}).status_code)
    assert statuses == [303, 303, 303, 429, 429]
    assert sum(units_left(app, v) for v in stock) == 300 - 90, "at most 3 orders x 30 units"
    refused = attacker.checkout({**CHECKOUT_PICKUP, "phone": "+1 555 0199"})
    assert refused.status_code == 429 and ADDRESS_MESSAGE in refused.text
    # Someone else, elsewhere, can still shop.
    assert buy(shopper(app, "192.0.2.200"), stock[0], phone="+1 555 0300").status_code == 303


def test_ipv6_addresses_of_one_subscriber_count_as_one(app, stock):
    for n in range(3):
        assert buy(shopper(app, f"2001:db8:1:2::{n + 1}"), stock[0], phone=f"+1 555 02{n:02d}").status_code == 303
    refused = buy(shopper(app, "2001:db8:1:2:ffff::9"), stock[0], phone="+1 555 0299")
    assert refused.status_code == 429
    assert buy(shopper(app, "2001:db8:1:3::1"), stock[0], phone="+1 555 0298").status_code == 303


def test_the_client_address_is_stored_as_a_keyed_hash_only(app, stock):
    assert buy(shopper(app, "203.0.113.50"), stock[0]).status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        expected = hmac.new(b"test-secret-key", b"order-client:203.0.113.50", hashlib.sha256).hexdigest()
        assert order.client_hash == expected
        row = db.session.execute(select(Order.__table__)).one()
        assert not any("203.0.113.50" in str(value) for value in row), "the raw address is stored nowhere"
    assert limit_rules.client_hash("203.0.113.50", "another-secret") != expected


def test_the_owner_tunes_the_limits_in_the_database(app, stock):
    set_limits(app, max_open_per_phone=1, max_units_per_order=5)
    with app.app_context():
        assert current_limits(db.session, app.config).max_open_per_phone == 1
    assert buy(shopper(app, "198.51.100.1"), stock[0], 6).status_code == 422
    shop = shopper(app, "198.51.100.1")
    assert buy(shop, stock[0], 5).status_code == 303
    assert buy(shopper(app, "198.51.100.2"), stock[0], 1).status_code == 429
    set_limits(app, max_open_per_phone=0, max_open_per_address=0, max_units_per_order=0)  # 0: off
    big = shopper(app, "198.51.100.3")
    big.add(stock[2], 20)
    assert buy(big, stock[1], 20).status_code == 303, "40 units in one order"
    for _ in range(4):
        assert buy(shopper(app, "198.51.100.3"), stock[1], 1).status_code == 303


def test_limits_from_the_environment_are_the_defaults_until_saved(app, stock):
    app.config["ORDER_MAX_OPEN_PER_ADDRESS"] = 1
    assert buy(shopper(app), stock[0], phone="+1 555 0101").status_code == 303
    assert buy(shopper(app), stock[0], phone="+1 555 0102").status_code == 429
    app.config["ORDER_MAX_OPEN_PER_ADDRESS"] = -5  # out of range: the built-in default, not a broken checkout
    assert buy(shopper(app), stock[0], phone="+1 555 0103").status_code == 303


@pytest.mark.parametrize("locale", ["bn", "es", "zh_Hans"])
def test_the_refusal_is_translated(app, stock, locale):
    shop = shopper(app)
    shop.client.set_cookie("locale", locale)
    shop.add(stock[0], 20)
    shop.add(stock[1], 11)
    response = shop.checkout(CHECKOUT_DELIVERY)
    assert response.status_code == 422
    assert UNITS_MESSAGE not in response.text
    assert 'role="alert"' in response.text
    if locale == "bn":  # the limit and the count in the page's own digits, like its prices
        assert "৩০" in response.text and "৩১" in response.text


SHOPPERS = 8


def _race(app, stock, addresses, phones):
    """SHOPPERS checkouts sent at once (real threads, a Barrier); their status codes."""
    prepared = []
    for address, phone in zip(addresses, phones):
        shop = shopper(app, address)
        assert shop.add(stock[0], 1).status_code == 303
        prepared.append((shop, shop.checkout_key(), phone))
    barrier = threading.Barrier(SHOPPERS)

    def send(args):
        shop, key, phone = args
        barrier.wait()
        return shop.checkout({**CHECKOUT_DELIVERY, "phone": phone}, key=key).status_code

    with ThreadPoolExecutor(SHOPPERS) as pool:
        return sorted(pool.map(send, prepared))


def test_concurrent_orders_from_one_phone_cannot_all_pass(app, stock):
    statuses = _race(app, stock, [f"198.51.100.{n + 1}" for n in range(SHOPPERS)], ["+44 20 7946 0958"] * SHOPPERS)
    assert statuses == [303] * 3 + [429] * (SHOPPERS - 3), statuses
    assert order_count(app) == 3 and units_left(app, stock[0]) == 97


def test_concurrent_orders_from_one_address_cannot_all_pass(app, stock):
    statuses = _race(app, stock, ["192.0.2.66"] * SHOPPERS, [f"+1 555 01{n:02d}" for n in range(SHOPPERS)])
    assert statuses == [303] * 3 + [429] * (SHOPPERS - 3), statuses
    assert order_count(app) == 3 and units_left(app, stock[0]) == 97


def behind_proxy(app, forwarded_for: str) -> ShopClient:
    """A shopper reaching the shop through a reverse proxy on the same machine."""
    shop = shopper(app, "127.0.0.1")
    shop.client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return shop


def test_an_undeclared_proxy_does_not_give_the_whole_shop_one_address_quota(app, stock):
    """TRUST_PROXY forgotten: every shopper arrives from the proxy's 127.0.0.1. Counting that
    address would let only three cash orders be open in the whole shop."""
    assert not app.config["TRUST_PROXY"]
    for n in range(5):
        response = buy(behind_proxy(app, f"203.0.113.{n + 1}"), stock[0], phone=f"+1 555 02{n:02d}")
        assert response.status_code == 303, n
    assert order_count(app) == 5
    # The per-phone limit still holds for them.
    for _n in range(2):
        assert buy(behind_proxy(app, "203.0.113.40"), stock[1], phone="+1 555 0200").status_code == 303
    assert buy(behind_proxy(app, "203.0.113.41"), stock[1], phone="+1 555 0200").status_code == 429


def test_a_direct_client_cannot_dodge_the_address_limit_with_a_forged_header(app, stock):
    attacker = shopper(app, "192.0.2.66")
    statuses = []
    for n in range(4):
        attacker.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n + 1}"
        statuses.append(buy(attacker, stock[0], phone=f"+1 555 03{n:02d}").status_code)
    assert statuses == [303, 303, 303, 429]


@pytest.fixture
def proxied_app(db_url, tmp_path):
    """The shop run as README's production notes say: behind nginx, with TRUST_PROXY=1."""
    from tests.helpers import _make_app

    yield from _make_app(db_url, tmp_path, {"TRUST_PROXY": 1})


def test_with_trust_proxy_the_forwarded_address_is_counted(proxied_app):
    with proxied_app.app_context():
        variant = make_product("Mug", price=1000, variants=(("One size", 100),)).variants[0].id
    statuses = [
        buy(behind_proxy(proxied_app, "203.0.113.7"), variant, phone=f"+1 555 04{n:02d}").status_code for n in range(4)
    ]
    assert statuses == [303, 303, 303, 429]
    assert buy(behind_proxy(proxied_app, "203.0.113.8"), variant, phone="+1 555 0499").status_code == 303


def test_the_international_00_prefix_is_the_same_phone(app, stock):
    """ "0044 20 7946 0958" dialled from abroad is "+44 20 7946 0958": it must not reopen the quota."""
    for n, phone in enumerate(("+44 20 7946 0958", "0044 20 7946 0958", "44 20 7946 0958")):
        assert buy(shopper(app, f"198.51.100.{n + 1}"), stock[0], phone=phone).status_code == 303
    refused = buy(shopper(app, "198.51.100.9"), stock[1], phone="00 44 20 7946 0958")
    assert refused.status_code == 429 and PHONE_MESSAGE in refused.text


def test_the_customer_lock_comes_before_any_stock_row_lock(app, stock, monkeypatch):
    """Row locks taken before the customer's lock could deadlock two checkouts from one phone."""
    from storefront.checkout import service as checkout

    seen, place = [], checkout.orders.place_order

    def spy(session, *args, **kwargs):  # placing the order is what reserves stock (row locks)
        if session.get_bind().dialect.name == "postgresql":
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            seen.append(session.scalar(text(held)))
        else:  # SQLite: the checkout's write transaction already holds the one write lock
            seen.append(session.connection().connection.driver_connection.in_transaction)
        return place(session, *args, **kwargs)

    monkeypatch.setattr(checkout.orders, "place_order", spy)
    assert buy(shopper(app), stock[0]).status_code == 303
    assert seen == [2] or seen == [True], seen  # PostgreSQL: the phone's and the address's lock
