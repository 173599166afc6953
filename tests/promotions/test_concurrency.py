"""The issue's race: a code for 10 uses, 1 per customer; 200 shoppers plus 20 checkouts from one phone.

Exactly 10 redemptions, at most one per customer, on SQLite (threads on one file, WAL) and
PostgreSQL: the limits move only through conditional UPDATEs inside the checkout transaction.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import pytest
from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.limit_rules import DEFAULT_LIMITS
from storefront.orders.limits import save_limits
from storefront.orders.models import Order
from storefront.promotions.models import CustomerCodeUse, DiscountCode, Redemption
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_product
from tests.helpers import _make_app

from .helpers import apply_code, make_code

DIFFERENT = 200
SAME_PHONE = 20
LIMIT = 10


@pytest.fixture
def app(db_url, tmp_path):
    """The shop with a pool where 220 checkouts queue for a connection instead of timing out.

    SQLite keeps the default pool (15): the rest wait in the pool's queue, not on the file's
    write lock (busy_timeout). PostgreSQL gets 60 connections, under its default limit of 100.
    """
    pool = {"pool_timeout": 600} if db_url.startswith("sqlite") else {"pool_size": 20, "max_overflow": 40}
    yield from _make_app(
        db_url, tmp_path, {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_timeout": 600, **pool}}
    )


def test_ten_uses_one_per_customer_under_220_concurrent_checkouts(app):
    with app.app_context():
        variant = make_product("Tea", price=1000, variants=(("Tin", 10_000),)).variants[0].id
        code_id = make_code("RACE10", "fixed", 100, max_uses=LIMIT, max_per_customer=1)
        # This test is about the code: the hoarding limits (per phone, per address) are off.
        save_limits(
            db.session, {**asdict(DEFAULT_LIMITS), "max_open_per_phone": 0, "max_open_per_address": 0}, None, utcnow()
        )
        db.session.commit()
    shoppers = []
    for n in range(DIFFERENT + SAME_PHONE):
        shop = ShopClient(app.test_client())
        shop.client.environ_base["REMOTE_ADDR"] = (
            f"10.1.{n // 200}.{n % 200 + 1}"  # code tries are rate-limited per address
        )
        assert shop.add(variant, 1).status_code == 303
        assert apply_code(shop, "race10").status_code == 303
        phone = f"0171 555 {n:04d}" if n < DIFFERENT else "0171 999 0000"
        shoppers.append((shop, {**CHECKOUT_PICKUP, "phone": phone}, shop.checkout_key()))
    barrier = threading.Barrier(len(shoppers))

    def race(args):
        shop, fields, key = args
        barrier.wait()
        return shop.checkout(fields, key=key)

    with ThreadPoolExecutor(len(shoppers)) as pool:
        responses = list(pool.map(race, shoppers))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(303) == LIMIT, statuses
    assert statuses.count(409) == len(shoppers) - LIMIT, statuses  # no 500, no "database is locked"
    with app.app_context():
        keys = db.session.scalars(select(Redemption.customer_key)).all()
        assert len(keys) == LIMIT and len(set(keys)) == LIMIT  # one per customer
        assert db.session.scalar(select(DiscountCode.uses).where(DiscountCode.id == code_id)) == LIMIT
        assert db.session.scalar(select(func.count(Order.id))) == LIMIT
        assert db.session.scalar(select(func.max(CustomerCodeUse.uses))) == 1
        assert all(o.discount == 100 for o in db.session.scalars(select(Order)))
