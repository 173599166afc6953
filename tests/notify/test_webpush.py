"""Web Push through a real local push service: VAPID signature, encryption, outcomes, keys, the command.

Every push goes over HTTP to tests/notify/push_server.py, which verifies the JWT against the
shop's public key (audience, expiry, signature), decrypts the body with the subscription's
private key and records the headers, as a browser vendor's push service would.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPusher

from storefront.notify import webpush
from storefront.notify.cli import notify_cli
from storefront.notify.webpush import PushOutcome, PushTarget, VapidKeyError

from .push_server import PushService, b64url

PAYLOAD = {
    "title": "Pedido K7F3Q enviado",
    "body": "Tu pedido está en camino.",
    "url": "https://shop.example/o/tok123",
    "tag": "order-K7F3Q",
    "lang": "es",
}


@pytest.fixture
def push_config(tmp_path) -> dict:
    """Settings as the shop has them in tests: a key file in the test's folder, a short timeout."""
    return {
        "PUSH_ALLOW_HTTP_ENDPOINTS": True,  # the local push service is http://127.0.0.1
        "VAPID_PRIVATE_KEY": "",
        "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "keys" / "vapid-private.pem"),
        "VAPID_SUBJECT": "mailto:owner@shop.example",
        "PUSH_TIMEOUT_SECONDS": 5,
    }


@pytest.fixture
def service(push_service: PushService, push_config: dict) -> PushService:
    """The push service, told the shop's public key (as the browser is when it subscribes)."""
    push_service.expected_key = webpush.public_key(push_config)
    return push_service


def target(subscription: dict) -> PushTarget:
    """A subscription row's view of the browser's JSON."""
    return PushTarget(subscription["endpoint"], subscription["keys"]["p256dh"], subscription["keys"]["auth"])


def pem_key() -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A new P-256 key as PEM text, and the key."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key


