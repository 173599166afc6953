"""Order email end to end: checkout, the job worker, a real SMTP server (tests/notify/smtp_server.py),
the shopper's choices by signed link, RFC 8058 one-click unsubscribe, and the log forgetting bodies.

Without SMTP_HOST the shop behaves exactly as before: no email, no email rows.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from storefront.jobs.models import Job
from storefront.notify import links, service
from storefront.notify.models import EmailPreference, Notification
from storefront.notify.rules import Kind
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product
from tests.helpers import _make_app

from .conftest import place, refused_after_announcing, run_jobs
from .smtp_server import Received, SmtpServer

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here

ADA = CHECKOUT_DELIVERY["email"]


@pytest.fixture
def app(db_url, tmp_path, smtp_server: SmtpServer):
    """The shop sending email through the test SMTP server (plain SMTP, SMTP_SECURITY "none")."""
    yield from _make_app(db_url, tmp_path, smtp_server.settings(MAIL_FROM="shop@example.com"))


def step(staff: ShopClient, reference: str, event: str) -> None:
    """Staff press a lifecycle button on the admin order page."""
    assert staff.post(f"/admin/orders/{reference}/event", {"event": event}).status_code == 303


def parts(got: Received) -> tuple[str, str]:
    """The plain text and HTML bodies of a received email."""
    message = got.message
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def subjects(smtp_server: SmtpServer) -> list[str]:
    """The subjects received so far, in order."""
    return [got.message["Subject"] for got in smtp_server.received]


def email_rows(app) -> list[Notification]:
    """The send log's email rows, oldest first."""
    with app.app_context():
        db.session.expire_all()
        rows = db.session.scalars(
            select(Notification).where(Notification.channel == "email").order_by(Notification.id)
        ).all()
        db.session.expunge_all()
        return rows


def in_spanish(app, msgid: str, **values) -> str:
    """A message as the Spanish catalogue says it."""
    with app.test_request_context(), force_locale("es"):
        return gettext(msgid, **values)


# -- order news ----------------------------------------------------------------------------------


def test_an_order_with_an_email_gets_its_confirmation_and_each_step(app, shop, coat, smtp_server, staff):
    order = place(app, shop, coat)
    assert smtp_server.received == []  # nothing is sent from the shopper's request
    run_jobs(app)

    [confirmation] = smtp_server.received
    message = confirmation.message
    assert confirmation.envelope.rcpt_tos == [ADA] and message["To"] == ADA
    assert message["Subject"] == f"Order {order['reference']} received"
    assert message["Content-Language"] == "en"
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None  # order news
    text, html = parts(confirmation)
    for body in (text, html):
        assert order["url"] in body and "$55.00" in body
        assert "Unsubscribe" not in body
    assert f'href="{order["url"]}"' in html

    for event in ("confirm", "pack", "ship", "deliver"):
        step(staff, order["reference"], event)
        run_jobs(app)
    run_jobs(app, hours=2)
    ref = order["reference"]
    assert subjects(smtp_server) == [
        f"Order {ref} received",
        f"Order {ref} confirmed",
        f"Order {ref} is on its way",
        f"Order {ref} delivered",
    ]
    assert all(order["url"] in parts(got)[0] for got in smtp_server.received)
    rows = email_rows(app)
    assert [(r.status, r.recipient) for r in rows] == [("sent", f"email:{ADA}")] * 4
    assert all(r.sent_at is not None and r.body for r in rows)


def test_an_order_placed_in_spanish_is_emailed_in_spanish(app, coat, smtp_server, staff):
    shop = ShopClient(app.test_client())
    shop.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-ES,es;q=0.9"
    order = place(app, shop, coat)
    step(staff, order["reference"], "confirm")  # staff in English: the email follows the order
    run_jobs(app)

    received, confirmed = smtp_server.received
    for got in (received, confirmed):
        assert got.message["Content-Language"] == "es"
        assert order["url"] in parts(got)[0]
    assert confirmed.message["Subject"] == in_spanish(app, "Order %(ref)s confirmed", ref=order["reference"])
    assert confirmed.message["Subject"] != f"Order {order['reference']} confirmed"  # the es catalogue's text


def test_an_order_rolled_back_after_it_was_announced_is_never_emailed(app, shop, coat, smtp_server):
    assert shop.add(coat).status_code == 303
    with refused_after_announcing() as seen:
        refused = shop.checkout(CHECKOUT_DELIVERY)

    assert refused.status_code == 409, refused.status_code  # told why; the transaction rolled back
    [keys] = seen  # the confirmation's job was in the transaction when it failed...
    assert any(key.endswith(":order-placed") for key in keys)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0  # ...and went with it
    run_jobs(app)
    run_jobs(app, hours=1)
    assert smtp_server.received == [] and email_rows(app) == []

    # The positive control: the same cart and checkout without the refusal are confirmed by email.
    order = place(app, shop, None)
    run_jobs(app, minutes=2)
    [confirmation] = smtp_server.received
    assert confirmation.envelope.rcpt_tos == [ADA]
    assert confirmation.message["Subject"] == f"Order {order['reference']} received"
    assert [(r.status, r.order_id) for r in email_rows(app)] == [("sent", order["id"])]


