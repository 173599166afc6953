"""Notification hardening (review 18): pushes only to the browsers' push services, no answer bodies
or full addresses in the send log, a send lease longer than any send, forgetting every old row,
a rate limit and a device cap on push sign-ups, coded details shown translated, and no
"it's back" for an archived variant."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask_babel import force_locale
from pywebpush import WebPusher
from sqlalchemy import func, insert, select

from storefront import jobs
from storefront.admin import notifications as admin_log
from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.config import TestConfig
from storefront.domain import Invalid
from storefront.extensions import db
from storefront.jobs.models import Job
from storefront.jobs.service import LEASE_LOST
from storefront.notify import mail, rules, service, webpush
from storefront.notify.models import Notification, PushSubscription, StockWatch
from storefront.notify.rules import Kind
from storefront.notify.webpush import PushOutcome, PushTarget
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product, make_user, nth_shopper
from tests.sellers.builders import make_order

from .push_server import b64url

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # the owner signs in; hashing is not the subject
KEYS = {"p256dh": "BPublicKeyOfTheBrowser", "auth": "AuthSecret16"}
FCM = "https://fcm.googleapis.com/fcm/send/dGVzdC10b2tlbg"
# Addresses on the shop's own network (and a stranger's server) that a forged subscription might name.
REFUSED = (
    "https://127.0.0.1/",
    "https://10.0.0.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://evil.example/push",
    "https://localhost/x",
    "https://fcm.googleapis.com:8443/fcm/send/x",  # a push service's host, another port
    "http://fcm.googleapis.com/fcm/send/x",  # not https
    "https://fcm.googleapis.com.evil.example/x",  # a look-alike host
    "https://evilfcm.googleapis.com.example/x",
    "https://user@evil.example/x",
    "https://fcm.googleapis.com@evil.example/x",
    "https://evil.example\\@fcm.googleapis.com/x",
    "http://10.0.0.1:8080/x",  # plain http to anything but 127.0.0.1, even in tests
)
ACCEPTED = (
    FCM,
    "https://fcm.googleapis.com:443/fcm/send/x",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
    "https://web.push.apple.com/QGz9bq",
    "https://api.push.apple.com/3/device/x",
)
SENDER = {"VAPID_PRIVATE_KEY": TestConfig.VAPID_PRIVATE_KEY, "VAPID_SUBJECT": "mailto:owner@shop.example"}
_addresses = itertools.count(1)


def browser(endpoint: str) -> dict:
    """A browser's PushSubscription.toJSON() for `endpoint`."""
    return {"endpoint": endpoint, "expirationTime": None, "keys": dict(KEYS)}


def subscribe(shop: ShopClient, body) -> tuple[int, dict]:
    """POST /notify/push as notify.js does (JSON, CSRF token in the header); status and JSON answer."""
    response = shop.client.post("/notify/push", json=body, headers={"X-CSRFToken": shop.csrf()})
    return response.status_code, response.get_json()


