"""Acceptance 3 and 4 under real concurrency: threads with their own connections, started together."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.sellers import service
from storefront.sellers.models import CommissionEntry, Payout, Seller
from storefront.sellers.rules import PayoutTooLarge
from tests.builders import make_product
from tests.sellers.builders import make_order, make_seller, touched

THREADS = 10


def _race(app, work):
    """Run work() in THREADS threads, each in its own app context (own session and connection)."""
    barrier = threading.Barrier(THREADS)

    def one(_):
        with app.app_context():
            barrier.wait()
            try:
                return work()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def test_ten_concurrent_fulfilments_create_one_commission(app):
    with app.app_context():
        seller_id = make_seller("ANNA24", rate_bp=1000).id
        order_id = make_order([(make_product("Wool coat", price=10000), 1)]).id
    attribution = touched(("ANNA24", utcnow()))

    def fulfil():
        now = utcnow()
        order = db.session.get(Order, order_id)
        entry = service.credit_order(db.session, order, attribution, now)
        service.order_paid(db.session, order_id, now)
        service.order_completed(db.session, order_id, now, return_window_days=0)
        db.session.commit()
        return entry.id

    ids = _race(app, fulfil)
    assert len(set(ids)) == 1, "every fulfilment sees the one entry"
    with app.app_context():
        assert db.session.scalar(select(func.count(CommissionEntry.id))) == 1
        entry = db.session.scalars(select(CommissionEntry)).one()
        assert (entry.status, entry.amount) == ("approved", 1000)
        assert db.session.get(Seller, seller_id).owed == 1000, "approved once, owed once"


def test_concurrent_payouts_never_exceed_the_approved_commission(app):
    with app.app_context():
        seller_id = make_seller("ANNA24", rate_bp=1000).id
        product = make_product("Wool coat", price=10000)
        now = utcnow()
        for _ in range(3):  # 3 x 10.00 approved
            order = make_order([(product, 1)])
            service.credit_order(db.session, order, touched(("ANNA24", now)), now)
            service.order_paid(db.session, order.id, now)
            service.order_completed(db.session, order.id, now, return_window_days=0)
        db.session.commit()

    def pay():
        try:
            service.record_payout(db.session, seller_id, 700, None, utcnow())
            db.session.commit()
            return "paid"
        except PayoutTooLarge:
            db.session.rollback()
            return "refused"

    outcomes = _race(app, pay)
    assert outcomes.count("paid") == 4 and outcomes.count("refused") == 6, outcomes  # 4 x 7.00 <= 30.00
    with app.app_context():
        assert db.session.scalar(select(func.sum(Payout.amount))) == 2800
        assert db.session.get(Seller, seller_id).owed == 200
