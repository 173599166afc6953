"""Stripe delivers webhooks at least once: the same event ten times still sends each message once.

Every event is signed by the fake Stripe (tests/payments/fake_stripe.py) and posted to the real
webhook route; the job worker then sends through the real local push service, which verifies and
decrypts every push.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify.models import Notification
from storefront.notify.rules import Kind
from storefront.orders.models import Order
from tests.builders import ShopClient, make_user
from tests.payments.helpers import pay_by_card, session_id_of

from .conftest import follow, run_jobs
from .push_server import PushService

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here

TIMES = 10


@pytest.fixture
def paid(app, shop, pushes, fake_stripe, coat) -> dict:
    """A card order (the coat) the shopper's phone follows, paid; the owner's phone has alerts on. Nothing sent yet."""
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code == 303
    owner_device, shopper_device = pushes.new_subscription(), pushes.new_subscription()
    assert follow(owner, owner_device, {"account": True}).status_code == 201
    session_id = session_id_of(pay_by_card(shop, coat))
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        token, reference = order.token, order.reference
    assert follow(shop, shopper_device, {"order": token}).status_code == 201
    fake_stripe.pay(session_id)
    return {
        "session_id": session_id,
        "token": token,
        "reference": reference,
        "owner": owner_device,
        "shopper": shopper_device,
    }


def post_times(client, payload: bytes, signature: str, times: int = TIMES) -> list[int]:
    """Stripe retrying one delivery: the very same signed body, `times` times."""
    return [
        client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature}).status_code
        for _ in range(times)
    ]


def titles(pushes: PushService, device: dict) -> list[str]:
    """What one device was shown, in order."""
    return [m.payload["title"] for m in pushes.messages_for(device)]


def test_a_payment_webhook_delivered_ten_times_is_one_message_and_one_alert(app, shop, pushes, fake_stripe, paid):
    payload, signature = fake_stripe.event("checkout.session.completed", paid["session_id"])
    assert post_times(shop.client, payload, signature) == [200] * TIMES
    # ...and interleaved with the worker, and once more as a new event about the same payment
    run_jobs(app)
    again, again_signature = fake_stripe.event("checkout.session.completed", paid["session_id"])
    assert post_times(shop.client, again, again_signature, 3) == [200] * 3
    assert post_times(shop.client, payload, signature, 3) == [200] * 3
    run_jobs(app, minutes=1)
    run_jobs(app, hours=1)

    ref = paid["reference"]
    assert titles(pushes, paid["shopper"]) == [f"Order {ref} received"]
    assert titles(pushes, paid["owner"]) == [f"New order {ref}: $55.00"]
    assert pushes.rejected == []
    with app.app_context():
        kinds = sorted(db.session.scalars(select(Notification.kind)).all())
    assert kinds == [Kind.ALERT_NEW_ORDER.value, Kind.ORDER_PLACED.value]


def test_a_refund_webhook_delivered_ten_times_is_one_refund_message(app, shop, pushes, fake_stripe, paid):
    payload, signature = fake_stripe.event("checkout.session.completed", paid["session_id"])
    assert post_times(shop.client, payload, signature, 1) == [200]
    run_jobs(app)
    refund = fake_stripe.dashboard_refund(paid["session_id"], 2000)  # the owner refunds $20.00 in Stripe

    charge, charge_signature = fake_stripe.signed("charge.refunded", fake_stripe.charge(paid["session_id"]))
    assert post_times(shop.client, charge, charge_signature) == [200] * TIMES
    created, created_signature = fake_stripe.signed("refund.created", dict(fake_stripe.refunds[refund["id"]]))
    assert post_times(shop.client, created, created_signature) == [200] * TIMES  # the same refund, told again
    run_jobs(app)
    assert post_times(shop.client, charge, charge_signature, 2) == [200] * 2
    run_jobs(app, hours=1)

    ref = paid["reference"]
    assert titles(pushes, paid["shopper"]) == [f"Order {ref} received", f"Refund for order {ref}"]
    [*_, message] = pushes.messages_for(paid["shopper"])
    assert message.payload["body"] == "$20.00 is on its way back to you."
    assert message.payload["url"] == f"/o/{paid['token']}"
    assert titles(pushes, paid["owner"]) == [f"New order {ref}: $55.00"]  # a refund is no alert
    assert pushes.rejected == []


def test_a_dispute_opened_is_one_payment_alert_for_the_owner(app, shop, pushes, fake_stripe, paid):
    payload, signature = fake_stripe.event("checkout.session.completed", paid["session_id"])
    assert post_times(shop.client, payload, signature, 1) == [200]
    run_jobs(app)
    dispute = fake_stripe.open_dispute(paid["session_id"], reason="product_not_received")

    opened, opened_signature = fake_stripe.signed("charge.dispute.created", dispute)
    assert post_times(shop.client, opened, opened_signature) == [200] * TIMES
    run_jobs(app)
    assert post_times(shop.client, opened, opened_signature, 3) == [200] * 3
    run_jobs(app, hours=1)

    ref = paid["reference"]
    assert titles(pushes, paid["owner"]) == [f"New order {ref}: $55.00", f"Payment problem on order {ref}"]
    [*_, alert] = pushes.messages_for(paid["owner"])
    assert "dispute" in alert.payload["body"]
    assert alert.payload["url"] == f"/admin/orders/{ref}"
    assert alert.urgency == "high"
    assert titles(pushes, paid["shopper"]) == [f"Order {ref} received"]  # the shopper opened it: no push
    assert pushes.rejected == []


def test_news_announced_twice_past_the_providers_de_duplication_is_still_one_message(
    app, shop, pushes, fake_stripe, paid
):
    """The payments package drops a redelivered event by its id; notify's own keys hold without that."""
    from storefront.notify import subscribers
    from storefront.orders.rules import OrderStatus

    payload, signature = fake_stripe.event("checkout.session.completed", paid["session_id"])
    assert post_times(shop.client, payload, signature, 1) == [200]
    run_jobs(app)
    for seconds in (0, 30):  # the same facts told twice, in two transactions, at two instants
        with app.app_context():
            order = db.session.scalars(select(Order)).one()
            now = utcnow() + timedelta(seconds=seconds)
            subscribers.order_moved(None, session=db.session, order=order, new_status=OrderStatus.PLACED, now=now)
            subscribers.refunded(None, session=db.session, order=order, amount=1500, refunded_total=1500, now=now)
            db.session.commit()
        run_jobs(app, minutes=1)
    with app.app_context():  # and a fan-out job run again (a worker died before marking it done)
        for row in db.session.scalars(select(Notification)).all():
            event = {"event": row.event_key, "kind": row.kind, "order_id": row.order_id, "extra": {}, "base": ""}
            jobs.REGISTRY.handlers["notify.fan_out"].fn(db.session, event, utcnow())
        db.session.commit()
    run_jobs(app, hours=1)

    ref = paid["reference"]
    assert titles(pushes, paid["shopper"]) == [f"Order {ref} received", f"Refund for order {ref}"]
    assert titles(pushes, paid["owner"]) == [f"New order {ref}: $55.00"]
    assert pushes.rejected == []
