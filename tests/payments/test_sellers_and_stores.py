"""Seller commissions and stores wired into checkout, card payment, cancellation and refunds."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.sellers.models import CommissionEntry
from storefront.stores.models import CustomerStore, OrderStore
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_user
from tests.sellers.builders import make_seller
from tests.stores.builders import make_store

from .helpers import deliver, only_order, pay_by_card, session_id_of

DELIVERIES = 10


def _entries() -> list[CommissionEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(CommissionEntry)))


def _arrive_by_seller_link(app, shop: ShopClient, code: str = "ANNA24") -> None:
    with app.app_context():
        make_seller(code, rate_bp=1000)  # 10 %
        slug = db.session.scalars(select(Product.slug)).first()
    assert shop.client.get(f"/p/{slug}?ref={code}").status_code == 200


def test_ten_concurrent_fulfilments_credit_the_seller_once(app, shop, coat, fake_stripe):
    _arrive_by_seller_link(app, shop)
    session_id = session_id_of(pay_by_card(shop, coat, 2))  # 2 x 50.00 (+5.00 delivery, not commissioned)
    with app.app_context():
        (entry,) = _entries()
        assert (entry.status, entry.amount, entry.order_paid_at) == ("pending", 1000, None)
        token = only_order().token
    fake_stripe.pay(session_id)
    events = [fake_stripe.event("checkout.session.completed", session_id) for _ in range(DELIVERIES)]
    barrier = threading.Barrier(DELIVERIES + 2)

    def deliver_event(event):
        client = app.test_client()
        barrier.wait()
        return client.post("/stripe/webhook", data=event[0], headers={"Stripe-Signature": event[1]}).status_code

    def come_back(_):
        client = app.test_client()
        barrier.wait()
        return client.get(f"/o/{token}/paid?session_id={session_id}").status_code

    with ThreadPoolExecutor(DELIVERIES + 2) as pool:
        hooks = [pool.submit(deliver_event, e) for e in events] + [pool.submit(come_back, i) for i in range(2)]
        assert sorted(f.result() for f in hooks) == [200] * DELIVERIES + [303] * 2
    with app.app_context():
        (entry,) = _entries()
        assert entry.status == "pending" and entry.amount == 1000 and entry.order_paid_at is not None


def test_refunds_reduce_then_reverse_the_commission(app, shop, coat, fake_stripe):
    _arrive_by_seller_link(app, shop)
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id)
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    with app.app_context():
        make_user()
        reference = only_order().reference
    owner = ShopClient(app.test_client())
    owner.login()

    def refund(amount: str):
        html = owner.client.get(f"/admin/orders/{reference}").get_data(as_text=True)
        key = re.search(r'name="refund_key" value="([^"]+)"', html).group(1)
        return owner.post(f"/admin/orders/{reference}/refund", {"amount": amount, "refund_key": key})

    assert refund("50.00").status_code == 303  # half the goods back
    with app.app_context():
        (entry,) = _entries()
        assert entry.amount == 500 and entry.status == "pending"
    assert refund("55.00").status_code == 303  # the rest
    with app.app_context():
        (entry,) = _entries()
        assert entry.amount == 0 and entry.status == "reversed"


def test_cancelled_cash_order_and_unpaid_card_order_reverse_the_commission(app, shop, coat, fake_stripe):
    _arrive_by_seller_link(app, shop)
    assert shop.add(coat, 1).status_code == 303
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
    with app.app_context():
        make_user()
        reference = only_order().reference
    owner = ShopClient(app.test_client())
    owner.login()
    assert owner.post(f"/admin/orders/{reference}/event", {"event": "cancel"}).status_code == 303
    card = ShopClient(shop.client)
    session_id = session_id_of(pay_by_card(card, coat, 1))
    fake_stripe.expire(session_id)
    assert deliver(shop.client, fake_stripe, "checkout.session.expired", session_id).status_code == 200
    with app.app_context():
        assert [e.status for e in sorted(_entries(), key=lambda e: e.id)] == ["reversed", "reversed"]


def test_pickup_at_a_chosen_store_binds_the_customer(app, shop, coat):
    with app.app_context():
        north = make_store("North", 51.55, -0.10, city="London", postcode="N1", address="1 North Road")
        make_store("South", 51.45, -0.10, city="London", postcode="SE1")
        north_id = north.id
    assert shop.add(coat, 1).status_code == 303
    form = shop.client.get("/checkout").get_data(as_text=True)
    assert "North, London" in form and "South, London" in form
    refused = shop.checkout(CHECKOUT_PICKUP)
    assert refused.status_code == 422 and "Please choose the store where you will pick up." in refused.get_data(
        as_text=True
    )
    placed = shop.checkout({**CHECKOUT_PICKUP, "pickup_store": str(north_id)})
    assert placed.status_code == 303
    page = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "<strong>North</strong>" in page and "<address>1 North Road<br>" in page  # the pickup store's block
    with app.app_context():
        order = only_order()
        store = db.session.get(OrderStore, order.id)
        assert (store.store_id, store.reason) == (north_id, "pickup")
        assert [b.store_id for b in db.session.scalars(select(CustomerStore))] == [north_id]
    # A later delivery order by the same customer counts for the store they are bound to.
    assert shop.add(coat, 1).status_code == 303
    assert shop.checkout({**CHECKOUT_DELIVERY, "phone": CHECKOUT_PICKUP["phone"], "email": ""}).status_code == 303
    with app.app_context():
        stores = [s.store_id for s in db.session.scalars(select(OrderStore).order_by(OrderStore.order_id))]
        assert stores == [north_id, north_id]
