"""The shopper's pushes end to end: checkout, subscribing the device, staff moving the order, the job worker
sending through the real local push service (tests/notify/push_server.py), which verifies the VAPID JWT
against the shop's public key and decrypts every payload.

Every message goes out only from `jobs.run_due` (the worker): the shopper's requests never talk to
the push service.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs.models import Job
from storefront.notify import rules, webpush
from storefront.notify.models import Notification, PushSubscription
from storefront.notify.rules import Kind
from storefront.orders.models import Order
from storefront.orders.rules import OrderStatus
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_product, make_user
from tests.payments.fake_stripe import FakeStripe
from tests.payments.helpers import deliver, pay_by_card, session_id_of

from .conftest import fan_out_keys, follow, place, refused_after_announcing, run_jobs
from .push_server import PushMessage

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


# -- helpers -----------------------------------------------------------------------------------


def step(staff: ShopClient, reference: str, event: str) -> None:
    """Staff press a lifecycle button on the admin order page."""
    response = staff.post(f"/admin/orders/{reference}/event", {"event": event})
    assert response.status_code == 303, response.text


def log_rows(app, **where) -> list[Notification]:
    """The send log, oldest first, filtered by column values."""
    with app.app_context():
        db.session.expire_all()
        query = select(Notification).filter_by(**where).order_by(Notification.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def count(app, model, *where) -> int:
    """How many rows of a table match."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def assert_order_push(message: PushMessage, order: dict, kind: Kind, lang: str = "en") -> None:
    """A push about the order: its reference, its page (absolute, its token), its language, its headers."""
    payload = message.payload
    assert isinstance(payload, dict), payload
    assert order["reference"] in payload["title"]
    assert payload["url"] == f"/o/{order['token']}"
    assert payload["lang"] == lang and payload["tag"] == f"order-{order['reference']}"
    assert message.ttl == rules.ttl(kind) and message.urgency == rules.urgency(kind)
    assert message.topic  # a newer message about the order replaces an undelivered older one


def titles(messages: list[PushMessage]) -> list[str]:
    """The pushes' titles, in arrival order."""
    return [m.payload["title"] for m in messages]


# -- the lifecycle ---------------------------------------------------------------------------


def test_each_step_of_a_delivery_order_is_one_push_to_the_shoppers_device(app, shop, coat, pushes, staff):
    order = place(app, shop, coat)
    device = pushes.new_subscription()
    followed = follow(shop, device, {"order": order["token"]})
    assert followed.status_code == 201 and followed.json["ok"] is True
    assert pushes.received == [] and pushes.attempts == []  # nothing is sent from the shopper's request

    run_jobs(app)
    steps = [
        (None, Kind.ORDER_PLACED),
        ("confirm", Kind.ORDER_CONFIRMED),
        ("pack", None),  # an inside step: no news
        ("ship", Kind.ORDER_SHIPPED),
        ("deliver", Kind.ORDER_DELIVERED),
    ]
    seen = 0
    for event, kind in steps:
        if event is not None:
            step(staff, order["reference"], event)
            run_jobs(app)
            run_jobs(app, minutes=5)  # a later burst sends nothing again
        messages = pushes.messages_for(device)
        assert len(messages) == seen + (kind is not None), (event, titles(messages))
        if kind is not None:
            assert_order_push(messages[-1], order, kind)
            seen += 1
    assert titles(pushes.received) == [
        f"Order {order['reference']} received",
        f"Order {order['reference']} confirmed",
        f"Order {order['reference']} is on its way",
        f"Order {order['reference']} delivered",
    ]
    assert pushes.rejected == []  # every JWT verified against the shop's key, every body decrypted
    assert all(m.key == webpush.public_key(app.config) for m in pushes.received)
    assert [r.status for r in log_rows(app)] == ["sent"] * 4


def test_a_pickup_order_ready_is_high_urgency_and_collected_is_told(app, shop, coat, pushes, staff):
    order = place(app, shop, coat, CHECKOUT_PICKUP)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    for event in ("confirm", "pack", "mark_ready", "collect"):
        step(staff, order["reference"], event)
        run_jobs(app)
    placed, confirmed, ready, collected = pushes.messages_for(device)
    assert_order_push(ready, order, Kind.ORDER_READY)
    assert ready.urgency == "high" and "ready for pickup" in ready.payload["title"]
    assert_order_push(collected, order, Kind.ORDER_COLLECTED)
    assert (placed.urgency, confirmed.urgency, collected.urgency) == ("normal", "normal", "normal")
    assert pushes.rejected == []


