"""The "your cart is waiting" reminder on both databases: once per cart, only when due and allowed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.cart.models import Cart
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify.models import Notification
from storefront.reminders import rules, service
from storefront.reminders.models import ReminderMessage
from tests.builders import make_product

from .helpers import ON, make_cart, make_customer, make_order, switch

HOURS = timedelta(hours=ON.cart_hours)


@pytest.fixture
def variant_id(app):
    with app.app_context():
        return make_product("Mug", 1200, (("Blue", 5),)).variants[0].id


def _messages() -> list[tuple[str, str, int]]:
    db.session.expire_all()
    rows = db.session.execute(select(ReminderMessage.key, ReminderMessage.channel, ReminderMessage.customer_id))
    return sorted(tuple(row) for row in rows)


def _run(now) -> int:
    queued = service.remind_carts(db.session, now)
    db.session.commit()
    return queued


def test_a_waiting_cart_is_reminded_once_on_each_consenting_channel(app, variant_id):
    with app.app_context():
        switch()
        now = utcnow()
        customer = make_customer()
        cart_id = make_cart(customer, now - HOURS - timedelta(minutes=1), variant_id)
        assert _run(now) == 2
        assert _run(now + timedelta(hours=1)) == 0  # the job's next run: nothing new
        assert _messages() == [(f"cart:{cart_id}", "email", customer), (f"cart:{cart_id}", "push", customer)]
        assert db.session.get(Cart, cart_id).reminded_at is not None
        # Through notify's marketing path: one send-log row per channel under the cart's key, with its link.
        logged = db.session.execute(
            select(Notification.channel, Notification.kind, Notification.context).where(
                Notification.event_key == f"cart:{cart_id}"
            )
        ).all()
        assert sorted((channel, kind) for channel, kind, _ctx in logged) == [
            ("email", "marketing"),
            ("push", "marketing"),
        ]
        assert {ctx["url"] for _ch, _kind, ctx in logged} == {"/cart"}
        assert {ctx["title"] for _ch, _kind, ctx in logged} == {"Your cart is waiting"}


def test_two_workers_at_once_remind_a_cart_once(app, variant_id):
    with app.app_context():
        switch()
        now = utcnow()
        cart_ids = [make_cart(make_customer(n), now - HOURS * 2, variant_id) for n in range(1, 6)]
    start, errors, queued = threading.Barrier(2), [], []

    def work() -> None:
        with app.app_context():
            try:
                start.wait()
                queued.append(_run(now))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(queued) == 10  # five carts, two channels each: none twice
    with app.app_context():
        assert sorted({key for key, _channel, _customer in _messages()}) == sorted(f"cart:{i}" for i in cart_ids)


@pytest.mark.clock_sensitive
def test_not_before_the_set_hours(app, variant_id):
    with app.app_context():
        switch()
        now = utcnow()
        early = make_cart(make_customer(1), now - HOURS + timedelta(minutes=1), variant_id)
        due = make_cart(make_customer(2), now - HOURS - timedelta(minutes=1), variant_id)
        assert _run(now) == 2
        assert {key for key, _c, _id in _messages()} == {f"cart:{due}"}
        assert _run(now + timedelta(minutes=2)) == 2  # an hour boundary or midnight changes nothing
        assert {key for key, _c, _id in _messages()} == {f"cart:{due}", f"cart:{early}"}


def test_not_for_empty_carts_unknown_carts_or_stale_ones(app, variant_id):
    with app.app_context():
        switch()
        now = utcnow()
        make_cart(make_customer(1), now - HOURS * 2, None)  # no lines
        make_cart(None, now - HOURS * 2, variant_id)  # nobody known
        make_cart(make_customer(2), now - service.CART_STALE - timedelta(hours=1), variant_id)  # forgotten
        assert _run(now) == 0 and _messages() == []


def test_not_without_consent_and_only_on_the_consenting_channel(app, variant_id):
    with app.app_context():
        switch()
        now = utcnow()
        make_cart(make_customer(1, push=False, email=False), now - HOURS * 2, variant_id)
        push_only = make_customer(2, email=False)
        cart = make_cart(push_only, now - HOURS * 2, variant_id)
        assert _run(now) == 1
        assert _messages() == [(f"cart:{cart}", "push", push_only)]


def test_not_after_the_cart_became_an_order(app, variant_id):
    with app.app_context():
        switch()
        now = utcnow()
        customer = make_customer()
        left_at = now - HOURS * 2
        make_cart(customer, left_at, variant_id)
        make_order(customer, left_at + timedelta(minutes=5))  # a card order: the lines stay until it is paid
        assert _run(now) == 0 and _messages() == []
        earlier = make_customer(2)
        make_order(earlier, left_at - timedelta(days=3))  # an order before the cart does not count
        make_cart(earlier, left_at, variant_id)
        assert _run(now) == 2


def test_switched_off_or_no_channel_nothing_is_queued(app, variant_id):
    with app.app_context():
        now = utcnow()
        make_cart(make_customer(), now - HOURS * 2, variant_id)
        assert _run(now) == 0  # the defaults: off
        switch(rules.Settings(cart_on=True, push_on=False, email_on=False))
        assert _run(now) == 0
        switch(rules.Settings(cart_on=False, lapse_on=True))
        assert _run(now) == 0
        assert db.session.scalar(select(func.count()).select_from(ReminderMessage)) == 0
        assert db.session.scalar(select(func.count()).where(Cart.reminded_at.is_not(None))) == 0
