"""Every Stripe call is bounded, and retried only where the caller can wait.

Stripe is played by a real listening socket on 127.0.0.1 that accepts connections and never
answers, reached through STRIPE_API_BASE by the real `stripe` library and its requests client.
The bounds are behaviour (the call returns, a worker is not held for 80 s per attempt), not
performance figures; the count of accepted connections shows the retry policy of each caller.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import stripe
from sqlalchemy import update

from storefront.extensions import db
from storefront.orders.rules import PaymentMethod
from storefront.payments.models import Payment
from storefront.payments.provider import ProviderUnreachable, provider_for
from tests.builders import make_product
from tests.helpers import _make_app

from .fake_stripe import API_KEY, WEBHOOK_SECRET
from .helpers import CARD, only_order

TIMEOUT = 1.0
RETRIES = 1
# The library's own read timeout is 80 s per attempt. A call bounded by ours ends in about
# TIMEOUT x attempts (+ 0.5 s backoff); the bound below only says "ours, not the library's", with room
# for a loaded CI machine (a fixed few seconds of slack failed there): timings are not asserted.
LIBRARY_TIMEOUT = 80.0


def bounded(started: float) -> bool:
    return time.monotonic() - started < LIBRARY_TIMEOUT / 4


class SilentServer:
    """Accepts every connection and never reads or answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted.append(conn)  # held open, never answered

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def app(db_url, tmp_path, silent):
    """The shop with card payments on, its Stripe the silent server (the library's real HTTP client)."""
    yield from _make_app(
        db_url,
        tmp_path,
        {
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": silent.url,
            "STRIPE_TIMEOUT_SECONDS": TIMEOUT,
            "STRIPE_MAX_NETWORK_RETRIES": RETRIES,
        },
    )


def _signed(session_id: str) -> tuple[bytes, str]:
    payload = json.dumps(
        {
            "id": "evt_silent",
            "object": "event",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "data": {"object": {"id": session_id, "object": "checkout.session"}},
        }
    )
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)


def test_reading_a_page_gives_up_after_one_timeout_without_retrying(app, silent):
    with app.test_request_context():
        provider = provider_for(PaymentMethod.CARD)
        started = time.monotonic()
        with pytest.raises(ProviderUnreachable):
            provider.get_checkout("cs_test_silent")
        assert bounded(started)
    assert len(silent.accepted) == 1


def test_opening_a_page_retries_with_its_key_then_the_shopper_is_told(app, shop, silent):
    with app.app_context():
        variant = make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id
    assert shop.add(variant).status_code == 303
    started = time.monotonic()
    response = shop.checkout(CARD)
    assert bounded(started)
    assert response.status_code == 503
    assert "did not answer" in response.get_data(as_text=True)
    assert len(silent.accepted) == RETRIES + 1  # the library's retry, with the same idempotency key


def _opened_page(app, shop) -> None:
    """A card order whose payment page (as if it had opened) is cs_test_silent."""
    with app.app_context():
        variant = make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id
    assert shop.add(variant).status_code == 303
    assert shop.checkout(CARD).status_code == 503
    with app.app_context():
        db.session.execute(update(Payment).values(session_ref="cs_test_silent"))
        db.session.commit()


def test_the_webhook_answers_within_one_timeout(app, shop, silent):
    _opened_page(app, shop)  # a page the shop knows: the webhook asks Stripe about it
    before = len(silent.accepted)
    payload, signature = _signed("cs_test_silent")
    started = time.monotonic()
    response = shop.client.post(
        "/stripe/webhook", data=payload, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )
    assert bounded(started)
    assert response.status_code == 503  # Stripe redelivers it later
    assert len(silent.accepted) - before == 1


def test_the_shoppers_return_page_answers_within_one_timeout(app, shop, silent):
    with app.app_context():
        variant = make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id
    assert shop.add(variant).status_code == 303
    assert shop.checkout(CARD).status_code == 503
    with app.app_context():
        order = only_order()
        token = order.token
        # As if the page had opened: the return asks Stripe about it.
        db.session.execute(update(Payment).values(session_ref="cs_test_silent"))
        db.session.commit()
    before = len(silent.accepted)
    started = time.monotonic()
    response = shop.client.get(f"/o/{token}/paid?session_id=cs_test_silent")
    assert bounded(started)
    assert response.status_code == 303 and response.headers["Location"] == f"/o/{token}"
    assert len(silent.accepted) - before == 1


def test_a_refunded_charge_whose_refunds_must_be_fetched_answers_within_one_timeout(app, shop, silent):
    """charge.refunded without its refunds (newer API versions): one bounded try, then 503 (Stripe redelivers)."""
    charge = {"id": "ch_silent", "object": "charge", "payment_intent": "pi_silent", "amount_refunded": 100}
    payload = json.dumps(
        {
            "id": "evt_silent_charge",
            "object": "event",
            "type": "charge.refunded",
            "created": int(time.time()),
            "data": {"object": charge},
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    started = time.monotonic()
    response = shop.client.post(
        "/stripe/webhook", data=payload, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )
    assert bounded(started)
    assert response.status_code == 503
    assert len(silent.accepted) == 1  # no retry: the webhook must answer quickly
