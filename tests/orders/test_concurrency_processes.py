"""Acceptance 2 with real processes: several gunicorn workers share one SQLite file."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import pytest
from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.limit_rules import DEFAULT_LIMITS
from storefront.orders.limits import save_limits
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, make_product, stock_of
from tests.live_server import gunicorn

SHOPPERS = 40
LAST_UNITS = 5


@pytest.fixture
def server(sqlite_app, tmp_path):
    """gunicorn with 4 worker processes on the test's SQLite file."""
    with sqlite_app.app_context():
        variant = make_product("Last lamp", variants=(("One size", LAST_UNITS),)).variants[0].id
        # Every shopper here comes from 127.0.0.1 with one phone: this test is about stock, so
        # the owner has switched the per-phone and per-address limits off.
        save_limits(
            db.session, {**asdict(DEFAULT_LIMITS), "max_open_per_phone": 0, "max_open_per_address": 0}, None, utcnow()
        )
        db.session.commit()
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=4) as base:
        yield base, variant


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A shopper's browser over real HTTP: cookies kept, redirects not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()


def test_last_units_across_worker_processes(server, sqlite_app):
    base, variant = server
    prepared = []
    for _ in range(SHOPPERS):
        browser = Browser(base)
        _, html = browser.request("/cart")
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        status, _ = browser.request("/cart/add", {"csrf_token": token, "variant_id": variant, "quantity": 1})
        assert status == 303
        _, form = browser.request("/checkout")
        key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', form).group(1)
        prepared.append((browser, {**CHECKOUT_PICKUP, "csrf_token": token, "checkout_key": key}))
    barrier = threading.Barrier(SHOPPERS)

    def race(args):
        browser, fields = args
        barrier.wait()
        return browser.request("/checkout", fields)

    with ThreadPoolExecutor(SHOPPERS) as pool:
        results = list(pool.map(race, prepared))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(303) == LAST_UNITS, statuses
    assert statuses.count(409) == SHOPPERS - LAST_UNITS, statuses
    assert not any("database is locked" in body for _, body in results)
    with sqlite_app.app_context():
        assert stock_of(variant) == 0
        assert db.session.scalar(select(func.count(Order.id))) == LAST_UNITS