def public_of(key: ec.EllipticCurvePrivateKey) -> str:
    """The base64url uncompressed public point of a private key."""
    return b64url(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def test_a_push_is_signed_for_the_endpoint_and_decrypts_to_the_payload(service, push_config):
    subscription = service.new_subscription()

    result = webpush.send(push_config, target(subscription), PAYLOAD, ttl=3600, urgency="high", topic="order-K7F3Q")

    assert result.outcome is PushOutcome.SENT and result.status == 201
    assert service.rejected == []
    [message] = service.messages_for(subscription)
    assert message.payload == PAYLOAD
    assert (message.ttl, message.urgency, message.topic) == (3600, "high", "order-K7F3Q")
    assert message.key == webpush.public_key(push_config)
    assert message.claims["aud"] == service.origin
    assert message.claims["sub"] == "mailto:owner@shop.example"
    # 12 hours from the shop's clock (the test's pinned instant), within RFC 8292's 24 h
    assert abs(message.claims["exp"] - (time.time() + 12 * 3600)) < 60


def test_defaults_are_normal_urgency_and_no_topic_and_bad_topics_are_made_valid(service, push_config):
    subscription = service.new_subscription()

    webpush.send(push_config, target(subscription), PAYLOAD, ttl=0)
    webpush.send(push_config, target(subscription), PAYLOAD, ttl=60, topic="order K7F3Q: shipped!")

    first, second = service.messages_for(subscription)
    assert (first.ttl, first.urgency, first.topic) == (0, "normal", None)
    assert second.topic and len(second.topic) <= 32  # a stable digest, accepted by the service
    assert service.rejected == []


@pytest.mark.parametrize(
    ("behaviour", "status", "outcome"),
    [
        ("gone", 410, PushOutcome.GONE),
        ("not_found", 404, PushOutcome.GONE),
        ("error", 500, PushOutcome.RETRY),
        ("unavailable", 503, PushOutcome.RETRY),
        ("rate_limited", 429, PushOutcome.RETRY),
        ("too_big", 413, PushOutcome.REJECTED),
    ],
)
def test_the_push_services_answer_decides_the_outcome(service, push_config, behaviour, status, outcome):
    subscription = service.new_subscription(behaviour)

    result = webpush.send(push_config, target(subscription), PAYLOAD, ttl=60)

    assert (result.outcome, result.status) == (outcome, status)
    assert str(status) in result.detail and len(result.detail) <= 300
    assert service.attempts == [(service.id_of(subscription), status)]  # the request itself passed every check
    assert service.rejected == [] and service.received == []


def test_an_unreachable_push_service_is_retried_later(push_config):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    browser_key = public_of(ec.generate_private_key(ec.SECP256R1()))
    nowhere = PushTarget(f"http://127.0.0.1:{port}/push/x", browser_key, b64url(os.urandom(16)))

    result = webpush.send(push_config, nowhere, PAYLOAD, ttl=60)

    assert (result.outcome, result.status) == (PushOutcome.RETRY, None)
    assert "ConnectionError" in result.detail


def test_a_slow_push_service_is_given_up_on_after_the_timeout(service, push_config):
    subscription = service.new_subscription("slow", delay=30)
    started = time.monotonic()

    result = webpush.send({**push_config, "PUSH_TIMEOUT_SECONDS": 0.3}, target(subscription), PAYLOAD, ttl=60)

    assert (result.outcome, result.status) == (PushOutcome.RETRY, None)
    assert "0.3 s" in result.detail
    assert time.monotonic() - started < 10  # not the service's 30 s (generous: a loaded machine)


def test_a_long_body_is_shortened_to_fit_3000_bytes(service, push_config):
    subscription = service.new_subscription()
    body = "আপনার অর্ডার পাঠানো হয়েছে। 订单已发货。" * 200  # multi-byte text, far over the limit

    result = webpush.send(push_config, target(subscription), {**PAYLOAD, "body": body}, ttl=60)

    assert result.outcome is PushOutcome.SENT
    [message] = service.messages_for(subscription)
    sent = message.payload
    assert len(json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode()) <= 3000
    assert sent["body"].endswith("\u2026") and body.startswith(sent["body"][:-1])
    assert len(sent["body"]) > 500  # shortened to fit, not emptied
    assert {k: sent[k] for k in ("title", "url", "tag", "lang")} == {
        k: PAYLOAD[k] for k in ("title", "url", "tag", "lang")
    }


def test_a_payload_too_big_even_without_its_body_is_never_sent(service, push_config):
    subscription = service.new_subscription()

    result = webpush.send(push_config, target(subscription), {**PAYLOAD, "url": "https://x/" + "a" * 4000}, ttl=60)

    assert (result.outcome, result.status) == (PushOutcome.REJECTED, None)
    assert service.attempts == [] and service.rejected == []


def test_only_https_endpoints_outside_tests_and_broken_keys_are_rejected_without_a_request(service, push_config):
    subscription = service.new_subscription()
    production = {**push_config, "PUSH_ALLOW_HTTP_ENDPOINTS": False}

    plain_http = webpush.send(production, target(subscription), PAYLOAD, ttl=60)
    broken = webpush.send(push_config, PushTarget(subscription["endpoint"], "not-a-key", "??"), PAYLOAD, ttl=60)

    assert plain_http.outcome is PushOutcome.REJECTED and "https" in plain_http.detail
    assert broken.outcome is PushOutcome.REJECTED and broken.status is None
    assert service.attempts == [] and service.rejected == []


def test_the_service_refuses_a_push_signed_with_another_key(service, push_config, tmp_path):
    subscription = service.new_subscription()
    other = {**push_config, "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "other.pem")}

    result = webpush.send(other, target(subscription), PAYLOAD, ttl=60)

    assert (result.outcome, result.status) == (PushOutcome.REJECTED, 401)
    [rejection] = service.rejected
    assert "application server key" in rejection.reason
    assert service.received == []


def _raw_push(subscription: dict, claims: dict, *, key: ec.EllipticCurvePrivateKey, k: str | None = None, **send):
    """Post a push signed with `key` for `claims` (k= replaced when given), bypassing the shop's code."""
    headers = Vapid(private_key=key).sign(claims)
    if k:
        token = headers["Authorization"].split("t=")[1].split(",")[0]
        headers["Authorization"] = f"vapid t={token}, k={k}"
    return WebPusher(subscription).send(json.dumps(PAYLOAD), headers, ttl=60, timeout=5, **send)


def test_the_services_checks_catch_bad_signatures_audiences_expiries_and_encodings(push_service):
    subscription = push_service.new_subscription()
    signer, impostor = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    good = {"aud": push_service.origin, "exp": now + 3600, "sub": "mailto:owner@shop.example"}

    answers = [
        _raw_push(subscription, good, key=signer, k=public_of(impostor)).status_code,  # signature vs k
        _raw_push(subscription, {**good, "aud": "http://elsewhere.example"}, key=signer).status_code,
        _raw_push(subscription, {**good, "exp": now + 25 * 3600}, key=signer).status_code,
        _raw_push(subscription, {**good, "exp": now - 10}, key=signer).status_code,
        _raw_push(subscription, good, key=signer, content_encoding="aesgcm").status_code,
        _raw_push(subscription, good, key=signer).status_code,  # and a good one passes
    ]

    assert answers == [401, 401, 401, 401, 400, 201]
    reasons = [r.reason for r in push_service.rejected]
    assert "signature does not verify" in reasons[0]
    assert "aud" in reasons[1] and "exp" in reasons[2] and "exp" in reasons[3]
    assert "Content-Encoding" in reasons[4]
    assert [m.payload for m in push_service.received] == [PAYLOAD]


def test_the_key_file_is_made_once_private_and_kept(push_config, monkeypatch):
    path = webpush.key_file(push_config)
    assert not path.exists()

    webpush.ensure_keys(push_config)
    first_pem, first_key = path.read_bytes(), webpush.public_key(push_config)
    monkeypatch.setattr(webpush, "_KEYS", {})  # another process: loads from the file
    webpush.ensure_keys(push_config)

    assert path.read_bytes() == first_pem and webpush.public_key(push_config) == first_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(webpush.public_key(push_config)) == 87  # a 65-byte point, base64url
    assert sorted(p.name for p in path.parent.iterdir()) == ["vapid-private.pem"]


def test_workers_starting_together_end_with_one_key(push_config, monkeypatch):
    monkeypatch.setattr(webpush, "_KEYS", {})
    path, workers = webpush.key_file(push_config), 8
    barrier, seen, errors = threading.Barrier(workers), [], []

    def start_worker() -> None:
        try:
            barrier.wait()
            webpush._create_key_file(path)  # the race itself, as each gunicorn worker would run it
            webpush.ensure_keys(push_config)
            seen.append(public_of(webpush._load_key_file(path)))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert set(seen) == {webpush.public_key(push_config)}
    assert sorted(p.name for p in path.parent.iterdir()) == ["vapid-private.pem"]  # no temporary files left


def test_a_key_in_the_environment_wins_over_the_file(push_service, push_config):
    pem, key = pem_key()
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))

    for given in (pem, pem.replace("\n", "\\n"), raw):  # PEM, PEM on one env line, raw base64url
        config = {**push_config, "VAPID_PRIVATE_KEY": given}
        webpush.ensure_keys(config)
        assert webpush.public_key(config) == public_of(key)
        assert webpush.key_file(config) is None
    assert not os.path.exists(push_config["VAPID_PRIVATE_KEY_FILE"])

    config = {**push_config, "VAPID_PRIVATE_KEY": raw}
    push_service.expected_key = public_of(key)
    subscription = push_service.new_subscription()
    assert webpush.send(config, target(subscription), PAYLOAD, ttl=60).outcome is PushOutcome.SENT
    assert push_service.rejected == []


