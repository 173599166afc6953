"""After-sales news: a new request or a customer's message alerts the staff once, each step the shopper
cares about is one message to the order's channels (email here, through a real SMTP server), keyed so a
repeated step or a redelivered event sends nothing twice, and a rolled-back request enqueues nothing.

Time is pinned: the order is delivered at DELIVERED and every fact happens at NOW.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storefront.aftersales import outcomes
from storefront.aftersales import service as aftersales
from storefront.aftersales.events import AFTERSALES_MOVED
from storefront.aftersales.rules import Status, Step, StepRefused
from storefront.extensions import db
from storefront.jobs.models import Job
from storefront.notify import service
from storefront.notify.models import AlertChoice, Notification
from storefront.notify.rules import Kind
from storefront.orders.models import Order
from tests.aftersales.helpers import deliver
from tests.builders import CHECKOUT_DELIVERY, make_user
from tests.helpers import _make_app

from .conftest import place, run_jobs
from .smtp_server import SmtpServer

pytestmark = pytest.mark.usefixtures("quick_password_hash")

DELIVERED = datetime(2030, 5, 4, 9, 0)
NOW = DELIVERED + timedelta(days=2)
UTC = ZoneInfo("UTC")
ADA = CHECKOUT_DELIVERY["email"]


@pytest.fixture
def app(db_url, tmp_path, smtp_server: SmtpServer):
    """The shop sending email through the test SMTP server."""
    yield from _make_app(db_url, tmp_path, smtp_server.settings(MAIL_FROM="shop@example.com"))


@pytest.fixture
def order(app, shop, coat) -> dict:
    """A delivered cash order for one coat, its own news already sent; the staff member wants alerts by email."""
    placed = place(app, shop, coat)
    deliver(app, placed["id"], at=DELIVERED)
    with app.app_context():
        user = make_user("staff@example.com", "staff")
        db.session.add(AlertChoice(user_id=user.id, kinds=["aftersales"], by_email=True, updated_at=DELIVERED))
        db.session.commit()
    run_jobs(app, at=NOW - timedelta(minutes=1))
    return placed


def opened(app, order_id: int, kind: str = "return") -> int:
    """A request on the order's first line, opened at NOW and committed; its id."""
    with app.app_context():
        found = db.session.get(Order, order_id)
        asked = aftersales.NewRequest(kind, "changed_mind", "Too big.", {found.lines[0].id: 1})
        request = aftersales.open_request(db.session, found, asked, [], NOW, UTC)
        db.session.commit()
        return request.id


def act(app, request_id: int, do) -> None:
    """Run `do(session, request)` at NOW and commit (as one admin request would)."""
    with app.app_context():
        do(db.session, aftersales.get_request(db.session, request_id))
        db.session.commit()


def keys(app, part: str) -> list[str]:
    """The fan-out job keys containing `part`, sorted."""
    with app.app_context():
        found = db.session.scalars(select(Job.key).where(Job.name == service.FAN_OUT)).all()
        return sorted(k for k in found if part in k)


def sent(app, smtp_server: SmtpServer, kind: Kind) -> list[tuple[str, str, str]]:
    """(recipient, title, body) of the log's rows of `kind` after the worker ran; checks one email each."""
    run_jobs(app, at=NOW + timedelta(seconds=5))
    with app.app_context():
        rows = db.session.scalars(select(Notification).where(Notification.kind == kind.value)).all()
        return [(r.recipient, r.title, r.body) for r in rows if r.status == "sent"]


# -- the staff ------------------------------------------------------------------------------------