def test_a_cancelled_order_is_one_push(app, shop, coat, pushes, staff):
    order = place(app, shop, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    run_jobs(app)
    step(staff, order["reference"], "cancel")
    run_jobs(app)
    run_jobs(app, hours=1)
    placed, cancelled = pushes.messages_for(device)
    assert_order_push(cancelled, order, Kind.ORDER_CANCELLED)
    assert cancelled.payload["title"] == f"Order {order['reference']} cancelled"


def test_a_device_that_speaks_spanish_gets_spanish(app, shop, coat, pushes, staff):
    order = place(app, shop, coat)  # placed in English
    spanish, english = pushes.new_subscription(), pushes.new_subscription()
    answer = follow(shop, spanish, {"order": order["token"]}, {"Accept-Language": "es"})
    assert answer.status_code == 201
    with app.test_request_context(), force_locale("es"):
        done = gettext("Done: this device will be told as your order moves on.")
        confirmed = gettext("Order %(ref)s confirmed", ref=order["reference"])
    assert answer.json["message"] == done
    shop.client.set_cookie(app.config.get("LOCALE_COOKIE_NAME", "locale"), "en")
    assert follow(shop, english, {"order": order["token"]}, {"Accept-Language": "es"}).status_code == 201

    step(staff, order["reference"], "confirm")
    run_jobs(app)
    [*_, in_spanish] = pushes.messages_for(spanish)
    [*_, in_english] = pushes.messages_for(english)
    assert_order_push(in_spanish, order, Kind.ORDER_CONFIRMED, lang="es")
    assert_order_push(in_english, order, Kind.ORDER_CONFIRMED, lang="en")
    assert in_english.payload["title"] == f"Order {order['reference']} confirmed"
    assert in_spanish.payload["title"] == confirmed != in_english.payload["title"]  # the es catalogue's text


# -- the push service's answers ------------------------------------------------------------------


def test_410_deletes_every_row_of_that_endpoint_and_logs_gone(app, coat, pushes, staff):
    shop = ShopClient(app.test_client())
    first, second = place(app, shop, coat), place(app, shop, coat, CHECKOUT_PICKUP)
    device = pushes.new_subscription()
    for order in (first, second):  # one browser following two orders: two rows, one endpoint
        assert follow(shop, device, {"order": order["token"]}).status_code == 201
    other = pushes.new_subscription()
    assert follow(shop, other, {"order": first["token"]}).status_code == 201
    assert count(app, PushSubscription) == 3
    run_jobs(app)  # "received", twice on the device, once on the other
    assert len(pushes.received) == 3
    pushes.set_behaviour(device, "gone")  # the shopper cleared the browser's data

    step(staff, first["reference"], "confirm")
    run_jobs(app)

    with app.app_context():
        left = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert left == [other["endpoint"]]  # the browser dropped it: every row of it went
    statuses = {r.recipient: r.status for r in log_rows(app, event_key=f"order:{first['id']}:order-confirmed")}
    assert sorted(statuses.values()) == ["gone", "sent"]
    (gone,) = [r for r in log_rows(app) if r.status == "gone"]
    assert "410" in gone.detail
    step(staff, second["reference"], "confirm")
    run_jobs(app, minutes=1)
    assert pushes.attempts.count((pushes.id_of(device), 410)) == 1  # never tried again
    assert pushes.rejected == []


def test_a_500_is_retried_after_the_backoff_and_sent_once_the_service_is_back(app, shop, coat, pushes, staff):
    order = place(app, shop, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    run_jobs(app)
    pushes.set_behaviour(device, "error")
    step(staff, order["reference"], "confirm")

    report = run_jobs(app)
    assert report.failed_attempts == 1
    (row,) = log_rows(app, kind=Kind.ORDER_CONFIRMED.value)
    assert row.status == "queued"
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.key == f"notification:{row.id}")).one()
        assert (job.status, job.attempts) == ("queued", 1) and job.run_at > utcnow()
    assert "notify.send" not in run_jobs(app, seconds=2).names  # not before its backoff

    pushes.set_behaviour(device, "ok")
    assert "notify.send" in run_jobs(app, hours=1).names
    confirmed = [m for m in pushes.messages_for(device) if "confirmed" in m.payload["title"]]
    assert len(confirmed) == 1
    assert_order_push(confirmed[0], order, Kind.ORDER_CONFIRMED)
    (row,) = log_rows(app, kind=Kind.ORDER_CONFIRMED.value)
    assert row.status == "sent"
    run_jobs(app, hours=3)
    assert len(pushes.messages_for(device)) == 2  # placed, confirmed: nothing twice


