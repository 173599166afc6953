"""A card order's return refunded through the fake Stripe (tests/payments), once, on both databases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from storefront.aftersales import outcomes, service
from storefront.clock import utcnow
from storefront.domain import DomainError
from storefront.extensions import db
from storefront.payments import flows
from storefront.payments.models import Refund
from storefront.payments.provider import provider_for
from tests.helpers import _make_app
from tests.payments.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.payments.helpers import paid_card_order

from .helpers import deliver, open_request, owner_client, request_row, step

THREADS = 10


@pytest.fixture
def fake_stripe():
    """Stripe, in memory."""
    return FakeStripe()


@pytest.fixture
def app(db_url, tmp_path, fake_stripe):
    """The shop with card payments through the fake Stripe."""
    yield from _make_app(
        db_url,
        tmp_path,
        {
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_HTTP_CLIENT": fake_stripe,
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        },
    )


def _received_card_return(app, shop, fake_stripe, variant_id: int) -> tuple[dict, int]:
    order = paid_card_order(app, shop, fake_stripe, variant_id, 2)
    deliver(app, order["id"])
    request_id = open_request(app, order["id"], "return", 2)
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    return order, request_id


def test_the_owner_refunds_a_card_return_to_the_card(app, shop, mug, fake_stripe):
    order, request_id = _received_card_return(app, shop, fake_stripe, mug[0])
    owner = owner_client(app)
    response = owner.post(f"/admin/aftersales/{request_id}/refund", {"amount": "30.00", "confirm": "yes"})
    assert response.status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 3000
    assert (
        owner.post(f"/admin/aftersales/{request_id}/refund", {"amount": "30.00", "confirm": "yes"}).status_code == 409
    )
    assert fake_stripe.refunded(order["session_id"]) == 3000
    assert "Refund sent" in shop.client.get(f"/o/{order['token']}").get_data(as_text=True)
    with app.app_context():
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.amount, refund.status, refund.idempotency_key) == (3000, "succeeded", f"aftersales-{request_id}")


def test_ten_refunds_of_one_card_return_at_once_refund_once(app, shop, mug, fake_stripe):
    order, request_id = _received_card_return(app, shop, fake_stripe, mug[0])
    barrier = threading.Barrier(THREADS)

    def refund(_):
        with app.app_context():
            barrier.wait()
            try:
                found = service.get_request(db.session, request_id)
                booking = outcomes.refund_return(db.session, found, 4000, "", utcnow(), None)
                db.session.commit()
            except DomainError:
                db.session.rollback()
                return "refused"
            flows.refund(db.session, provider_for("card"), order["id"], booking.amount, booking.key, None, "test")
            return "ok"

    with ThreadPoolExecutor(THREADS) as pool:
        assert sorted(pool.map(refund, range(THREADS))) == ["ok"] + ["refused"] * (THREADS - 1)
    assert fake_stripe.refunded(order["session_id"]) == 4000
    assert request_row(app, request_id).status == "refunded"
    with app.app_context():
        assert len(db.session.scalars(select(Refund)).all()) == 1


def test_a_refused_card_refund_can_be_tried_again_and_the_shopper_sees_the_latest(app, shop, mug, fake_stripe):
    order, request_id = _received_card_return(app, shop, fake_stripe, mug[0])
    intent = fake_stripe.intents[next(iter(fake_stripe.intents))]
    intent["amount_refunded"] = intent["amount"]  # Stripe refuses: nothing left to refund
    owner = owner_client(app)
    assert (
        owner.post(f"/admin/aftersales/{request_id}/refund", {"amount": "30.00", "confirm": "yes"}).status_code == 303
    )
    page = owner.client.get(f"/admin/aftersales/{request_id}").get_data(as_text=True)
    assert 'data-refund="failed"' in page and 'data-step="retry-refund"' in page
    assert "we are on it" in shop.client.get(f"/o/{order['token']}").get_data(as_text=True)
    intent["amount_refunded"] = 0  # the dashboard refund was reversed: Stripe accepts now
    response = owner.post(f"/admin/aftersales/{request_id}/refund/retry", {})
    assert response.status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 3000
    assert "Refund sent" in shop.client.get(f"/o/{order['token']}").get_data(as_text=True)
    assert request_row(app, request_id).refund_key == f"aftersales-{request_id}-2"
    # Once sent, there is nothing to retry: a forged second retry is refused and refunds nothing.
    assert owner.post(f"/admin/aftersales/{request_id}/refund/retry", {}).status_code == 409
    assert fake_stripe.refunded(order["session_id"]) == 3000
    with app.app_context():
        rows = db.session.execute(select(Refund.idempotency_key, Refund.status).order_by(Refund.id)).all()
        assert [tuple(r) for r in rows] == [
            (f"aftersales-{request_id}", "failed"),
            (f"aftersales-{request_id}-2", "succeeded"),
        ]
