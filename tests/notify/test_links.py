"""Links in messages work wherever they are opened, and a transfer order is told what to send.

A push carries a relative url (the service worker opens it on its own origin, whatever SHOP_URL
says); an email carries SHOP_URL's absolute address, so the shop refuses to send email without one.
A bank-transfer order gets "waiting for your transfer" with its link at checkout, by email and push.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront import jobs
from storefront.clock import utcnow
from storefront.config import ConfigError, check_config
from storefront.extensions import db
from storefront.notify import messages, webpush
from storefront.notify.models import Notification
from storefront.orders.models import Order
from storefront.payments import transfer_service
from storefront.payments.transfer_rules import TransferMethodValues
from tests.builders import CHECKOUT_DELIVERY, make_product
from tests.helpers import _make_app

from .push_server import PushService
from .smtp_server import SmtpServer

ADA = CHECKOUT_DELIVERY["email"]


@pytest.fixture
def app(db_url, tmp_path, smtp_server: SmtpServer):
    """The shop sending email through the test SMTP server, at its public address."""
    yield from _make_app(db_url, tmp_path, smtp_server.settings(MAIL_FROM="shop@example.com"))


@pytest.fixture
def coat(app) -> int:
    """A coat at $50.00 with 5 units; its variant id."""
    with app.app_context():
        return make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id


@pytest.fixture
def bkash(app) -> int:
    """A bKash transfer method taking the shop's currency; its id."""
    with app.app_context():
        values = TransferMethodValues("bKash", "01712345678", "Send Money, then Reference.", ("USD",), 24, True)
        method = transfer_service.save_method(db.session, None, values, utcnow())
        db.session.commit()
        return method.id


def run_jobs(app, seconds: float = 1) -> None:
    """The worker: every job due a little after now."""
    with app.app_context():
        jobs.run_due(db.session, utcnow() + timedelta(seconds=seconds))


# -- push payloads: relative urls ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "relative"),
    [
        ("https://shop.example.com/o/abc123", "/o/abc123"),
        ("http://localhost/admin/stock?q=SKU-1#low", "/admin/stock?q=SKU-1#low"),
        ("https://shop.example.com", "/"),
        ("https://shop.example.com//evil.example/x", "/evil.example/x"),  # never "//host": another origin
    ],
)
def test_a_push_payload_carries_the_path_query_and_fragment_only(url, relative):
    message = messages.Message(
        kind="order-shipped",
        title="Order K7F3Q is on its way",
        body="Your order has left the shop.",
        url=url,
        tag="order-K7F3Q",
        lang="en",
        urgency="normal",
        ttl=60,
        about_order=True,
    )
    payload = messages.push_payload(message)
    assert payload == {
        "title": "Order K7F3Q is on its way",
        "body": "Your order has left the shop.",
        "url": relative,
        "tag": "order-K7F3Q",
        "lang": "en",
    }


# -- SHOP_URL is required with email ----------------------------------------------------------------


@pytest.mark.parametrize("shop_url", ["", "shop.example.com", "/shop", "ftp://shop.example.com", "https://"])
def test_email_without_an_absolute_shop_url_refuses_to_start(sqlite_app, shop_url):
    config = {**sqlite_app.config, "SMTP_HOST": "smtp.example.com", "SHOP_URL": shop_url}
    with pytest.raises(ConfigError, match="SHOP_URL"):
        check_config(config)


@pytest.mark.parametrize("shop_url", ["https://shop.example.com", "http://127.0.0.1:8000/"])
def test_email_with_an_absolute_shop_url_starts(sqlite_app, shop_url):
    check_config({**sqlite_app.config, "SMTP_HOST": "smtp.example.com", "SHOP_URL": shop_url})


def test_without_email_shop_url_may_stay_unset(sqlite_app):
    check_config({**sqlite_app.config, "SMTP_HOST": "", "SHOP_URL": ""})


# -- a transfer order is told at checkout -----------------------------------------------------------


def test_a_transfer_order_gets_waiting_for_your_transfer_by_email_and_push(
    app, shop, coat, bkash, smtp_server, push_service: PushService
):
    push_service.expected_key = webpush.public_key(app.config)
    assert shop.add(coat).status_code == 303
    response = shop.checkout({**CHECKOUT_DELIVERY, "payment_method": f"transfer-{bkash}"})
    assert response.status_code == 303, response.text[:500]
    token = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.token == token)).one()
        reference, status = order.reference, order.status
    assert status == "awaiting_transfer"
    device = push_service.new_subscription()
    followed = shop.client.post(
        "/notify/push", json={"subscription": device, "order": token}, headers={"X-CSRFToken": shop.csrf()}
    )
    assert followed.status_code == 201, followed.text
    assert smtp_server.received == []  # nothing from the shopper's request
    run_jobs(app)

    title = f"Order {reference}: waiting for your transfer"
    [email] = smtp_server.received
    assert email.envelope.rcpt_tos == [ADA] and email.message["Subject"] == title
    text = email.message.get_body(("plain",)).get_content()
    assert f"http://localhost/o/{token}" in text  # the email: SHOP_URL's absolute address
    assert "Send $55.00 by transfer to complete your order." in text
    [push] = push_service.messages_for(device)
    assert push.payload["title"] == title
    assert push.payload["body"] == "Send $55.00 by transfer to complete your order. Its page has the details."
    assert push.payload["url"] == f"/o/{token}"  # the push: relative, opened on the worker's own origin
    assert push.payload["tag"] == f"order-{reference}"

    run_jobs(app, seconds=600)  # once: a later burst sends nothing again
    assert len(smtp_server.received) == 1 and len(push_service.messages_for(device)) == 1
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert set(kinds) == {"awaiting-transfer"}
