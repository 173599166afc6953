"""Orders linked to one customer per phone (else email); figures follow cancels and refunds; races; RFM."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from storefront.analytics import rollup
from storefront.analytics.cli import shop_zone
from storefront.clock import utcnow
from storefront.customers import service
from storefront.customers.models import Customer, CustomerOrder
from storefront.extensions import db
from storefront.orders import service as orders
from storefront.orders.models import Order
from storefront.orders.rules import OrderEvent
from storefront.payments.manual_refunds import record_manual_refund
from storefront.reports import service as reports
from storefront.reports.rules import DateRange
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, make_product, nth_shopper
from tests.customers.conftest import customers_in_db, place
from tests.sellers.builders import make_order
from tests.stores.builders import make_store


def test_one_customer_per_phone_whatever_its_formatting(app, mug):
    assert place(app, mug, 1, customer_name="Ada Old", phone="+44 20 7946 0958").status_code == 303
    assert place(app, mug, 2, 2, customer_name="Ada New", phone="+44-20-7946-0958", city="Leeds").status_code == 303
    [customer] = customers_in_db(app)
    assert customer.key == "tel:442079460958"
    assert (customer.orders_count, customer.spend) == (2, 2900 + 5300), "two sales: 24 + 5 and 48 + 5"
    assert (customer.name, customer.city, customer.email) == ("Ada New", "Leeds", "ada@example.com")
    assert customer.first_order_at < customer.last_order_at or customer.first_order_at == customer.last_order_at
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustomerOrder)) == 2


def test_an_order_without_a_usable_phone_is_its_emails_customer(app):
    with app.app_context():
        product = make_product("Jug", price=1000, variants=(("One", 5),))
        order = make_order([(product, 1)], email=" Solo@Example.com ", phone="")
        first = service.link_order(db.session, order, utcnow())
        again = service.link_order(db.session, order, utcnow())  # a redelivered event changes nothing
        db.session.commit()
        customer = db.session.get(Customer, first)
        assert first == again and customer.key == "email:solo@example.com"
        assert (customer.orders_count, customer.spend, customer.email) == (1, 1500, "solo@example.com")


def test_figures_follow_a_cancel_and_a_refund(app, mug):
    for n in (1, 2, 3):
        assert place(app, mug, n).status_code == 303
    with app.app_context():
        first, second, _third = db.session.scalars(select(Order).order_by(Order.id)).all()
        orders.apply_event(db.session, first, OrderEvent.CANCEL, utcnow())
        db.session.commit()
        customer = db.session.scalars(select(Customer)).one()
        assert (customer.orders_count, customer.spend) == (2, 2 * 2900), "a cancelled order is no sale"
        record_manual_refund(db.session, second.id, 1000, "refund-1", utcnow(), None)
        db.session.commit()
        db.session.refresh(customer)
        assert (customer.orders_count, customer.spend) == (2, 2 * 2900 - 1000), "money given back is not spend"


def test_a_field_the_newest_order_lacks_comes_from_an_earlier_one(app, mug):
    with app.app_context():
        store_id = make_store("Main Street", 45.52, -122.68, city="Portland").id
    assert place(app, mug, 1, customer_name="Ada Away", city="Leeds").status_code == 303
    pickup = {**CHECKOUT_PICKUP, "phone": CHECKOUT_DELIVERY["phone"], "pickup_store": str(store_id)}
    shop = nth_shopper(app, 2)
    assert shop.add(mug, 1).status_code == 303 and shop.checkout(pickup).status_code == 303
    [customer] = customers_in_db(app)
    assert customer.orders_count == 2 and customer.name == CHECKOUT_PICKUP["customer_name"], "the newest name"
    assert (customer.city, customer.email, customer.country) == ("Leeds", "ada@example.com", "GB"), "kept"


def test_concurrent_first_orders_from_one_phone_make_one_customer(app):
    with app.app_context():
        product = make_product("Jug", price=1000, variants=(("One", 50),))
        ids = [make_order([(product, 1)], phone=f"+44 7700 900{123 if n % 2 else '-123'}").id for n in range(8)]
    barrier = threading.Barrier(8, timeout=30)

    def link(order_id: int) -> int:
        with app.app_context():
            barrier.wait()
            try:
                order = db.session.get(Order, order_id)
                customer_id = service.link_order(db.session, order, utcnow())
                db.session.commit()
                return customer_id
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        linked = set(pool.map(link, ids))
    assert len(linked) == 1
    with app.app_context():
        service.refresh(db.session, linked.pop(), utcnow())
        db.session.commit()
    [customer] = customers_in_db(app)
    assert customer.orders_count == 8 and customer.spend == 8 * 1500


def test_stored_rfm_equals_the_reports_rfm(app):
    now = utcnow()
    with app.app_context():
        product = make_product("Jug", price=1000, variants=(("One", 500),))
        plan = {  # phone: days ago of each order
            "+1 555 0101": [1, 5, 9, 12],
            "+1 555 0102": [2, 40],
            "+1 555 0103": [3],
            "+1 555 0104": [100, 120, 150],
            "+1 555 0105": [200],
            "+1 555 0106": [50],
            "+1 555 0107": [20, 70],
        }
        for i, (phone, days) in enumerate(plan.items()):
            for d in days:
                make_order([(product, i + 1)], phone=phone, email="", created_at=now - timedelta(days=d))
        assert service.rebuild(db.session, now, shop_zone()) == len(plan)
        assert service.rebuild(db.session, now, shop_zone()) == len(plan), "rebuilding again changes nothing"
        db.session.commit()
        stored = Counter(db.session.scalars(select(Customer.rfm_segment)))
        for _step in rollup.catch_up(db.session, now, shop_zone()):
            db.session.commit()
        today = now.astimezone(shop_zone()).date()
        scored = reports.customers(db.session, DateRange(today - timedelta(days=400), today)).scored
        assert stored == Counter(r.segment for r in scored)
        assert len(set(stored)) >= 4, "the data reaches several segments"
        assert db.session.scalar(select(func.count()).select_from(CustomerOrder)) == 14


def test_the_periodic_rfm_job_stores_every_customers_segment(app, mug):
    from storefront import jobs

    assert place(app, mug, 1).status_code == 303
    with app.app_context():
        assert "customers.rfm" in jobs.REGISTRY.periodic
        db.session.execute(Customer.__table__.update().values(rfm_segment="lapsed"))
        db.session.commit()
        report = jobs.run_due(db.session, utcnow())
        assert "customers.rfm" in report.names and report.failed_attempts == 0
    [customer] = customers_in_db(app)
    assert customer.rfm_segment == "new" and customer.rfm_at is not None