# -- the shopper's choices -----------------------------------------------------------------------


def test_an_address_that_turned_order_news_off_gets_none(app, shop, coat, smtp_server):
    with app.test_request_context():
        page = links.preferences_url(ADA).removeprefix("http://localhost")
    form = shop.client.get(page)
    assert form.status_code == 200 and ADA in form.get_data(as_text=True)
    assert shop.post(page, {"other_news": "1"}).status_code == 303  # order_news unticked
    with app.app_context():
        pref = db.session.get(EmailPreference, ADA)
        assert (pref.order_news, pref.other_news) == (False, True)

    place(app, shop, coat)
    run_jobs(app)
    run_jobs(app, hours=1)
    assert smtp_server.received == []
    assert all(row.status == "skipped" for row in email_rows(app))


def test_one_click_unsubscribe_turns_other_news_off_and_keeps_order_news(app, coat, smtp_server):
    with app.app_context():
        gloves = make_product("Gloves", price=1500, variants=(("S", 0),)).variants[0].id
        service.watch_variant(db.session, gloves, ADA, "en", utcnow())
        db.session.commit()
        adjust_stock(db.session, gloves, 3, "restock", utcnow(), None)  # back in stock: the watch is answered
        db.session.commit()
    run_jobs(app)
    [back] = smtp_server.received
    assert back.message["Subject"] == "Gloves is back in stock"
    assert back.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", back.message["List-Unsubscribe"]).group(1)
    assert url.startswith("http://localhost/notify/email/")

    client = app.test_client()  # the mail provider: no cookie, no CSRF token
    answer = client.post(url.removeprefix("http://localhost"), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 204 and answer.get_data() == b""
    with app.app_context():
        pref = db.session.get(EmailPreference, ADA)
        assert (pref.order_news, pref.other_news) == (True, False)

    shop = ShopClient(app.test_client())
    place(app, shop, coat)  # order news still arrive
    run_jobs(app, minutes=1)
    assert len(smtp_server.received) == 2 and "received" in smtp_server.received[-1].message["Subject"]


def test_a_forged_token_is_404_and_changes_nothing(app, smtp_server):
    with app.test_request_context():
        real = links.preferences_url(ADA).removeprefix("http://localhost").rsplit("/", 1)[1]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    client = app.test_client()
    assert client.get(f"/notify/email/{forged}").status_code == 404
    assert client.post(f"/notify/email/{forged}/unsubscribe", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.get("/notify/email/not-a-token/unsubscribe").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EmailPreference)) == 0


# -- without SMTP ----------------------------------------------------------------------------------


def test_without_smtp_host_the_shop_works_as_before_and_sends_no_email(db_url, tmp_path, smtp_server):
    for plain in _make_app(db_url, tmp_path):
        assert plain.config["SMTP_HOST"] == ""
        with plain.app_context():
            coat = make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id
        shop = ShopClient(plain.test_client())
        assert shop.add(coat).status_code == 303
        assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
        run_jobs(plain)
        run_jobs(plain, hours=1)
        with plain.app_context():
            assert db.session.scalar(select(func.count()).select_from(Order)) == 1
            assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
        assert smtp_server.received == []


# -- the log forgets ---------------------------------------------------------------------------


def test_bodies_are_blanked_after_the_keep_days_and_rows_deleted_later(app, shop, coat, smtp_server):
    order = place(app, shop, coat)
    start = utcnow()
    run_jobs(app, start + timedelta(seconds=1))
    [row] = email_rows(app)
    assert row.kind == Kind.ORDER_PLACED.value and row.body and row.title == f"Order {order['reference']} received"
    body_days, log_days = app.config["NOTIFY_BODY_KEEP_DAYS"], app.config["NOTIFY_LOG_KEEP_DAYS"]

    def placed() -> list[Notification]:
        """The confirmation's row, if kept (the unconfirmed cash order is released meanwhile: more rows)."""
        return [r for r in email_rows(app) if r.id == row.id]

    run_jobs(app, start + timedelta(days=body_days - 1))
    assert placed()[0].body  # still readable by the owner
    run_jobs(app, start + timedelta(days=body_days, hours=2))
    [kept] = placed()
    assert (kept.title, kept.body, kept.context) == (None, None, {})
    assert (kept.status, kept.recipient, kept.kind) == ("sent", f"email:{ADA}", Kind.ORDER_PLACED.value)

    run_jobs(app, start + timedelta(days=log_days - 1))
    assert len(placed()) == 1
    run_jobs(app, start + timedelta(days=log_days, hours=2))
    assert placed() == []
