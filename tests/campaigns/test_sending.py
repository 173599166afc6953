"""Campaign sending through the job queue: consent, each message once, the rate, the schedule,
cancelling, the message's language, code and opt-out link (and that the link works)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.campaigns import rules, service
from storefront.clock import utcnow
from storefront.customers.models import Customer
from storefront.extensions import db
from storefront.jobs.models import Job
from storefront.notify import service as notify
from storefront.notify.models import Notification

from .conftest import add_campaign, add_customer, add_segment, campaign, recipients, run, send

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def plain(got) -> str:
    return got.message.get_body(("plain",)).get_content()


def test_only_consenting_customers_are_queued_and_each_gets_one_email(app, smtp_server):
    ada = add_customer(app, "Ada", email="ada@example.com", channels=("email",))
    add_customer(app, "Bob", email="bob@example.com")  # never agreed
    add_customer(app, "Cy", email="cy@example.com", channels=("push", "whatsapp"))  # not by email
    cid = add_campaign(app, add_segment(app))
    send(app, cid)
    run(app)
    run(app, utcnow() + timedelta(minutes=5))
    assert [r.customer_id for r in recipients(app, cid)] == [ada]
    assert [got.message["To"] for got in smtp_server.received] == ["ada@example.com"]
    with app.app_context():
        keys = db.session.scalars(select(Job.key).where(Job.name == service.SEND)).all()
        assert keys == [rules.event_key(cid, ada)]  # no marketing job for anyone without consent
        assert db.session.scalars(select(Notification.event_key)).all() == [rules.event_key(cid, ada)]
    assert campaign(app, cid).status == "sent"


def test_a_rerun_start_and_a_redelivered_send_job_send_nothing_twice(app, smtp_server):
    ada = add_customer(app, "Ada", email="ada@example.com", channels=("email",))
    cid = add_campaign(app, add_segment(app))
    send(app, cid)
    run(app)
    with app.test_request_context():
        now = utcnow()
        assert service.start(db.session, cid, now) == 0  # started already
        (recipient,) = recipients(app, cid)
        assert service.send_one(db.session, recipient.id, now) == "queued"  # a redelivered send job
        # the job itself enqueued again (as after a lost lease): nothing more is queued
        db.session.execute(Job.__table__.update().where(Job.name == service.SEND).values(status="queued", run_at=now))
        db.session.commit()
    run(app, utcnow() + timedelta(minutes=1))
    run(app, utcnow() + timedelta(minutes=10))
    assert len(smtp_server.received) == 1
    with app.app_context():
        assert db.session.scalars(select(Notification.event_key)).all() == [rules.event_key(cid, ada)]


def test_the_rate_spreads_the_send_jobs(app):
    for n in range(5):
        add_customer(app, f"C{n}", email=f"c{n}@example.com", channels=("email",))
    cid = add_campaign(app, add_segment(app), rate_per_minute=2)
    start = utcnow().replace(microsecond=0)
    send(app, cid, start)
    with app.app_context():
        service.start(db.session, cid, start)
        db.session.commit()
        times = sorted(db.session.scalars(select(Job.run_at).where(Job.name == service.SEND)))
    assert [(t - start).total_seconds() for t in times] == [0, 30, 60, 90, 120]


def test_a_scheduled_campaign_waits_for_its_time(app, smtp_server):
    add_customer(app, "Ada", email="ada@example.com", channels=("email",))
    now = utcnow()
    cid = add_campaign(app, add_segment(app), scheduled_at=now + timedelta(hours=2), now=now)
    send(app, cid, now)
    run(app, now + timedelta(hours=1, minutes=59))
    assert smtp_server.received == [] and recipients(app, cid) == []
    assert campaign(app, cid).status == "scheduled"
    run(app, now + timedelta(hours=2, seconds=1))
    run(app, now + timedelta(hours=2, seconds=2))
    assert len(smtp_server.received) == 1 and campaign(app, cid).status == "sent"


def test_cancel_stops_what_is_not_sent(app, smtp_server):
    for n in range(3):
        add_customer(app, f"C{n}", email=f"c{n}@example.com", channels=("email",))
    cid = add_campaign(app, add_segment(app), rate_per_minute=1)
    now = utcnow()
    send(app, cid, now)
    run(app, now + timedelta(seconds=1))  # start, and the first message
    run(app, now + timedelta(seconds=2))
    assert len(smtp_server.received) == 1
    with app.app_context():
        assert service.cancel(db.session, cid, utcnow()) == 2
        db.session.commit()
    run(app, now + timedelta(minutes=10))
    run(app, now + timedelta(minutes=11))
    assert len(smtp_server.received) == 1
    assert sorted(r.status for r in recipients(app, cid)) == ["cancelled", "cancelled", "queued"]
    assert campaign(app, cid).status == "cancelled"


def test_cancel_before_the_time_sends_nothing(app, smtp_server):
    add_customer(app, "Ada", email="ada@example.com", channels=("email",))
    now = utcnow()
    cid = add_campaign(app, add_segment(app), scheduled_at=now + timedelta(hours=1), now=now)
    send(app, cid, now)
    with app.app_context():
        service.cancel(db.session, cid, now)
        db.session.commit()
    run(app, now + timedelta(hours=2))
    assert smtp_server.received == [] and recipients(app, cid) == []


def test_the_message_is_in_the_customers_language_with_code_tracked_link_pixel_and_working_optout(app, smtp_server):
    ada = add_customer(app, "Ada", email="ada@example.com", channels=("email",), locale="es")
    bob = add_customer(app, "Bob", email="bob@example.com", channels=("email",), locale="bn")  # no Bengali text
    cid = add_campaign(app, add_segment(app))
    send(app, cid)
    run(app)
    run(app, utcnow() + timedelta(minutes=1))
    by_to = {got.message["To"]: got for got in smtp_server.received}
    tokens = {r.customer_id: r.token for r in recipients(app, cid)}
    spanish, english = by_to["ada@example.com"], by_to["bob@example.com"]
    assert spanish.message["Subject"] == "Rebajas de invierno" and english.message["Subject"] == "Winter sale"
    assert "WINTER10" in plain(spanish) and "WINTER10" in plain(english)
    assert f"/r/{tokens[ada]}" in plain(spanish)
    html = spanish.message.get_body(("html",)).get_content()
    assert f"/r/{tokens[ada]}/o.gif" in html
    for customer_id, got in ((ada, spanish), (bob, english)):
        link = re.search(r"<(http://[^>]+)>", got.message["List-Unsubscribe"]).group(1)
        assert link in plain(got) and "/offers/stop/" in link
        assert (
            app.test_client()
            .post(link.removeprefix("http://localhost"), data={"List-Unsubscribe": "One-Click"})
            .status_code
            == 204
        )
        with app.app_context():
            assert db.session.get(Customer, customer_id).marketing_email is False


def test_an_optout_after_the_snapshot_skips_the_message(app, smtp_server):
    ada = add_customer(app, "Ada", email="ada@example.com", channels=("email",))
    cid = add_campaign(app, add_segment(app), rate_per_minute=1)
    now = utcnow()
    send(app, cid, now)
    with app.app_context():
        service.start(db.session, cid, now)
        from storefront.customers import consent

        consent.record(db.session, ada, "email", False, "optout", now)
        db.session.commit()
    run(app, now + timedelta(minutes=1))
    assert smtp_server.received == []
    assert [r.status for r in recipients(app, cid)] == ["skipped"]
    with app.app_context():
        assert db.session.scalar(select(Notification.id)) is None
    assert notify.OPTED_OUT  # the send path's own re-check is tested in tests/notify/test_marketing.py


def test_a_push_campaign_reaches_the_customers_device_once_and_counts_delivered(app, shop, coat, pushes):
    from storefront.customers.models import CustomerOrder
    from tests.notify.conftest import follow, place

    order = place(app, shop, coat)
    device = pushes.new_subscription()
    assert follow(shop, device, {"order": order["token"]}).status_code == 201
    ada = add_customer(app, "Ada", email="ada@example.com", channels=("push",))
    with app.app_context():
        db.session.merge(CustomerOrder(order_id=order["id"], customer_id=ada))  # checkout linked it already
        db.session.commit()
    run(app)  # the order's own news
    before = len(pushes.messages_for(device))
    cid = add_campaign(app, add_segment(app))
    with app.app_context():
        from sqlalchemy import update as sql_update

        from storefront.campaigns.models import Campaign

        db.session.execute(sql_update(Campaign).where(Campaign.id == cid).values(channel="push"))
        db.session.commit()
    send(app, cid)
    run(app)
    run(app, utcnow() + timedelta(minutes=1))
    run(app, utcnow() + timedelta(minutes=2))
    offers = pushes.messages_for(device)[before:]
    assert len(offers) == 1
    (recipient,) = recipients(app, cid)
    assert offers[0].payload["url"] == f"/r/{recipient.token}" and "/offers/stop/" in offers[0].payload["body"]
    assert "WINTER10" in offers[0].payload["body"]
    with app.app_context():
        from storefront.campaigns.models import Campaign

        assert service.figures(db.session, db.session.get(Campaign, cid)).delivered == 1