@pytest.fixture
def order_token(app) -> str:
    """A placed order's token (the key a shopper's device subscribes with)."""
    with app.app_context():
        return make_order([(make_product("Felt hat"), 1)], email="ada@example.com").token


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Every push the shop would post, recorded instead of sent (a stub answering 201)."""
    posted: list = []

    def post(self, data, headers=None, ttl=0, content_encoding="aes128gcm", timeout=None, **_kwargs):
        posted.append(self.subscription_info["endpoint"])
        answer = requests.Response()
        answer.status_code, answer.reason, answer._content = 201, "Created", b""
        return answer

    monkeypatch.setattr(WebPusher, "send", post)
    return posted


# -- #2: only the browsers' push services -------------------------------------------------------


@pytest.mark.parametrize("endpoint", REFUSED)
def test_an_endpoint_outside_the_push_services_is_refused_when_subscribing(sqlite_app, endpoint):
    with sqlite_app.app_context():
        assert sqlite_app.config["PUSH_ALLOW_HTTP_ENDPOINTS"]  # even with the tests' loopback escape on
        with pytest.raises(Invalid) as refused:
            service.parse_subscription(browser(endpoint))
        assert refused.value.message == "That browser subscription is not valid."


@pytest.mark.parametrize("endpoint", ACCEPTED)
def test_the_browsers_push_services_are_accepted(sqlite_app, endpoint):
    with sqlite_app.app_context():
        sqlite_app.config["PUSH_ALLOW_HTTP_ENDPOINTS"] = False  # as in production
        target = service.parse_subscription(browser(endpoint))
    assert target == PushTarget(endpoint, KEYS["p256dh"], KEYS["auth"])


def test_push_service_hosts_adds_services_and_loopback_http_needs_the_test_setting(sqlite_app):
    with sqlite_app.app_context():
        config = sqlite_app.config
        assert webpush.endpoint_problem(config, "https://push.example.net/x")
        config["PUSH_SERVICE_HOSTS"] = " push.example.net , *.relay.example.org,"
        for endpoint in ("https://push.example.net/x", "https://eu.push.example.net/x", "https://a.relay.example.org/"):
            assert service.parse_subscription(browser(endpoint)).endpoint == endpoint
        assert webpush.endpoint_problem(config, "https://push.example.net:444/x")
        assert webpush.endpoint_problem(config, "https://notpush.example.net/x")
        assert webpush.endpoint_problem(config, "http://127.0.0.1:8080/push/x") is None
        config["PUSH_ALLOW_HTTP_ENDPOINTS"] = False
        assert webpush.endpoint_problem(config, "http://127.0.0.1:8080/push/x")


def test_the_sign_up_endpoint_refuses_an_internal_address_and_keeps_nothing(app, shop, order_token):
    for endpoint in ("https://127.0.0.1/", "https://10.0.0.1/", "https://169.254.169.254/"):
        status, answer = subscribe(shop, {"subscription": browser(endpoint), "order": order_token})
        assert (status, answer) == (400, {"ok": False, "message": "That browser subscription is not valid."})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize("endpoint", REFUSED)
def test_a_stored_endpoint_outside_the_push_services_is_never_posted_to(endpoint, no_network):
    target = PushTarget(endpoint, KEYS["p256dh"], KEYS["auth"])

    result = webpush.send({**SENDER, "PUSH_ALLOW_HTTP_ENDPOINTS": True}, target, {"title": "x"}, ttl=60)

    assert (result.outcome, result.status) == (PushOutcome.REJECTED, None)
    assert result.detail == webpush.NOT_A_PUSH_SERVICE and no_network == []


def test_the_log_keeps_the_status_and_reason_of_an_answer_never_its_body(monkeypatch):
    def answer(self, *args, **kwargs):
        response = requests.Response()
        response.status_code, response.reason = 400, "Bad Request"
        response._content = b"<html>internal admin page: db password hunter2</html>"
        return response

    monkeypatch.setattr(WebPusher, "send", answer)
    point = (
        ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    target = PushTarget(FCM, b64url(point), b64url(os.urandom(16)))  # real keys: the payload is encrypted for them

    result = webpush.send(SENDER, target, {"title": "x"}, ttl=60)

    assert (result.outcome, result.status, result.detail) == (PushOutcome.REJECTED, 400, "400 Bad Request")


# -- #3: the send lease outlasts any send ---------------------------------------------------------


def test_the_send_lease_outlasts_the_slowest_push_or_email_the_settings_allow(app):
    lease = jobs.REGISTRY.handlers[service.SEND].lease.total_seconds()
    most = 60  # check_config's ceiling for PUSH_TIMEOUT_SECONDS and SMTP_TIMEOUT_SECONDS
    assert lease >= max(2 * most, 10 * most) + 60


# -- #8: no full address in the log or the jobs table ---------------------------------------------


def test_masking_replaces_the_address_whatever_its_case():
    detail = "550 5.1.1 <Ada.Lovelace@Example.COM>: no such mailbox; ada.lovelace@example.com refused"
    masked = service.masked(detail, "ada.lovelace@example.com")
    assert masked == "550 5.1.1 <ad***@example.com>: no such mailbox; ad***@example.com refused"
    assert service.masked("421 busy", "ada.lovelace@example.com") == "421 busy"


def place(app, shop: ShopClient) -> None:
    """A shopper with an email places a cash order for one hat."""
    with app.app_context():
        variant_id = make_product("Felt hat", price=2000, variants=(("", 5),)).variants[0].id
    assert shop.add(variant_id).status_code == 303
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303


def test_a_refused_address_is_masked_in_the_send_log(app, shop, smtp_server):
    app.config.update(smtp_server.settings(MAIL_FROM="shop@example.com"))
    smtp_server.behaviour = "refuse"  # "550 5.1.1 <address>: no such mailbox here"
    place(app, shop)
    with app.app_context():
        jobs.run_due(db.session, utcnow() + timedelta(seconds=1))
        [row] = db.session.scalars(select(Notification).where(Notification.channel == "email")).all()
        assert row.status == "failed" and "550" in row.detail
        assert CHECKOUT_DELIVERY["email"].lower() not in row.detail.lower()
        assert rules.mask_email(CHECKOUT_DELIVERY["email"].lower()) in row.detail


def test_a_retried_answer_naming_the_address_is_masked_in_the_jobs_table(app, shop, smtp_server, monkeypatch):
    app.config.update(smtp_server.settings(MAIL_FROM="shop@example.com"))
    address = CHECKOUT_DELIVERY["email"]
    busy = mail.MailResult(mail.MailOutcome.RETRY, f"452 4.2.2 <{address.upper()}> mailbox full")
    monkeypatch.setattr(mail, "send", lambda config, message: busy)
    place(app, shop)
    with app.app_context():
        jobs.run_due(db.session, utcnow() + timedelta(seconds=1))
        [job] = db.session.scalars(select(Job).where(Job.name == service.SEND)).all()
        assert "452" in job.last_error and address.lower() not in job.last_error.lower()
        assert rules.mask_email(address.lower()) in job.last_error


# -- #9: every old row is forgotten ---------------------------------------------------------------


def log_row(**values) -> dict:
    """One send-log row holding a shopper's context (queued, never sent, unless told otherwise)."""
    return {
        "event_key": f"hardening:{next(_addresses)}",
        "kind": "order-shipped",
        "channel": "push",
        "recipient": f"push:{next(_addresses)}",
        "subscription_id": 1,
        "locale": "en",
        "context": {"name": "Ada Lovelace", "city": "London", "token": "secret-order-token"},
        "status": "queued",
        "detail": "",
        "title": None,
        "body": None,
        **values,
    }


