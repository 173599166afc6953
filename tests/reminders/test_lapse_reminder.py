"""The lapsed-customer reminder on both databases: past their own rhythm, once per lapse, with the code."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.clock import utcnow
from storefront.customers.models import Customer
from storefront.extensions import db
from storefront.reminders import rules, service
from storefront.reminders.models import ReminderMessage

from .helpers import ON, make_customer, make_order, switch

DAY = timedelta(days=1)


def _keys() -> list[tuple[str, str]]:
    db.session.expire_all()
    return sorted(tuple(r) for r in db.session.execute(select(ReminderMessage.key, ReminderMessage.channel)))


def _run(now) -> int:
    queued = service.remind_lapsed(db.session, now)
    db.session.commit()
    return queued


def _customer_with_orders(n: int, now, days_ago: list[int], **consent) -> int:
    """A customer whose sale orders were `days_ago` days before now (last_order_at the newest)."""
    customer = make_customer(n, last_order_at=now - min(days_ago) * DAY, **consent)
    for days in days_ago:
        make_order(customer, now - days * DAY)
    return customer


def test_a_customer_past_their_usual_interval_is_reminded_once_per_lapse(app):
    with app.app_context():
        switch()
        now = utcnow()
        # Orders every 20 days, the last 31 days ago: 20 x 1.5 = 30 days, so lapsed (floor 30).
        lapsed = _customer_with_orders(1, now, [71, 51, 31])
        # Orders every 40 days, the last 31 days ago: not lapsed before 60 days.
        _customer_with_orders(2, now, [111, 71, 31])
        one_order = make_customer(3, last_order_at=now - 29 * DAY)  # one order, under the 30-day minimum
        last = (now - 31 * DAY).date().isoformat()
        assert _run(now) == 2
        assert _keys() == [(f"lapse:{lapsed}:{last}", "email"), (f"lapse:{lapsed}:{last}", "push")]
        assert _run(now + DAY) == 2  # a day later: only the one-order customer is new
        assert _run(now + 2 * DAY) == 0  # and nobody twice
        assert {key.split(":")[1] for key, _c in _keys()} == {str(lapsed), str(one_order)}


def test_a_new_order_starts_a_new_lapse(app):
    with app.app_context():
        switch()
        now = utcnow()
        customer = make_customer(1, last_order_at=now - 40 * DAY, push=False)
        assert _run(now) == 1
        make_order(customer, now + DAY)
        db.session.get(Customer, customer).last_order_at = now + DAY
        db.session.commit()
        assert _run(now + 2 * DAY) == 0
        later = now + 40 * DAY
        assert _run(later) == 1
        days = {key.rsplit(":", 1)[1] for key, _c in _keys()}
        assert days == {(now - 40 * DAY).date().isoformat(), (now + DAY).date().isoformat()}


def test_cancelled_orders_do_not_set_the_rhythm(app):
    with app.app_context():
        switch()
        now = utcnow()
        customer = make_customer(1, last_order_at=now - 31 * DAY, push=False)
        make_order(customer, now - 31 * DAY)
        make_order(customer, now - 51 * DAY)
        make_order(customer, now - 41 * DAY, status="cancelled")  # would make the gaps 10 and 10
        switch(rules.Settings(lapse_on=True, lapse_factor_pct=300, lapse_min_days=30))
        assert _run(now) == 0  # 20-day gap x 3 = 60 days: not lapsed (with the cancelled one: 30, lapsed)
        assert _run(now + 30 * DAY) == 1


def test_no_consent_or_switched_off_nothing(app):
    with app.app_context():
        now = utcnow()
        make_customer(1, last_order_at=now - 100 * DAY)
        make_customer(2, last_order_at=now - 100 * DAY, push=False, email=False)
        assert _run(now) == 0  # the defaults: off
        switch(rules.Settings(lapse_on=True, push_on=False, email_on=False))
        assert _run(now) == 0
        switch(rules.Settings(lapse_on=True, push_on=False, email_on=True))
        assert _run(now) == 1
        assert [channel for _key, channel in _keys()] == ["email"]


def test_the_code_goes_into_the_message_in_the_customers_language(app, monkeypatch):
    sent = []

    def capture(session, **message):
        sent.append(message)
        return True

    monkeypatch.setattr(service.sending, "queue_marketing", capture)
    with app.app_context():
        switch(rules.Settings(lapse_on=True, lapse_code="COMEBACK10", push_on=False))
        now = utcnow()
        make_customer(1, last_order_at=now - 100 * DAY, push=False, locale="es")
        make_customer(2, last_order_at=now - 100 * DAY, push=False)
        assert _run(now) == 2
    assert [m["locale"] for m in sent] == ["es", "en"]
    assert all("COMEBACK10" in m["body"] for m in sent)
    assert sent[0]["title"] != sent[1]["title"]  # translated
    assert sent[1]["url"].startswith("http") and sent[0]["key"].startswith("lapse:")
    assert ON.lapse_on