def test_after_the_last_attempt_the_log_says_failed_and_no_alert_loops(app, shop, coat, pushes, staff):
    order = place(app, shop, coat)
    device = pushes.new_subscription("error")
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    with app.app_context():
        make_user("owner@example.com", "owner")
    start = utcnow()
    for hour in range(8):  # the backoff never passes an hour: each burst is a new attempt until the last
        run_jobs(app, start + timedelta(hours=hour, minutes=1))
    (row,) = log_rows(app, kind=Kind.ORDER_PLACED.value)
    assert row.status == "failed" and row.sent_at is None
    assert "SendLater" in row.detail or "500" in row.detail
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.key == f"notification:{row.id}")).one()
        assert (job.status, job.attempts) == ("failed", 6)
    assert pushes.attempts.count((pushes.id_of(device), 500)) == 6
    assert log_rows(app, kind=Kind.ALERT_JOB_FAILING.value) == []  # a failed message is not itself an alert


# -- never in the shopper's way ------------------------------------------------------------------


def test_a_slow_push_service_never_slows_a_shoppers_request(app, coat, pushes):
    """On PostgreSQL and on a SQLite file database (the `app` fixture's two databases): on SQLite the
    worker waiting on the push must not hold the shop's one write lock, or the checkout below waits
    for it (busy_timeout) until the push gives up."""
    shop = ShopClient(app.test_client())
    order = place(app, shop, coat)
    device = pushes.new_subscription("hold")  # answers only when the test releases it
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    assert pushes.attempts == [] and pushes.holding == 0

    worker = threading.Thread(target=run_jobs, args=(app,), kwargs={"seconds": 1}, name="worker")
    worker.start()
    deadline = time.monotonic() + 10
    while not pushes.holding and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pushes.holding == 1  # the worker is inside the push now, waiting on the service

    other = ShopClient(app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    second = place(app, other, coat, CHECKOUT_PICKUP)  # checkout POST: 303, its order committed
    assert other.client.get(f"/o/{second['token']}").status_code == 200
    assert shop.client.get(f"/o/{order['token']}").status_code == 200
    assert follow(other, pushes.new_subscription(), {"order": second["token"]}).status_code == 201
    # The push is still pending: had the checkout waited for the worker's lock, it would have
    # returned only after the push timed out and the worker had finished.
    assert pushes.received == [] and pushes.holding == 1 and worker.is_alive()

    pushes.release()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert titles(pushes.messages_for(device)) == [f"Order {order['reference']} received"]
    assert pushes.rejected == []


def test_a_sold_out_checkout_queues_nothing(app, pushes, owner_device):
    """Refused before ORDER_PLACED (stock is moved first): see the next test for a rollback after it."""
    with app.app_context():
        last = make_product("Last scarf", price=2000, variants=(("One", 1),)).variants[0].id
    first, second = ShopClient(app.test_client()), ShopClient(app.test_client())
    second.client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert first.add(last).status_code == 303 and second.add(last).status_code == 303  # two carts, one unit
    second_key = second.checkout_key()
    won = place(app, first, None)
    run_jobs(app)
    [alert] = pushes.messages_for(owner_device)
    assert won["reference"] in alert.payload["title"]
    jobs_before, rows_before = count(app, Job), count(app, Notification)

    lost = second.checkout(CHECKOUT_DELIVERY, key=second_key)

    assert lost.status_code == 409, lost.status_code  # told it sold out; the transaction rolled back
    assert count(app, Order) == 1
    assert count(app, Job) == jobs_before  # no fan-out job for an order that never was
    run_jobs(app, minutes=1)
    assert count(app, Notification) == rows_before
    assert {r.order_id for r in log_rows(app)} == {won["id"]}
    assert len(pushes.received) == 1 and pushes.rejected == []


def test_an_order_rolled_back_after_it_was_announced_sends_nothing(app, coat, pushes, owner_device):
    shop = ShopClient(app.test_client())
    assert shop.add(coat).status_code == 303
    jobs_before = count(app, Job)

    with refused_after_announcing() as seen:
        refused = shop.checkout(CHECKOUT_DELIVERY)

    assert refused.status_code == 409, refused.status_code  # told why; the transaction rolled back
    [keys] = seen  # notify's jobs were in the transaction when it failed...
    assert [key.split(":")[0] for key in keys] == ["alert", "order"] and keys[1].endswith(":order-placed")
    assert count(app, Order) == 0
    assert count(app, Job) == jobs_before  # ...and went with it
    run_jobs(app)
    run_jobs(app, minutes=10)
    assert count(app, Job, Job.name.in_(["notify.fan_out", "notify.send"])) == 0
    assert count(app, Notification) == 0
    assert pushes.received == [] and pushes.attempts == [] and pushes.rejected == []

    # The positive control: the same cart and checkout without the refusal queue notify's jobs and alert the owner.
    order = place(app, shop, None)
    with app.app_context():
        expected = [f"alert:new-order:{order['id']}", f"order:{order['id']}:order-placed"]
        assert fan_out_keys(db.session, order["id"]) == expected
    run_jobs(app)
    [alert] = pushes.messages_for(owner_device)
    assert alert.payload["title"].startswith(f"New order {order['reference']}")
    assert {r.order_id for r in log_rows(app)} == {order["id"]}
    assert pushes.rejected == []


# -- card payments -------------------------------------------------------------------------------


@pytest.fixture
def owner_device(app, pushes) -> dict:
    """The owner, signed in, turned alerts on for this phone ({"account": true})."""
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code == 303
    device = pushes.new_subscription()
    answer = follow(owner, device, {"account": True})
    assert answer.status_code == 201, answer.json
    return device


def card_order(app, shop: ShopClient, fake: FakeStripe, variant_id: int) -> dict:
    """A card order on Stripe's page (awaiting payment): its session, token, reference and id."""
    session_id = session_id_of(pay_by_card(shop, variant_id))
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status == OrderStatus.AWAITING_PAYMENT
        return {"session_id": session_id, "token": order.token, "reference": order.reference, "id": order.id}


def test_a_paid_card_order_is_one_order_placed_push_and_one_new_order_alert(
    app, shop, coat, pushes, fake_stripe, owner_device
):
    order = card_order(app, shop, fake_stripe, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    run_jobs(app)
    assert pushes.received == []  # awaiting payment: no news yet, for anyone

    fake_stripe.pay(order["session_id"])
    for _ in range(3):
        assert deliver(shop.client, fake_stripe, "checkout.session.completed", order["session_id"]).status_code == 200
    assert shop.client.get(f"/o/{order['token']}").status_code == 200  # the success page path too
    run_jobs(app)
    run_jobs(app, minutes=10)

    [placed] = pushes.messages_for(device)
    assert_order_push(placed, order, Kind.ORDER_PLACED)
    [alert] = pushes.messages_for(owner_device)
    assert alert.payload["title"] == f"New order {order['reference']}: $55.00"
    assert alert.payload["url"] == f"/admin/orders/{order['reference']}"
    assert (alert.urgency, alert.ttl) == ("high", rules.ttl(Kind.ALERT_NEW_ORDER))
    assert pushes.rejected == []


def test_an_expired_card_payment_says_it_did_not_go_through(app, shop, coat, pushes, fake_stripe, owner_device):
    order = card_order(app, shop, fake_stripe, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    fake_stripe.expire(order["session_id"])
    for _ in range(2):
        assert deliver(shop.client, fake_stripe, "checkout.session.expired", order["session_id"]).status_code == 200
    run_jobs(app)
    run_jobs(app, minutes=10)

    [failed] = pushes.messages_for(device)
    assert_order_push(failed, order, Kind.PAYMENT_FAILED)
    assert failed.payload["title"] == f"Order {order['reference']} was not placed"
    assert failed.urgency == "high"
    assert pushes.messages_for(owner_device) == []  # an abandoned page is no payment problem


@pytest.mark.clock_sensitive  # the reminder's window is counted from the hold's end
def test_finish_paying_is_sent_once_shortly_before_the_hold_ends(app, shop, coat, pushes, fake_stripe):
    order = card_order(app, shop, fake_stripe, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    with app.app_context():
        hold_ends = db.session.get(Order, order["id"]).hold_expires_at
    before = hold_ends - timedelta(minutes=rules.FINISH_PAYING_BEFORE_MINUTES)

    run_jobs(app, before - timedelta(minutes=2))  # not yet
    assert pushes.received == []
    for minutes in (1, 3, 6, 10):  # every periodic slot in the window: still one reminder
        run_jobs(app, before + timedelta(minutes=minutes))

    [reminder] = pushes.messages_for(device)
    assert_order_push(reminder, order, Kind.FINISH_PAYING)
    assert reminder.payload["title"] == f"Finish paying for order {order['reference']}"
    assert (reminder.urgency, reminder.ttl) == ("high", 3600)
