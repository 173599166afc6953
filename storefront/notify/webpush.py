"""Web Push (RFC 8030/8291/8292): the shop's VAPID key, and one encrypted message to one browser.

The shop signs every push with its VAPID key (an ECDSA P-256 key pair). Browsers tie each
subscription to the public half (the page hands it to `pushManager.subscribe`), so the key is
made once and kept: a new key silently ends every subscription. It comes from the setting
VAPID_PRIVATE_KEY (PEM, or the raw 32-byte key in base64url) or else a PEM file at
VAPID_PRIVATE_KEY_FILE (default `instance/vapid-private.pem`), created on first use.

`send` never raises for what the network or the push service does: it answers a PushResult
whose outcome tells the caller what to do with the subscription (keep, delete, retry, give up).
A broken key or subject is the owner's configuration and does raise (VapidKeyError), so the
job fails loudly instead of dropping every message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, has_app_context
from http_ece import ECEException
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException

from ..brand.web import current_brand
from ..clock import utcnow
from ..config import ROOT

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 3000  # the JSON text; push services accept 4096 encrypted bytes (RFC 8291 s. 4)
URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030 s. 5.3
JWT_LIFETIME = timedelta(hours=12)  # RFC 8292 allows at most 24 h; half leaves room for skewed clocks
DEFAULT_TIMEOUT_SECONDS = 10.0
DETAIL_CHARS = 300
# An endpoint requests cannot even try: retrying would never help.
UNUSABLE_ENDPOINT = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
)
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 s. 5.4: at most 32 base64url characters
ELLIPSIS = "\u2026"
# The browsers' push services (Chrome/Edge's FCM, Firefox's autopush, Windows' WNS, Safari's APNs):
# an endpoint's host must be one of these or under one of them (see endpoint_problem).
PUSH_SERVICE_HOSTS_DEFAULT = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "notify.windows.com",
    "push.apple.com",
)
NOT_A_PUSH_SERVICE = "the endpoint is not an https address of a browser's push service"


class VapidKeyError(RuntimeError):
    """The VAPID key or subject cannot be used (the message says which setting to fix, never the key)."""


@dataclass(frozen=True)
class PushTarget:
    """What a subscription row holds: where to send, and the browser's keys to encrypt for."""

    endpoint: str
    p256dh: str  # base64url, as the browser's PushSubscription.toJSON().keys.p256dh
    auth: str  # base64url


class PushOutcome(StrEnum):
    """What the caller does next with the subscription."""

    SENT = "sent"  # 2xx
    GONE = "gone"  # 404 or 410: the subscription is dead, delete it
    RETRY = "retry"  # 429, 5xx, timeout, connection error: try again later (the job queue retries)
    REJECTED = "rejected"  # other 4xx (413 too big, 400 bad): never retry


@dataclass(frozen=True)
class PushResult:
    """One push attempt: its outcome, the HTTP status (None without an answer), a short detail for the log."""

    outcome: PushOutcome
    status: int | None
    detail: str


# Loaded keys, per process, by (VAPID_PRIVATE_KEY, key file): parsing PEM on every push is waste.
_KEYS: dict[tuple[str, str], Vapid] = {}
_KEYS_LOCK = threading.Lock()
_SESSIONS = threading.local()  # one requests.Session per thread (keeps connections to the push service)


def public_key(config) -> str:
    """The VAPID application server key for the page: the 65-byte uncompressed point, base64url."""
    point = _vapid(config).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


def ensure_keys(config) -> None:
    """Create the key file once if it is missing (race-safe, mode 0600); no-op when present or set in the env."""
    _vapid(config)


def key_file(config) -> Path | None:
    """Where the private key file is (or will be); None when VAPID_PRIVATE_KEY gives the key itself."""
    if (config.get("VAPID_PRIVATE_KEY") or "").strip():
        return None
    configured = config.get("VAPID_PRIVATE_KEY_FILE") or ""
    if configured:
        return Path(configured)
    instance = current_app.instance_path if has_app_context() else str(ROOT / "instance")
    return Path(instance) / "vapid-private.pem"