def test_every_row_past_the_body_cutoff_loses_its_texts_and_context(app):
    now = utcnow()
    with app.app_context():
        old = now - timedelta(days=app.config["NOTIFY_BODY_KEEP_DAYS"], hours=1)
        rows = [
            log_row(created_at=old),  # never left the queue
            log_row(created_at=old, status="failed", detail="gave-up: 503 Service Unavailable"),
            log_row(created_at=old, status="sent", title="Shipped", body="On its way"),
            log_row(created_at=now - timedelta(days=1), status="failed"),  # recent: kept whole
        ]
        db.session.execute(insert(Notification), rows)
        db.session.commit()

        blanked, deleted = service.forget_old(db.session, now)
        db.session.commit()

        assert (blanked, deleted) == (3, 0)
        kept = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        assert [(r.title, r.body, r.context) for r in kept[:3]] == [(None, None, {})] * 3
        assert kept[3].context["token"] == "secret-order-token"
        assert [r.status for r in kept] == ["queued", "failed", "sent", "failed"]
        assert service.forget_old(db.session, now) == (0, 0)  # nothing is blanked twice


# -- #11: a rate limit and a device cap on push sign-ups ------------------------------------------


def test_push_sign_ups_are_rate_limited_per_address_with_a_json_answer(app, shop, order_token, push_service):
    app.config["PUSH_RATE_LIMIT"] = "3 per hour"
    for _n in range(3):
        body = {"subscription": push_service.new_subscription(), "order": order_token}
        assert subscribe(shop, body)[0] == 201

    status, answer = subscribe(shop, {"subscription": push_service.new_subscription(), "order": order_token})

    assert status == 429 and answer["ok"] is False
    assert answer["message"] == "Too many sign-ups for notifications from this address. Please try again later."
    other = nth_shopper(app, 7)  # another address still may
    assert subscribe(other, {"subscription": push_service.new_subscription(), "order": order_token})[0] == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 4


def test_an_owner_keeps_ten_devices_and_an_eleventh_drops_the_oldest(app, order_token):
    now = utcnow()
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.token == order_token))
        owner = service.Owner(order_id=order_id)
        endpoints = [f"{FCM}-{n}" for n in range(service.MAX_DEVICES + 1)]
        for n, endpoint in enumerate(endpoints):
            target = PushTarget(endpoint, KEYS["p256dh"], KEYS["auth"])
            service.subscribe(db.session, target, owner, "en", now + timedelta(minutes=n))
            db.session.commit()
        service.subscribe(  # the same device again: refreshed, nothing dropped
            db.session, PushTarget(endpoints[-1], KEYS["p256dh"], KEYS["auth"]), owner, "es", now + timedelta(hours=1)
        )
        db.session.commit()
        kept = db.session.scalars(select(PushSubscription.endpoint).order_by(PushSubscription.id)).all()
    assert kept == endpoints[1:]  # ten, the oldest gone


