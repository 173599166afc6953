"""Stores against the database: nearest (SQL boxes) vs brute force, binding once, each order's store, the report."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from storefront.clock import utcnow
from storefront.domain import Invalid
from storefront.extensions import db
from storefront.sellers import service as sellers
from storefront.stores import report, rules, service
from storefront.stores.models import CustomerStore, Store
from storefront.stores.rules import Point
from tests.builders import make_product
from tests.sellers.builders import make_order, make_seller, touched
from tests.stores.builders import make_store
from tests.stores.test_rules import _random_point


@pytest.fixture(autouse=True)
def _context(app):
    """Every test here talks to the database directly."""
    with app.app_context():
        yield


def test_nearest_stores_in_sql_equal_brute_force(app):
    rng = random.Random(99)
    rows = [_random_point(rng) for _ in range(300)]
    db.session.execute(
        insert(Store),
        [
            {"name": f"S{i}", "latitude": p.lat, "longitude": p.lng, "pickup": i % 3 != 0, "active": i % 10 != 0}
            for i, p in enumerate(rows)
        ],
    )
    db.session.commit()
    stores = db.session.scalars(select(Store)).all()
    for _ in range(60):
        centre = _random_point(rng)
        for pickup_only in (False, True):
            got = [round(d, 6) for d, _ in service.nearest_stores(db.session, centre, 3, pickup_only)]
            eligible = [s for s in stores if s.active and (s.pickup or not pickup_only)]
            expected = sorted(round(rules.haversine_km(centre, Point(s.latitude, s.longitude)), 6) for s in eligible)
            assert got == expected[:3], centre
    assert service.nearest_store(db.session, 89.99, 179.99) is not None


def test_bind_customer_keeps_the_first_binding_even_at_once(app):
    a, b = make_store("North", 55.0, -3.0).id, make_store("South", 50.0, -3.0).id
    now = utcnow()
    assert service.bind_customer(db.session, "tel:447700900123", a, now).store_id == a
    assert service.bind_customer(db.session, "tel:447700900123", b, now).store_id == a, "the first binding stays"
    db.session.commit()
    with pytest.raises(Invalid):
        service.bind_customer(db.session, "", a, now)
    barrier = threading.Barrier(8)

    def bind(n):
        with app.app_context():
            barrier.wait()
            try:
                binding = service.bind_customer(db.session, "email:race@example.com", (a, b)[n % 2], utcnow())
                db.session.commit()
                return binding.store_id
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        chosen = set(pool.map(bind, range(8)))
    assert len(chosen) == 1
    assert db.session.scalar(select(func.count(CustomerStore.id))) == 2


def test_assign_order_binds_a_new_customer_and_keeps_the_store(app):
    paris = make_store("Paris 11", 48.858, 2.380, "Paris", "75011")
    lyon = make_store("Lyon", 45.764, 4.835, "Lyon", "69002")
    counter = make_store("Counter", 45.76, 4.84, "Lyon", "69001", pickup=False)
    coat = make_product("Wool coat", price=10000)
    now = utcnow()
    first = make_order([(coat, 1)], phone="+33 6 12 34 56 78")
    first.postcode = "75020"
    assert service.assign_order(db.session, first, now).id == paris.id, "by the order's postcode"
    assert service.assign_order(db.session, first, now).id == paris.id, "idempotent"
    later = make_order([(coat, 1)], phone="+33 6 12 34 56 78")
    assert service.assign_order(db.session, later, now, location=Point(45.76, 4.83)).id == paris.id, "bound stays"
    pickup = make_order([(coat, 1)], phone="+33 6 12 34 56 78")
    assert service.assign_order(db.session, pickup, now, pickup_store_id=lyon.id).id == lyon.id, "pickup store"
    with pytest.raises(Invalid):
        service.assign_order(db.session, make_order([(coat, 1)]), now, pickup_store_id=counter.id)
    db.session.rollback()
    chooser = make_order([(coat, 1)], phone="+1 555 0100", email="")
    assert service.assign_order(db.session, chooser, now, chosen_store_id=lyon.id).id == lyon.id
    located = make_order([(coat, 1)], phone="+1 555 0199", email="")
    assert service.assign_order(db.session, located, now, location=Point(45.7, 4.9)).id in (lyon.id, counter.id)
    nowhere = make_order([(coat, 1)], phone="", email="")
    assert service.assign_order(db.session, nowhere, now) is None, "nothing to go by: no store"
    db.session.commit()


@pytest.mark.clock_sensitive  # a report over days around now
def test_revenue_report_per_store_seller_and_channel(app):
    paris = make_store("Paris", 48.85, 2.35, "Paris", "75001")
    make_seller("ANNA24", rate_bp=1000)
    coat = make_product("Wool coat", price=10000)
    now = utcnow()
    service.save_shares(db.session, store_bp=500, seller_bp=250, user_id=None, now=now)
    referred = make_order([(coat, 2)])  # 200.00 via ANNA24, bound to Paris
    sellers.credit_order(db.session, referred, touched(("ANNA24", now)), now)
    service.assign_order(db.session, referred, now, chosen_store_id=paris.id)
    picked = make_order([(coat, 1)], phone="+33 1 00 00 00 01")  # 100.00 picked up in Paris
    picked.delivery_method = "pickup"
    service.assign_order(db.session, picked, now, pickup_store_id=paris.id)
    make_order([(coat, 1)], phone="", email="")  # 100.00 online, no store
    cancelled = make_order([(coat, 5)])
    cancelled.status = "cancelled"
    old = make_order([(coat, 3)], created_at=now - timedelta(days=40))
    assert old.id
    db.session.commit()
    data = report.revenue_report(db.session, now - timedelta(days=1), now + timedelta(days=1))
    assert (data.orders, data.turnover) == (3, 40000)
    by_store = {r.label: (r.orders, r.turnover, r.share) for r in data.by_store}
    assert by_store == {"Paris": (2, 30000, 1500), "": (1, 10000, None)}
    by_seller = {r.label: (r.orders, r.turnover, r.share, r.commission) for r in data.by_seller}
    assert by_seller == {"Anna24 (ANNA24)": (1, 20000, 500, 2000), "": (2, 20000, None, None)}
    assert {r.key: r.turnover for r in data.by_channel} == {"seller": 20000, "pickup": 10000, "online": 10000}
    assert (data.store_shares, data.seller_shares, data.shop_keeps) == (1500, 500, 38000)
    sellers.order_cancelled(db.session, referred.id, now)
    db.session.commit()
    again = report.revenue_report(db.session, now - timedelta(days=1), now + timedelta(days=1))
    assert {r.key: r.turnover for r in again.by_channel}["online"] == 30000, "a reversed credit is no seller sale"


@pytest.mark.clock_sensitive  # a report over days around now
def test_turnover_is_the_goods_after_the_lines_share_of_a_discount_code(app):
    coat = make_product("Wool coat", price=10000)
    now = utcnow()
    discounted = make_order([(coat, 2)])  # 200.00 of goods, 30.00 off them by a code, 5.00 off the delivery
    discounted.lines[0].discount = 3000
    discounted.discount, discounted.total = 3500, discounted.total - 3500
    make_order([(coat, 1)], phone="", email="")  # 100.00, no code
    db.session.commit()
    data = report.revenue_report(db.session, now - timedelta(days=1), now + timedelta(days=1))
    assert (data.orders, data.turnover) == (2, 27000)
