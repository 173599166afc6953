"""The marketing send path (notify.marketing.queue_marketing) end to end: consent, each key once,
push to the customer's devices through the real local push service, email with RFC 8058 opt-out
headers through the real SMTP server, the opt-out link in every message, and the send log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.customers import consent
from storefront.customers.models import Customer, CustomerOrder
from storefront.extensions import db
from storefront.jobs.models import Job
from storefront.notify import marketing, service
from storefront.notify.models import Notification
from storefront.notify.rules import Kind
from tests.builders import make_product
from tests.helpers import _make_app

from .conftest import follow, place, run_jobs
from .smtp_server import SmtpServer

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def app(db_url, tmp_path, smtp_server: SmtpServer, fake_stripe):
    """The shop sending email through the test SMTP server (and push through the local push service)."""
    yield from _make_app(db_url, tmp_path, smtp_server.settings(MAIL_FROM="shop@example.com"))


def make_customer(app, *, email="ada@example.com", push=False, mail=False, order_ids=(), locale="en") -> int:
    with app.app_context():
        customer = Customer(key=f"email:{email}", name="Ada", email=email, locale=locale)
        db.session.add(customer)
        db.session.flush()
        for order_id in order_ids:
            db.session.merge(CustomerOrder(order_id=order_id, customer_id=customer.id))  # checkout linked it already
        now = utcnow()
        if push:
            consent.record(db.session, customer.id, "push", True, "checkout", now)
        if mail:
            consent.record(db.session, customer.id, "email", True, "checkout", now)
        db.session.commit()
        return customer.id


def queue(app, customer_id: int, channel: str, key: str = "campaign:1:1", **texts) -> bool:
    """What a campaign does in its job: queue_marketing, then commit."""
    with app.test_request_context():
        customer = db.session.get(Customer, customer_id)
        queued = marketing.queue_marketing(
            db.session,
            key=key,
            customer=customer,
            channel=channel,
            locale=texts.get("locale", "en"),
            title=texts.get("title", "Winter sale"),
            body=texts.get("body", "Coats at half price this week."),
            url=texts.get("url", "/r/abc"),
            now=utcnow(),
        )
        db.session.commit()
        return queued


def rows(app) -> list[Notification]:
    with app.app_context():
        db.session.expire_all()
        found = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        db.session.expunge_all()
        return found


def optout_link(app, customer_id: int, channel: str, key: str) -> str:
    with app.test_request_context():
        return consent.optout_url(customer_id, channel, key)


def test_push_goes_once_to_each_device_of_the_customers_orders_with_the_optout_link(app, shop, coat, pushes):
    first, second = place(app, shop, coat), place(app, shop, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": first["token"]}).status_code == 201
    assert follow(shop, device, {"order": second["token"]}).status_code == 201  # same browser, two orders
    run_jobs(app)  # the order news
    before = len(pushes.received)
    ada = make_customer(app, push=True, order_ids=(first["id"], second["id"]))

    assert queue(app, ada, "push", url="https://evil.example/steal?x=1") is True
    assert queue(app, ada, "push") is False  # the same key again: a no-op
    run_jobs(app)
    run_jobs(app)
    offers = pushes.received[before:]
    assert len(offers) == 1  # one browser, one message, however many orders it follows
    payload = offers[0].payload
    assert payload["title"] == "Winter sale"
    assert payload["url"] == "/steal?x=1"  # never another site: only the path is kept
    link = optout_link(app, ada, "push", "campaign:1:1")
    assert link in payload["body"] and payload["body"].startswith("Coats at half price")
    (row,) = [r for r in rows(app) if r.kind == Kind.MARKETING.value]
    assert row.status == "sent" and row.event_key == "campaign:1:1" and row.order_id is None


def test_no_consent_no_message_and_whatsapp_is_never_sent(app, shop, coat, pushes):
    order = place(app, shop, coat)
    assert follow(shop, pushes.new_subscription(), {"order": order["token"]}).status_code == 201
    ada = make_customer(app, push=False, mail=False, order_ids=(order["id"],))
    assert queue(app, ada, "push") is False
    assert queue(app, ada, "email") is False
    with app.app_context():
        consent.record(db.session, ada, "whatsapp", True, "checkout", utcnow())
        db.session.commit()
    assert queue(app, ada, "whatsapp") is False
    assert [r for r in rows(app) if r.kind == Kind.MARKETING.value] == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.name == service.SEND)) == 0


def test_email_offer_has_one_click_unsubscribe_headers_and_the_link_works(app, smtp_server):
    ada = make_customer(app, mail=True)
    assert queue(app, ada, "email", key="campaign:7:1") is True
    run_jobs(app)
    (got,) = smtp_server.received
    link = optout_link(app, ada, "email", "campaign:7:1")
    assert got.message["List-Unsubscribe"] == f"<{link}>"
    assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.message["Subject"] == "Winter sale"
    assert link in got.message.get_body(("plain",)).get_content()
    (row,) = rows(app)
    assert row.kind == Kind.MARKETING.value and row.channel == "email" and row.status == "sent"

    # the mail client's one-click POST stops offers by email
    response = app.test_client().post(link.removeprefix("http://localhost"), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    with app.app_context():
        assert db.session.get(Customer, ada).marketing_email is False
    assert queue(app, ada, "email", key="campaign:8:1") is False


def test_an_optout_between_queueing_and_sending_skips_the_message(app, smtp_server):
    ada = make_customer(app, mail=True)
    assert queue(app, ada, "email") is True
    with app.app_context():
        consent.record(db.session, ada, "email", False, "optout", utcnow())
        db.session.commit()
    run_jobs(app)
    assert smtp_server.received == []
    (row,) = rows(app)
    assert row.status == "skipped" and row.detail == service.OPTED_OUT


def test_a_long_body_never_loses_the_optout_link_and_the_log_shows_marketing(app, smtp_server, shop):
    ada = make_customer(app, mail=True)
    assert queue(app, ada, "email", body="x" * 3000) is True
    run_jobs(app)
    (row,) = rows(app)
    assert optout_link(app, ada, "email", "campaign:1:1") in row.body
    with app.app_context():
        from tests.builders import ShopClient, make_user

        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code == 303
    page = owner.client.get("/admin/notifications?kind=marketing")
    assert page.status_code == 200 and "Marketing (an offer)" in page.text


def test_a_browser_that_only_watched_a_product_with_the_customers_email_gets_no_offer(app, shop, pushes):
    """A back-in-stock address is never verified: its browser is not the customer's device."""
    with app.app_context():
        gone = make_product("Sold-out scarf", price=2000, variants=(("One", 0),)).variants[0].id
    asked = shop.post("/notify/back-in-stock", {"variant_id": gone, "email": "ada@example.com"})
    assert asked.status_code == 303
    token = asked.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert follow(shop, pushes.new_subscription(), {"watch": token}).status_code == 201
    ada = make_customer(app, push=True)
    assert queue(app, ada, "push") is False  # no device of their own orders: nothing queued
    run_jobs(app)
    assert pushes.received == []