def test_a_new_request_alerts_the_staff_once_in_its_own_transaction(app, order, smtp_server):
    with app.app_context():
        found = db.session.get(Order, order["id"])
        asked = aftersales.NewRequest("return", "changed_mind", "", {found.lines[0].id: 1})
        request = aftersales.open_request(db.session, found, asked, [], NOW, UTC)
        in_transaction = db.session.scalars(select(Job.key).where(Job.name == service.FAN_OUT)).all()
        assert f"alert:aftersales:opened:{request.id}" in in_transaction, "enqueued with the request"
        db.session.rollback()
    assert keys(app, "aftersales") == [], "a rolled-back request alerts nobody"

    request_id = opened(app, order["id"])
    assert keys(app, "aftersales") == [f"alert:aftersales:opened:{request_id}"]
    assert keys(app, f"order:{order['id']}:aftersales") == [], "opening is not news for the shopper"
    rows = sent(app, smtp_server, Kind.ALERT_AFTERSALES)
    assert rows == [
        (
            "email:staff@example.com",
            f"After-sales request (return) for order {order['reference']}",
            "From Ada Shopper. Look at it and accept, refuse or answer.",
        )
    ]
    email = smtp_server.received[-1].message
    assert f"http://localhost/admin/aftersales/{request_id}" in email.get_body(("plain",)).get_content()
    run_jobs(app, at=NOW + timedelta(minutes=5))
    assert len(sent(app, smtp_server, Kind.ALERT_AFTERSALES)) == 1, "the worker running again sends nothing new"


def test_a_customer_message_alerts_the_staff_and_a_staff_answer_tells_the_shopper(app, order, smtp_server):
    request_id = opened(app, order["id"], kind="problem")
    act(app, request_id, lambda s, r: aftersales.add_message(s, r, "customer", "Any news?", NOW))
    act(app, request_id, lambda s, r: aftersales.add_message(s, r, "staff", "Yes: it is on its way.", NOW, None))
    alerts = keys(app, "alert:aftersales:")
    assert len(alerts) == 2 and alerts[0].startswith("alert:aftersales:message:")
    news = keys(app, f"order:{order['id']}:aftersales")
    assert len(news) == 1 and news[0].startswith(f"order:{order['id']}:aftersales-reply:{request_id}:message:")
    assert sent(app, smtp_server, Kind.AFTERSALES_REPLY) == [
        (
            f"email:{ADA}",
            f"Storefront answered about order {order['reference']}",
            "Read the answer on your order's page.",
        )
    ]
    assert not [k for k in keys(app, "aftersales") if k.endswith(":answered")], "the answer step adds no second news"


# -- the shopper ----------------------------------------------------------------------------------


def test_each_step_of_an_exchange_is_one_message_to_the_shopper(app, order, smtp_server):
    request_id = opened(app, order["id"], kind="exchange")
    act(app, request_id, lambda s, r: aftersales.take_step(s, r, Step.ACCEPT, NOW, "staff"))
    act(app, request_id, lambda s, r: aftersales.take_step(s, r, Step.RECEIVE, NOW, "staff"))
    owner = _owner(app)
    act(app, request_id, lambda s, r: outcomes.make_replacement(s, r, NOW, owner))
    prefix = f"order:{order['id']}:aftersales-"
    assert keys(app, prefix) == [
        f"{prefix}accepted:{request_id}:accepted",
        f"{prefix}received:{request_id}:received",
        f"{prefix}replaced:{request_id}:replaced",
    ]
    ref = order["reference"]
    expected = {
        Kind.AFTERSALES_ACCEPTED: f"Your request for order {ref} is accepted",
        Kind.AFTERSALES_RECEIVED: f"We received your items for order {ref}",
        Kind.AFTERSALES_REPLACED: f"Your replacement for order {ref} is on its way",
    }
    for kind, title in expected.items():
        rows = sent(app, smtp_server, kind)
        assert [(r[0], r[1]) for r in rows] == [(f"email:{ADA}", title)], kind
    ours = [got for got in smtp_server.received if got.message["Subject"] in expected.values()]
    assert len(ours) == 3 and all(order["url"] in got.message.get_body(("plain",)).get_content() for got in ours)


