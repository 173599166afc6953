"""Scale-out: two gunicorn servers on different ports sharing one PostgreSQL and one Redis.

Login rate limits count across both servers (Redis), and the last units of a product are sold
exactly once however the shoppers are spread over them (PostgreSQL's conditional UPDATE).
"""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, make_product, make_user, stock_of
from tests.helpers import _make_app, _truncate_all
from tests.live_server import gunicorn

UNITS, SHOPPERS = 10, 24


@pytest.fixture
def two_servers(postgres_url, redis_url, tmp_path):
    """Servers A and B (2 workers each) on one database and one Redis; yields (a, b, variant id)."""
    _truncate_all(postgres_url)
    shop = _make_app(postgres_url, tmp_path)
    app = next(shop)
    with app.app_context():
        variant_id = make_product("Last coats", price=9000, variants=(("One size", UNITS),)).variants[0].id
        make_user("owner@example.com", "owner")
    settings = {
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": f"scale-{uuid.uuid4().hex[:8]}",  # a fresh count for this run
        "LOGIN_RATE_LIMIT": "5 per minute",
        # Every shopper here is 127.0.0.1 with one phone: this test is about stock, not hoarding.
        "ORDER_MAX_OPEN_PER_PHONE": "0",
        "ORDER_MAX_OPEN_PER_ADDRESS": "0",
    }
    with (
        gunicorn(postgres_url, tmp_path / "media", workers=2, **settings) as a,
        gunicorn(postgres_url, tmp_path / "media", workers=2, **settings) as b,
    ):
        yield a, b, variant_id, app
    next(shop, None)


def _csrf(session: requests.Session, url: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', session.get(url, timeout=10).text).group(1)


def test_login_limits_are_shared_by_both_servers(two_servers):
    a, b, _variant, _app = two_servers
    statuses = []
    for attempt in range(6):  # alternate: three tries on each server
        base = (a, b)[attempt % 2]
        browser = requests.Session()
        token = _csrf(browser, f"{base}/login")
        answer = browser.post(
            f"{base}/login",
            data={"csrf_token": token, "email": "owner@example.com", "password": "wrong password"},
            allow_redirects=False,
            timeout=10,
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * 5 + [429], statuses


def test_the_last_units_sell_once_across_both_servers(two_servers):
    a, b, variant_id, app = two_servers
    shoppers = []
    for n in range(SHOPPERS):
        base = (a, b)[n % 2]
        browser = requests.Session()
        token = _csrf(browser, f"{base}/cart")
        added = browser.post(
            f"{base}/cart/add",
            data={"csrf_token": token, "variant_id": variant_id, "quantity": 1},
            allow_redirects=False,
            timeout=10,
        )
        assert added.status_code == 303
        form = browser.get(f"{base}/checkout", timeout=10).text
        key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', form).group(1)
        shoppers.append((base, browser, token, key))
    barrier = threading.Barrier(SHOPPERS)

    def check_out(shopper):
        base, browser, token, key = shopper
        barrier.wait()
        data = {**CHECKOUT_PICKUP, "csrf_token": token, "checkout_key": key}
        return browser.post(f"{base}/checkout", data=data, allow_redirects=False, timeout=60).status_code

    with ThreadPoolExecutor(SHOPPERS) as pool:
        statuses = sorted(pool.map(check_out, shoppers))
    assert statuses == [303] * UNITS + [409] * (SHOPPERS - UNITS), statuses
    with app.app_context():
        assert stock_of(variant_id) == 0
        assert db.session.scalar(select(func.count(Order.id))) == UNITS
