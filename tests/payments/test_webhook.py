"""The Stripe webhook: verified on the raw body, applied exactly once however often and however concurrently."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders.models import OrderStatusChange
from storefront.payments.models import Payment, ProviderNotification

from .fake_stripe import WEBHOOK_SECRET
from .helpers import deliver, only_order, pay_by_card, session_id_of

DELIVERIES = 10


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _assert_paid_once(app, variant_stock: int) -> None:
    with app.app_context():
        order = only_order()
        assert order.status == "placed"
        assert _count(OrderStatusChange, OrderStatusChange.event == "pay") == 1
        assert _count(StockMovement, StockMovement.order_id == order.id) == 1
        assert db.session.scalars(select(Payment)).one().status == "paid"
        from storefront.catalog.models import Variant

        variant = db.session.scalars(select(Variant)).one()
        assert (variant.on_hand, variant.reserved) == (variant_stock, 0)


def test_the_same_event_ten_times_at_once_pays_once(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id)
    payload, signature = fake_stripe.event("checkout.session.completed", session_id, event_id="evt_same")
    barrier = threading.Barrier(DELIVERIES)

    def deliver_once(_):
        client = app.test_client()
        barrier.wait()
        return client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature})

    with ThreadPoolExecutor(DELIVERIES) as pool:
        statuses = [r.status_code for r in pool.map(deliver_once, range(DELIVERIES))]
    assert statuses == [200] * DELIVERIES
    _assert_paid_once(app, variant_stock=3)
    with app.app_context():
        assert _count(ProviderNotification) == 1


def test_distinct_events_and_returns_racing_pay_once(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id)
    with app.app_context():
        token = only_order().token
    kinds = ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
    events = [fake_stripe.event(kinds[i % 2], session_id) for i in range(DELIVERIES)]
    barrier = threading.Barrier(DELIVERIES + 3)

    def deliver_event(event):
        client = app.test_client()
        barrier.wait()
        return client.post("/stripe/webhook", data=event[0], headers={"Stripe-Signature": event[1]}).status_code

    def come_back(_):
        client = app.test_client()
        barrier.wait()
        return client.get(f"/o/{token}/paid?session_id={session_id}").status_code

    with ThreadPoolExecutor(DELIVERIES + 3) as pool:
        hooks = [pool.submit(deliver_event, e) for e in events]
        returns = [pool.submit(come_back, i) for i in range(3)]
        assert [f.result() for f in hooks] == [200] * DELIVERIES
        assert [f.result() for f in returns] == [303] * 3
    _assert_paid_once(app, variant_stock=4)
    with app.app_context():
        assert _count(ProviderNotification) == DELIVERIES


@pytest.mark.parametrize(
    "forge",
    ["wrong_secret", "tampered_body", "too_old", "no_header", "not_json"],
)
def test_forged_or_stale_deliveries_are_refused_and_change_nothing(app, shop, coat, fake_stripe, forge):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id)
    payload, signature = fake_stripe.event("checkout.session.completed", session_id)
    headers = {"Stripe-Signature": signature}
    if forge == "wrong_secret":
        headers["Stripe-Signature"] = fake_stripe.event("checkout.session.completed", session_id, secret="whsec_x")[1]
    elif forge == "tampered_body":
        body = json.loads(payload)
        body["type"] = "checkout.session.completed "
        body["data"]["object"]["amount_total"] = 1
        payload = json.dumps(body).encode()
    elif forge == "too_old":  # older than the library's 5-minute tolerance
        payload, headers["Stripe-Signature"] = fake_stripe.event("checkout.session.completed", session_id, age=600)
    elif forge == "no_header":
        headers = {}
    elif forge == "not_json":
        import stripe

        payload = b"this is not json"
        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
            payload.decode(), WEBHOOK_SECRET
        )
    response = shop.client.post("/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400 and response.json["error"] == "invalid_signature"
    with app.app_context():
        order = only_order()
        assert order.status == "awaiting_payment"
        assert _count(ProviderNotification) == 0 and _count(StockMovement, StockMovement.order_id == order.id) == 0


def test_other_event_types_and_unknown_sessions_get_200(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    response = deliver(shop.client, fake_stripe, "checkout.session.async_payment_failed", session_id)
    assert response.status_code == 200  # still open on Stripe's side: nothing to do yet
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created", "data": {"object": {}}})
    import stripe

    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    response = shop.client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": header})
    assert response.status_code == 200 and response.json["handled"] is False
    with app.app_context():
        assert only_order().status == "awaiting_payment"


def test_stripe_unreachable_during_a_webhook_asks_for_a_retry(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id)
    fake_stripe.failures = ["network"]
    payload, signature = fake_stripe.event("checkout.session.completed", session_id, event_id="evt_retry")
    first = shop.client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature})
    assert first.status_code == 503  # Stripe redelivers later
    with app.app_context():
        assert only_order().status == "awaiting_payment" and _count(ProviderNotification) == 0
    again = shop.client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature})
    assert again.status_code == 200
    _assert_paid_once(app, variant_stock=4)