# -- #14: the shop's own details are codes, shown translated --------------------------------------


def test_the_shops_own_details_are_codes_shown_in_the_owners_language(app):
    with app.test_request_context():
        assert admin_log.detail_label(service.UNSUBSCRIBED) == "The device unsubscribed."
        assert admin_log.detail_label("gave-up: 503 Service Unavailable") == (
            "Gave up after several tries. The last answer: 503 Service Unavailable"
        )
        assert admin_log.detail_label("410 Gone") == "410 Gone"  # a provider's answer, as it came
        with force_locale("es"):
            assert admin_log.detail_label(service.NO_EMAIL_SETUP) != "Email is not set up."
            assert admin_log.detail_label(service.OPTED_OUT) != "The address asked for no more of these."


def test_a_push_whose_device_left_is_skipped_with_a_code_and_a_failed_job_says_why(app):
    with app.app_context():
        gone_device = log_row(created_at=utcnow(), kind="alert-test", context={}, subscription_id=999_999)
        db.session.execute(insert(Notification), [gone_device])
        db.session.commit()
        note_id = db.session.scalar(select(Notification.id))
        assert service.send(db.session, note_id, utcnow()) == "skipped"
        db.session.commit()
        assert db.session.get(Notification, note_id).detail == service.UNSUBSCRIBED

        db.session.execute(insert(Notification), [log_row(created_at=utcnow()), log_row(created_at=utcnow())])
        db.session.commit()
        retried, lost = db.session.scalars(select(Notification.id).where(Notification.id != note_id)).all()
        service.mark_failed(db.session, retried, "SendLater: 503 Service Unavailable")
        service.mark_failed(db.session, lost, LEASE_LOST)
        db.session.commit()
        assert db.session.get(Notification, retried).detail == "gave-up: 503 Service Unavailable"
        assert db.session.get(Notification, lost).detail == service.WORKER_LOST


def test_the_send_log_page_shows_the_labels(app):
    with app.app_context():
        make_user("owner@example.com", "owner")
        rows = [
            log_row(created_at=utcnow(), status="skipped", detail=service.OPTED_OUT),
            log_row(created_at=utcnow(), status="failed", detail=service.WORKER_LOST),
        ]
        db.session.execute(insert(Notification), rows)
        db.session.commit()
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code == 303
    html = owner.client.get("/admin/notifications").text
    assert "The address asked for no more of these." in html
    assert "The worker stopped during the send; no tries were left." in html
    assert "opted-out" not in html and "worker-lost" not in html


# -- #16: no "it's back" for an archived variant --------------------------------------------------


def test_an_archived_variant_restocked_answers_no_watch(app):
    now = utcnow()
    with app.app_context():
        product = make_product("Wool coat", variants=(("S", 0), ("M", 0)))
        small, medium = (v.id for v in product.variants)
        watches = [service.watch_variant(db.session, v, "ana@example.com", "en", now) for v in (small, medium)]
        db.session.commit()
        for variant_id in (small, medium):
            db.session.get(Variant, variant_id).on_hand = 4
        db.session.get(Variant, small).archived = True
        db.session.commit()

        assert service.answer_watches(db.session, small, now) == 0
        assert service.answer_watches(db.session, medium, now) == 1  # the control: an offered variant is answered
        db.session.commit()
        notified = {w.variant_id: w.notified_at for w in db.session.scalars(select(StockWatch))}
    assert notified[small] is None and notified[medium] is not None and len(watches) == 2


# -- #17: a message being retried says why ---------------------------------------------------------


def test_a_queued_message_shows_why_it_is_tried_again(app, push_service):
    now = utcnow()
    with app.app_context():
        make_user("owner@example.com", "owner")
        order = make_order([(make_product("Felt hat"), 1)], email="")
        device = push_service.new_subscription("unavailable")  # answers 503
        target = PushTarget(device["endpoint"], device["keys"]["p256dh"], device["keys"]["auth"])
        service.subscribe(db.session, target, service.Owner(order_id=order.id), "en", now)
        service.order_news(db.session, order, Kind.ORDER_SHIPPED, now)
        db.session.commit()
        jobs.run_due(db.session, now + timedelta(seconds=1))
        [note] = db.session.scalars(select(Notification)).all()
        assert (note.status, note.detail) == ("queued", "")  # the worker rolled its attempt back
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code == 303
    html = owner.client.get("/admin/notifications").text
    assert "Trying again after: 503 Service Unavailable</span>" in html
