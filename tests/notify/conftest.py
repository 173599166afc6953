"""Notification fixtures and the steps the flow tests share.

Every notify test's `app` is the shop with card payments on through the fake Stripe, the very
fixtures of tests/payments (`fake_stripe`, `app`, `coat`: a $50.00 coat with 5 units); a module
that needs other settings (email) overrides `app`. Besides: the local push service
(push_server.py), a real SMTP server (smtp_server.py), a signed-in staff member, and helpers to
place an order, follow it from a device, run the job worker, and refuse a checkout after its
ORDER_PLACED was announced.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from storefront import jobs
from storefront.clock import utcnow
from storefront.core.events import Event
from storefront.domain import Conflict
from storefront.extensions import db
from storefront.jobs.models import Job
from storefront.notify import service, subscribers, webpush
from storefront.notify.rules import Alert
from storefront.orders.events import ORDER_PLACED
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_user
from tests.payments import conftest as payments

from .push_server import PushService
from .smtp_server import serving

# The shop with card payments through the fake Stripe, exactly as tests/payments builds it.
fake_stripe, app, coat = payments.fake_stripe, payments.app, payments.coat


@pytest.fixture
def push_service():
    """A real Web Push service on 127.0.0.1 that verifies VAPID, decrypts and records every push."""
    running = PushService().start()
    yield running
    running.stop()


@pytest.fixture
def pushes(app, push_service: PushService) -> PushService:
    """The local push service, told the shop's public key: a push signed with any other key is refused."""
    push_service.expected_key = webpush.public_key(app.config)
    return push_service


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 for one test (plain SMTP; the login shop / s3cret-pass works)."""
    with serving(users={"shop": "s3cret-pass"}) as server:
        yield server


@pytest.fixture
def staff(app) -> ShopClient:
    """A signed-in staff member's browser."""
    with app.app_context():
        make_user("staff@example.com", "staff")
    browser = ShopClient(app.test_client())
    assert browser.login("staff@example.com").status_code == 303
    return browser


# -- helpers -----------------------------------------------------------------------------------


def place(app, shop: ShopClient, variant_id: int | None, fields: dict = CHECKOUT_DELIVERY) -> dict:
    """A shopper buys one unit (cash; `None`: what is in the cart already); the order's token, reference, id, page."""
    if variant_id is not None:
        assert shop.add(variant_id).status_code == 303
    response = shop.checkout(fields)
    assert response.status_code == 303, response.text
    token = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.token == token)).one()
        return {"token": token, "reference": order.reference, "id": order.id, "url": f"http://localhost/o/{token}"}


def follow(browser: ShopClient, subscription: dict, owner: dict, headers: dict | None = None):
    """The page's push button (order, watch or account): POST /notify/push with the CSRF header."""
    return browser.client.post(
        "/notify/push",
        json={"subscription": subscription, **owner},
        headers={"X-CSRFToken": browser.csrf(), **(headers or {})},
    )


def run_jobs(app, at: datetime | None = None, **delta) -> jobs.worker.BurstReport:
    """The worker: every job due at `at` (default: now plus a second, or now plus `delta`)."""
    with app.app_context():
        return jobs.run_due(db.session, at or utcnow() + timedelta(**(delta or {"seconds": 1})))


def fan_out_keys(session, order_id: int) -> list[str]:
    """The keys of the order's fan-out jobs (its shopper's news, the staff's alert) this session sees, sorted."""
    keys = session.scalars(select(Job.key).where(Job.name == service.FAN_OUT)).all()
    ours = (f"order:{order_id}:", f"alert:{Alert.NEW_ORDER.value}:{order_id}")
    return sorted(k for k in keys if k.startswith(ours[0]) or k == ours[1])


@contextmanager
def refused_after_announcing() -> Iterator[list[list[str]]]:
    """Every checkout in the block fails AFTER its ORDER_PLACED was announced: the transaction rolls back.

    A test receiver of ORDER_PLACED makes sure notify's subscriber has run (blinker calls receivers
    in no set order: when this one comes first, it runs notify's own subscriber, as the app would,
    whose job key makes a second run add nothing), records the fan-out jobs then in the
    transaction, and raises a Conflict (409), as a refusing subscriber (stores) would. Yields the
    recorded keys, one list per refused checkout.
    """
    seen: list[list[str]] = []

    def refuse(event: Event, *, session, order: Order, **payload) -> None:
        """Raise once notify's jobs for the order are in the transaction."""
        if not fan_out_keys(session, order.id):
            subscribers.order_placed(event, session=session, order=order, **payload)
        seen.append(fan_out_keys(session, order.id))
        raise Conflict("Refused after the order was announced (a test subscriber).")

    ORDER_PLACED.connect(refuse)
    try:
        yield seen
    finally:
        ORDER_PLACED.disconnect(refuse)