def test_an_unreadable_key_says_which_setting_and_never_shows_it(push_config):
    config = {**push_config, "VAPID_PRIVATE_KEY": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"}

    with pytest.raises(VapidKeyError) as caught:
        webpush.public_key(config)

    assert "VAPID_PRIVATE_KEY" in str(caught.value)
    assert "c2VjcmV0" not in str(caught.value)


def test_the_subject_defaults_to_the_shops_email_then_its_https_address():
    assert webpush.subject({"VAPID_SUBJECT": "https://shop.example"}) == "https://shop.example"
    assert webpush.subject({"SHOP_EMAIL": "hi@shop.example"}) == "mailto:hi@shop.example"
    assert webpush.subject({"SHOP_URL": "https://shop.example/start"}) == "https://shop.example"
    assert webpush.subject({"SHOP_URL": "http://localhost:5000"}) == "mailto:owner@localhost"


def test_the_command_makes_the_key_and_prints_only_its_public_half(sqlite_app, push_config):
    sqlite_app.config.update(push_config)
    sqlite_app.cli.add_command(notify_cli)
    runner = sqlite_app.test_cli_runner()

    first = runner.invoke(args=["notify", "vapid-keys"])
    second = runner.invoke(args=["notify", "vapid-keys"])

    key = webpush.public_key(sqlite_app.config)
    assert first.exit_code == 0, first.output
    assert key in first.output and key in second.output
    assert "vapid-private.pem" in first.output
    pem = Path(push_config["VAPID_PRIVATE_KEY_FILE"]).read_text()
    assert pem.splitlines()[1] not in first.output and "PRIVATE KEY-----" not in first.output

    sqlite_app.config["VAPID_PRIVATE_KEY"] = pem_key()[0]
    from_env = runner.invoke(args=["notify", "vapid-keys"])
    assert "VAPID_PRIVATE_KEY setting" in from_env.output
    assert webpush.public_key(sqlite_app.config) in from_env.output


def test_a_subject_push_services_would_refuse_fails_loudly_and_sends_nothing(service, push_config):
    subscription = service.new_subscription()

    with pytest.raises(VapidKeyError, match="VAPID_SUBJECT"):
        webpush.send({**push_config, "VAPID_SUBJECT": "the owner"}, target(subscription), PAYLOAD, ttl=60)
    with pytest.raises(ValueError, match="urgency"):
        webpush.send(push_config, target(subscription), PAYLOAD, ttl=60, urgency="urgent")

    assert service.attempts == [] and service.rejected == []
