"""/admin/reminders on both databases: owner only, bad input re-shown, saved settings, and the 30-day report."""

from __future__ import annotations

import re
from datetime import timedelta

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify.models import Notification
from storefront.reminders import report, rules, service
from storefront.reminders.models import ReminderMessage
from tests.builders import ShopClient, make_user
from tests.promotions.helpers import make_code

from .helpers import make_customer, make_order

GOOD = {
    "cart_on": "1",
    "cart_hours": "6",
    "lapse_on": "1",
    "lapse_factor": "2.5",
    "lapse_min_days": "45",
    "lapse_code": "COMEBACK10",
    "push_on": "1",
    "stock_on": "1",
}


def _signed_in(app, email: str, role: str) -> ShopClient:
    with app.app_context():
        make_user(email, role)
    client = ShopClient(app.test_client())
    assert client.login(email).status_code in (302, 303)
    return client


def test_only_the_owner_sees_and_changes_the_reminders(app):
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get("/admin/reminders").status_code in (302, 303)
    staff = _signed_in(app, "staff@example.com", "staff")
    assert staff.client.get("/admin/reminders").status_code == 403
    assert staff.post("/admin/reminders", GOOD).status_code == 403
    with app.app_context():
        assert service.load_settings(db.session) == rules.DEFAULTS
    no_token = _signed_in(app, "owner@example.com", "owner").client.post("/admin/reminders", data=GOOD)
    assert no_token.status_code == 400  # CSRF


def test_the_owner_saves_the_settings_and_bad_input_is_shown_again(app):
    with app.app_context():
        make_code("COMEBACK10")
    owner = _signed_in(app, "owner@example.com", "owner")
    page = owner.client.get("/admin/reminders").get_data(as_text=True)
    assert 'value="4"' in page and 'value="1.5"' in page
    assert "requested by the shopper, so it is not an offer" in page.lower()
    for field, raw in (
        ("cart_hours", "0"),
        ("lapse_factor", "abc"),
        ("lapse_min_days", "-3"),
        ("lapse_code", "x" * 41),
    ):
        response = owner.post("/admin/reminders", {**GOOD, field: raw})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, field
        assert 'role="alert"' in html and (f'value="{raw}"' in html or field == "lapse_code"), field
        assert re.search(r'id="rm-cart_on"[^>]*checked', html)  # the switches as sent
    with app.app_context():
        assert service.load_settings(db.session) == rules.DEFAULTS  # nothing saved
    assert owner.post("/admin/reminders", GOOD).status_code == 303
    with app.app_context():
        assert service.load_settings(db.session) == rules.Settings(
            cart_on=True, cart_hours=6, lapse_on=True, lapse_factor_pct=250, lapse_min_days=45,
            lapse_code="COMEBACK10", push_on=True, email_on=False,
        )  # fmt: skip
    page = owner.client.get("/admin/reminders").get_data(as_text=True)
    assert 'value="2.5"' in page and 'value="COMEBACK10"' in page
    assert not re.search(r'id="rm-email_on"[^>]*checked', page)


def test_the_report_counts_queued_sent_and_the_orders_that_followed(app):
    with app.app_context():
        now = utcnow()
        ada, bo = make_customer(1), make_customer(2)
        sent_at = now - timedelta(days=10)
        for customer, channel in ((ada, "push"), (ada, "email"), (bo, "push")):
            key = f"cart:{customer}"
            db.session.add(
                ReminderMessage(kind="cart", key=key, customer_id=customer, channel=channel, queued_at=sent_at)
            )
        db.session.add(
            ReminderMessage(
                kind="lapse", key="lapse:old", customer_id=bo, channel="push", queued_at=now - timedelta(days=31)
            )
        )
        db.session.add(
            Notification(event_key=f"cart:{ada}", kind="marketing", channel="push", recipient="push:1", context={},
                         status="sent", created_at=sent_at)
        )  # fmt: skip
        db.session.commit()
        make_order(ada, sent_at + timedelta(days=2), total=3000)  # followed (counted once for two messages)
        make_order(ada, sent_at + timedelta(days=8), total=9000)  # too late
        make_order(bo, sent_at - timedelta(hours=1), total=7000)  # before the message
        make_order(bo, sent_at + timedelta(days=1), total=4000, status="cancelled")  # not a sale
        figures = {row.kind: row for row in report.figures(db.session, now)}
    assert figures["cart"] == report.KindFigures("cart", 3, 1, 1, 3000)
    assert figures["lapse"] == report.KindFigures("lapse", 0, 0, 0, 0)  # older than 30 days
    assert figures["back_in_stock"].orders is None
    owner = _signed_in(app, "owner@example.com", "owner")
    html = owner.client.get("/admin/reminders").get_data(as_text=True)
    assert re.search(r'data-kind="cart">.*?<td>3</td><td>1</td>\s*<td>1</td><td>[^<]*30\.00', html, re.S)


def test_a_lapse_code_the_shop_does_not_have_is_refused_and_shown_again(app):
    owner = _signed_in(app, "owner@example.com", "owner")
    answer = owner.post("/admin/reminders", {**GOOD, "lapse_code": "NOSUCH"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "There is no discount code NOSUCH" in html and 'value="NOSUCH"' in html
    with app.app_context():
        assert service.load_settings(db.session).lapse_code == ""