def test_a_refusal_tells_the_reason_and_a_repeated_step_sends_nothing_twice(app, order, smtp_server):
    request_id = opened(app, order["id"])
    act(app, request_id, lambda s, r: aftersales.refuse(s, r, "Worn and washed.", NOW, None))
    with pytest.raises(StepRefused):
        act(app, request_id, lambda s, r: aftersales.refuse(s, r, "Again.", NOW, None))
    with app.app_context():  # the same fact announced again (a retried request): the key says it was told
        request = aftersales.get_request(db.session, request_id)
        found = db.session.get(Order, order["id"])
        AFTERSALES_MOVED.signal.send(
            AFTERSALES_MOVED, session=db.session, request=request, order=found, step=Step.REFUSE,
            old_status=Status.REQUESTED, new_status=Status.REFUSED, author="staff", note="Worn and washed.", now=NOW,
        )  # fmt: skip
        db.session.commit()
    assert keys(app, f"order:{order['id']}:aftersales") == [
        f"order:{order['id']}:aftersales-refused:{request_id}:refused"
    ]
    rows = sent(app, smtp_server, Kind.AFTERSALES_REFUSED)
    assert rows == [
        (
            f"email:{ADA}",
            f"Your request for order {order['reference']} was refused",
            "Storefront could not accept it: Worn and washed.",
        )
    ]


def test_a_refund_is_told_once_by_the_payments_own_message(app, order, smtp_server):
    request_id = opened(app, order["id"])
    act(app, request_id, lambda s, r: aftersales.take_step(s, r, Step.ACCEPT, NOW, "staff"))
    act(app, request_id, lambda s, r: aftersales.take_step(s, r, Step.RECEIVE, NOW, "staff"))
    owner = _owner(app)
    act(app, request_id, lambda s, r: outcomes.refund_return(s, r, 5000, "cash back", NOW, owner))
    assert not [k for k in keys(app, "aftersales") if "refunded" in k], "no after-sales refund message"
    assert [r[1] for r in sent(app, smtp_server, Kind.ORDER_REFUNDED)] == [f"Refund for order {order['reference']}"]


def test_the_shoppers_language_and_an_opted_out_address(app, order, smtp_server):
    with app.app_context():
        db.session.get(Order, order["id"]).locale = "es"
        service.set_email_preference(db.session, ADA, NOW, order_news=True, other_news=False)
        db.session.commit()
    first = opened(app, order["id"])
    act(app, first, lambda s, r: aftersales.take_step(s, r, Step.ACCEPT, NOW, "staff"))
    [(_to, title, _body)] = sent(app, smtp_server, Kind.AFTERSALES_ACCEPTED)
    assert title == f"Tu solicitud del pedido {order['reference']} fue aceptada"

    with app.app_context():
        service.set_email_preference(db.session, ADA, NOW, order_news=False, other_news=False)
        db.session.commit()
    act(app, first, lambda s, r: aftersales.take_step(s, r, Step.RECEIVE, NOW, "staff"))
    assert len(keys(app, f"aftersales-received:{first}")) == 1, "the news is queued"
    assert sent(app, smtp_server, Kind.AFTERSALES_RECEIVED) == [], "but an address that opted out gets no email"
    with app.app_context():
        assert db.session.scalar(select(Notification).where(Notification.kind == "aftersales-received")) is None


def _owner(app) -> int:
    with app.app_context():
        return make_user("owner@example.com", "owner").id


def test_the_request_page_offers_whatsapp_with_where_the_request_stands(app, order, staff):
    request_id = opened(app, order["id"])
    page = staff.client.get(f"/admin/aftersales/{request_id}")
    assert page.status_code == 200 and "data-whatsapp-request" in page.text
    link = 'href="https://wa.me/442079460958?text=Hello%20Ada%20Shopper%2C%20we%20received%20your%20request'
    assert link in page.text
    assert f"we received your request about order {order['reference']} and will answer soon" in page.text
    assert order["url"] in page.text
    act(app, request_id, lambda s, r: aftersales.take_step(s, r, Step.ACCEPT, NOW, "staff"))
    page = staff.client.get(f"/admin/aftersales/{request_id}")
    assert f"your request about order {order['reference']} is accepted; please send the items back" in page.text