def send(
    config, target: PushTarget, payload: dict, *, ttl: int, urgency: str = "normal", topic: str | None = None
) -> PushResult:
    """Encrypt `payload` (compact JSON) for `target` and post it, VAPID-signed; never raises for the network.

    `ttl` is how long (seconds) the push service keeps the message for an offline device;
    `topic` lets a newer message replace an undelivered older one with the same topic.
    """
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, not {urgency!r}")
    problem = endpoint_problem(config, target.endpoint)
    if problem:
        return PushResult(PushOutcome.REJECTED, None, problem)
    data = encode_payload(payload)
    if data is None:
        return PushResult(PushOutcome.REJECTED, None, f"payload over {MAX_PAYLOAD_BYTES} bytes even without its body")
    headers = _vapid_headers(config, target.endpoint)
    headers["Urgency"] = urgency
    if topic:
        headers["Topic"] = _topic(topic)
    timeout = _timeout(config)
    subscription = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
    try:
        response = WebPusher(subscription, requests_session=_session()).send(
            data, headers, ttl=max(0, int(ttl)), content_encoding="aes128gcm", timeout=timeout
        )
    except requests.TooManyRedirects as exc:
        status = exc.response.status_code if exc.response is not None else None
        return PushResult(PushOutcome.REJECTED, status, "the push service answered with a redirect")
    except requests.Timeout:
        return PushResult(PushOutcome.RETRY, None, f"no answer within {timeout:g} s")
    except UNUSABLE_ENDPOINT as exc:
        return PushResult(PushOutcome.REJECTED, None, _short(f"unusable endpoint: {type(exc).__name__}"))
    except requests.RequestException as exc:
        return PushResult(PushOutcome.RETRY, None, _short(f"could not reach the push service: {type(exc).__name__}"))
    except (WebPushException, ECEException, ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        return PushResult(PushOutcome.REJECTED, None, _short(f"unusable subscription keys: {type(exc).__name__}"))
    return _result(response)


def encode_payload(payload: dict) -> bytes | None:
    """The payload as compact UTF-8 JSON of at most MAX_PAYLOAD_BYTES, its body shortened if needed.

    None when even an empty body does not fit (a huge title or link: a bug upstream).
    """
    data = _dumps(payload)
    if len(data) <= MAX_PAYLOAD_BYTES:
        return data
    body = str(payload.get("body") or "")
    fits, too_long = 0, len(body)  # binary search: the longest prefix of the body that fits
    while fits < too_long:
        middle = (fits + too_long + 1) // 2
        if len(_dumps({**payload, "body": _shortened(body, middle)})) <= MAX_PAYLOAD_BYTES:
            fits = middle
        else:
            too_long = middle - 1
    data = _dumps({**payload, "body": _shortened(body, fits)})
    return data if len(data) <= MAX_PAYLOAD_BYTES else None


def _dumps(payload: dict) -> bytes:
    """Compact JSON, non-ASCII kept as UTF-8 (a Bengali or Chinese body is a third of its \\u escapes)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _shortened(body: str, chars: int) -> str:
    """The first `chars` characters of `body` and an ellipsis (the body itself when it is that short)."""
    if chars >= len(body):
        return body
    return body[: max(0, chars - 1)].rstrip() + ELLIPSIS


def _result(response: requests.Response) -> PushResult:
    """Map the push service's answer to an outcome (RFC 8030 s. 5, 6.2, 8.3)."""
    status = response.status_code
    if 200 <= status < 300:
        outcome = PushOutcome.SENT
    elif status in (404, 410):
        outcome = PushOutcome.GONE
    elif status == 429 or status >= 500:
        outcome = PushOutcome.RETRY
    else:
        outcome = PushOutcome.REJECTED
    # Status and reason phrase only: the answer's body is never kept (an endpoint is a URL anyone
    # subscribing chose, and the send log must not become a way to read what it answers).
    reason = " ".join(str(response.reason or "").split())[:60]
    return PushResult(outcome, status, _short(f"{status} {reason}".strip()))


def _short(text: str) -> str:
    """A detail fit for the send log."""
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + ELLIPSIS


def endpoint_problem(config, endpoint: str) -> str | None:
    """Why the shop will not post to this endpoint, or None (checked when a browser subscribes and before each push).

    Only the browsers' push services are reached: https on port 443 to a host under one of
    PUSH_SERVICE_HOSTS_DEFAULT or the setting PUSH_SERVICE_HOSTS (comma-separated host suffixes),
    never an address of the shop's own network (a forged subscription must not make the worker
    post to 127.0.0.1, 10.x or a cloud metadata service). PUSH_ALLOW_HTTP_ENDPOINTS (tests and
    benchmarks, with their local push service) also allows plain http to 127.0.0.1, nothing else.
    """
    text = endpoint or ""
    if any(c.isspace() or c == "\\" or ord(c) < 32 for c in text):
        return NOT_A_PUSH_SERVICE
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        return NOT_A_PUSH_SERVICE
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        return NOT_A_PUSH_SERVICE
    if parts.scheme == "http" and config.get("PUSH_ALLOW_HTTP_ENDPOINTS") and host == "127.0.0.1":
        return None
    if parts.scheme != "https" or port not in (None, 443):
        return NOT_A_PUSH_SERVICE
    if not any(host == suffix or host.endswith("." + suffix) for suffix in push_service_hosts(config)):
        return NOT_A_PUSH_SERVICE
    return None


def push_service_hosts(config) -> tuple[str, ...]:
    """The host suffixes pushes may go to: the browsers' services and any in PUSH_SERVICE_HOSTS."""
    extra = config.get("PUSH_SERVICE_HOSTS", "") or ""
    given = extra.split(",") if isinstance(extra, str) else list(extra)
    added = (str(host).strip().lower().removeprefix("*.").strip(".") for host in given)
    return PUSH_SERVICE_HOSTS_DEFAULT + tuple(host for host in added if host)


def _topic(topic: str) -> str:
    """A valid Topic header: the topic itself when it fits RFC 8030's rule, else a stable digest of it."""
    if TOPIC.match(topic):
        return topic
    return _b64url(hashlib.sha256(topic.encode("utf-8")).digest())[:32]


def _timeout(config) -> float:
    """PUSH_TIMEOUT_SECONDS when it is a sane number (0 < s <= 60), else the default."""
    try:
        value = float(config.get("PUSH_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT_SECONDS
    return value if 0 < value <= 60 else DEFAULT_TIMEOUT_SECONDS


def _session() -> requests.Session:
    """This thread's HTTP session; redirects are refused (a push service never redirects a push)."""
    session = getattr(_SESSIONS, "session", None)
    if session is None:
        session = requests.Session()
        session.max_redirects = 0
        _SESSIONS.session = session
    return session


def _vapid_headers(config, endpoint: str) -> dict[str, str]:
    """The Authorization header (`vapid t=<JWT>,k=<public key>`, RFC 8292) for this endpoint's origin."""
    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    expires = utcnow().replace(tzinfo=UTC) + JWT_LIFETIME
    claims = {"aud": origin, "exp": int(expires.timestamp()), "sub": subject(config)}
    try:
        return _vapid(config).sign(claims)
    except VapidException as exc:
        raise VapidKeyError(f"Cannot sign the push message: {exc} (check VAPID_SUBJECT)") from exc


def subject(config) -> str:
    """The JWT `sub`: VAPID_SUBJECT, else mailto: SHOP_EMAIL, else the shop's https URL, else a placeholder.

    Push services use it to reach the shop's owner about its pushes; Apple's refuses a placeholder.
    """
    if config.get("VAPID_SUBJECT"):
        return str(config["VAPID_SUBJECT"])
    if config.get("SHOP_EMAIL"):
        return f"mailto:{config['SHOP_EMAIL']}"
    brand_email = current_brand().email if has_app_context() else ""
    if brand_email:
        return f"mailto:{brand_email}"
    url = urlsplit(str(config.get("SHOP_URL") or ""))
    if url.scheme == "https" and url.hostname:
        return f"https://{url.hostname}"
    return "mailto:owner@localhost"


def _vapid(config) -> Vapid:
    """The shop's VAPID key, loaded once per process (and created on first use when it lives in a file)."""
    given = (config.get("VAPID_PRIVATE_KEY") or "").strip()
    path = key_file(config)
    cache_key = (given, str(path or ""))
    vapid = _KEYS.get(cache_key)
    if vapid is None:
        # Loaded outside the lock: two threads may both read (or race to create) the file, and
        # the file system, not this lock, decides which key wins (see _create_key_file).
        key = _parse_key(given, "VAPID_PRIVATE_KEY") if path is None else _load_key_file(path)
        with _KEYS_LOCK:
            vapid = _KEYS.setdefault(cache_key, Vapid(private_key=key))
    return vapid


def _load_key_file(path: Path) -> ec.EllipticCurvePrivateKey:
    """Read the key file, creating it first when it does not exist."""
    if not path.exists():
        _create_key_file(path)
    mode = path.stat().st_mode & 0o077
    if mode:
        log.warning("The VAPID key file %s can be read by other users (mode %o): chmod 600 it", path, mode)
    return _parse_key(path.read_text(encoding="utf-8"), f"the key file {path}")


def _create_key_file(path: Path) -> None:
    """Write a new key to `path` unless one is already there; of racing processes exactly one wins.

    The key is written whole to a private temporary file (mkstemp: mode 0600) in the same folder
    and then hard-linked to its name, which fails if the name exists: nobody ever reads half a
    key, and two gunicorn workers starting at once end up sharing the first one's key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor, temporary = tempfile.mkstemp(prefix=".vapid-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # another process made it first: its key is the shop's key
        log.info("Created the VAPID (Web Push) key file %s", path)
    finally:
        os.unlink(temporary)


def _parse_key(text: str, source: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM text or a base64url raw 32-byte key (or DER); the error names `source` only."""
    text = text.strip().replace("\\n", "\n")  # a PEM pasted into an env file on one line
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise VapidKeyError(f"The VAPID private key in {source} cannot be read ({type(exc).__name__}).") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError(f"The VAPID private key in {source} is not an EC P-256 key.")
    return key


def _b64url(data: bytes) -> str:
    """Unpadded base64url, as browsers and RFC 8292 write keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
