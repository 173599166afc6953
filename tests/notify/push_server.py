"""A real Web Push service on loopback for the tests: it checks what a browser vendor's service checks.

`PushService` is an HTTP server (ThreadingHTTPServer on 127.0.0.1, a free port, in a thread).
`new_subscription()` gives the JSON a browser's `PushSubscription.toJSON()` would, with a fresh
P-256 key pair and auth secret whose private halves stay here. Each POST to a subscription's
endpoint must carry
  - `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292): an ES256 JWT whose signature
    verifies against k, `aud` the endpoint's origin, `exp` in the future and at most 24 h ahead
    (measured with `time.time()`, so it follows the tests' pinned clock), a mailto:/https: `sub`,
    and k the shop's key when the service (or subscription) was told which key to expect;
  - `Content-Encoding: aes128gcm`, a `TTL`, a valid `Urgency` and `Topic` if given (RFC 8030);
  - a body of one aes128gcm record (RFC 8291) of at most 4096 bytes that decrypts with the
    subscription's private key and auth secret.
A request failing any of it is answered 400/401/413 and recorded in `rejected` (tests assert it
stays empty). A verified request gets the subscription's behaviour: "ok" (201), "slow" (waits
`delay` seconds, then 201), "gone" (410), "not_found" (404), "error" (500), "unavailable" (503),
"rate_limited" (429), "too_big" (413), "hold" (waits until `release()`, then 201). Every verified
request is in `attempts`; the decrypted messages of the 201s are in `received`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

STATUS = {
    "ok": 201,
    "slow": 201,
    "gone": 410,
    "not_found": 404,
    "error": 500,
    "unavailable": 503,
    "rate_limited": 429,
    "too_big": 413,
    "hold": 201,
}
MAX_BODY = 4096  # RFC 8291 s. 4: push services must accept at least this, may refuse more
MAX_JWT_LIFETIME = 24 * 3600  # RFC 8292 s. 2
URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SUBJECT = re.compile(r"^(mailto:[^@\s]+@\S+|https://\S+)$")


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    """One browser's subscription as the push service keeps it (with the browser's private key)."""

    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    behaviour: str = "ok"
    delay: float = 5.0  # seconds, for "slow"
    expected_key: str | None = None  # the applicationServerKey the browser subscribed with

    @property
    def p256dh(self) -> str:
        """The public key, as the browser reports it."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass(frozen=True)
class PushMessage:
    """A push the service accepted: whose, its headers, the VAPID claims and the decrypted payload."""

    subscription_id: str
    ttl: int
    urgency: str | None
    topic: str | None
    payload: dict | str  # the decrypted JSON (text when it is not JSON)
    claims: dict
    key: str  # the VAPID public key (k) it was signed with


@dataclass(frozen=True)
class Rejection:
    """A request that failed the service's checks: the shop sent something a real service would refuse."""

    subscription_id: str
    status: int
    reason: str


class Refused(Exception):
    """A check failed: answer `status` and record `reason`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class PushService:
    """The local push service; `start()` it (or use it as a context manager), `stop()` it after."""

    expected_key: str | None = None  # the shop's public key: every request's k must equal it
    received: list[PushMessage] = field(default_factory=list)
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (subscription id, status) of verified requests
    rejected: list[Rejection] = field(default_factory=list)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._released = threading.Event()
        self.holding = 0  # requests of "hold" subscriptions waiting for release() now
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PushService:
        """Listen on a free loopback port, serving in a background thread."""
        service = self

        class Handler(PushHandler):
            push_service = service

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="push-service", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (a "slow" request still waiting is let go at once)."""
        self._stopping.set()
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    def release(self) -> None:
        """Let every "hold" request (waiting or still to come) have its 201."""
        self._released.set()

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """scheme://host:port of every endpoint (what the JWT's aud must be)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def new_subscription(self, behaviour: str = "ok", *, delay: float = 5.0, expected_key: str | None = None) -> dict:
        """A fresh subscription as the browser gives it: {"endpoint": ..., "keys": {"p256dh", "auth"}}."""
        if behaviour not in STATUS:
            raise ValueError(f"unknown behaviour {behaviour!r}: one of {', '.join(STATUS)}")
        subscription = Subscription(
            id=uuid.uuid4().hex,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
            behaviour=behaviour,
            delay=delay,
            expected_key=expected_key,
        )
        with self._lock:
            self.subscriptions[subscription.id] = subscription
        return {
            "endpoint": f"{self.origin}/push/{subscription.id}",
            "keys": {"p256dh": subscription.p256dh, "auth": b64url(subscription.auth)},
        }

    def set_behaviour(self, subscription: dict | str, behaviour: str) -> None:
        """Change how the service answers a subscription from now on (e.g. "error" then "ok")."""
        if behaviour not in STATUS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.subscriptions[self.id_of(subscription)].behaviour = behaviour

    def id_of(self, subscription: dict | str) -> str:
        """The id of a subscription given as its JSON, its endpoint or its id."""
        if isinstance(subscription, dict):
            subscription = subscription["endpoint"]
        return subscription.rstrip("/").rsplit("/", 1)[-1]

    def messages_for(self, subscription: dict | str) -> list[PushMessage]:
        """The accepted messages of one subscription, in arrival order."""
        wanted = self.id_of(subscription)
        with self._lock:
            return [m for m in self.received if m.subscription_id == wanted]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[PushMessage]:
        """Block until at least `count` messages were accepted (or `timeout` seconds passed); return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            return list(self.received)

    # -- the service's side of one request -------------------------------------------------

    def handle_push(self, subscription_id: str, headers, body: bytes) -> int:
        """Check one push request, record it, and return the status to answer."""
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            self._attempt(subscription_id, 404)
            return 404
        try:
            claims, key = self._verify_vapid(subscription, headers.get("Authorization", ""))
            ttl, urgency, topic = self._verify_headers(headers)
            payload = self._decrypt(subscription, body)
        except Refused as refused:
            with self._lock:
                self.rejected.append(Rejection(subscription_id, refused.status, refused.reason))
            return refused.status
        status = STATUS[subscription.behaviour]
        if subscription.behaviour == "slow":
            self._stopping.wait(subscription.delay)
        if subscription.behaviour == "hold":
            with self._lock:
                self.holding += 1
                self._lock.notify_all()
            self._released.wait()
            with self._lock:
                self.holding -= 1
        if status == 201:
            message = PushMessage(subscription_id, ttl, urgency, topic, payload, claims, key)
            with self._lock:
                self.received.append(message)
                self._lock.notify_all()
        self._attempt(subscription_id, status)
        return status

    def _attempt(self, subscription_id: str, status: int) -> None:
        with self._lock:
            self.attempts.append((subscription_id, status))

    def _verify_vapid(self, subscription: Subscription, authorization: str) -> tuple[dict, str]:
        """RFC 8292: the JWT's signature (against k), audience, expiry and subject; k the expected key."""
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, f"Authorization scheme is {scheme!r}, not vapid")
        params = dict(re.findall(r"([tk])\s*=\s*([^,\s]+)", rest))
        token, key = params.get("t"), params.get("k")
        if not token or not key:
            raise Refused(401, "Authorization lacks t= or k=")
        expected = subscription.expected_key or self.expected_key
        if expected and key != expected:
            raise Refused(401, "k is not the application server key the subscription was made with")
        claims = _verified_claims(token, key)
        if claims.get("aud") != self.origin:
            raise Refused(401, f"aud {claims.get('aud')!r} is not {self.origin!r}")
        expires, now = claims.get("exp"), time.time()
        if not isinstance(expires, int) or not now < expires <= now + MAX_JWT_LIFETIME:
            raise Refused(401, f"exp {expires!r} is not in the next 24 hours (now {int(now)})")
        if not SUBJECT.match(str(claims.get("sub", ""))):
            raise Refused(401, f"sub {claims.get('sub')!r} is not a mailto: or https: URI")
        return claims, key

    @staticmethod
    def _verify_headers(headers) -> tuple[int, str | None, str | None]:
        """RFC 8030/8291 headers: Content-Encoding aes128gcm, a TTL, a valid Urgency and Topic if any."""
        if headers.get("Content-Encoding") != "aes128gcm":
            raise Refused(400, f"Content-Encoding is {headers.get('Content-Encoding')!r}, not aes128gcm")
        ttl = headers.get("TTL", "")
        if not ttl.isdigit():
            raise Refused(400, f"TTL is {ttl!r}, not a whole number of seconds")
        urgency, topic = headers.get("Urgency"), headers.get("Topic")
        if urgency is not None and urgency not in URGENCIES:
            raise Refused(400, f"Urgency {urgency!r} is not one of RFC 8030's")
        if topic is not None and not TOPIC.match(topic):
            raise Refused(400, f"Topic {topic!r} is not at most 32 base64url characters")
        return int(ttl), urgency, topic

    @staticmethod
    def _decrypt(subscription: Subscription, body: bytes) -> dict | str:
        """RFC 8291: one aes128gcm record, decrypted with the browser's private key and auth secret."""
        if len(body) > MAX_BODY:
            raise Refused(413, f"body of {len(body)} bytes is over {MAX_BODY}")
        if len(body) < 21 + 65 + 17:
            raise Refused(400, "body too short for an aes128gcm message")
        record_size, key_id_length = struct.unpack("!LB", body[16:21])
        if key_id_length != 65 or len(body) - 21 - key_id_length > record_size:
            raise Refused(400, "not a single aes128gcm record with the sender's key as key id")
        try:
            plain = http_ece.decrypt(
                body, private_key=subscription.private_key, auth_secret=subscription.auth, version="aes128gcm"
            )
        except Exception as exc:  # any failure to decrypt is the sender's
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}: {exc}") from exc
        text = plain.decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text


def _verified_claims(token: str, key: str) -> dict:
    """The claims of an ES256 JWT whose signature verifies against the public key `key` (base64url point)."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(unb64url(header_b64))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        signature = unb64url(signature_b64)
    except ValueError as exc:
        raise Refused(401, f"malformed JWT or key: {exc}") from exc
    if header.get("alg") != "ES256" or len(signature) != 64:
        raise Refused(401, f"JWT is not ES256 (alg {header.get('alg')!r}, {len(signature)}-byte signature)")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public.verify(
            utils.encode_dss_signature(r, s), f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature as exc:
        raise Refused(401, "JWT signature does not verify against k") from exc
    try:
        return json.loads(unb64url(claims_b64))
    except ValueError as exc:
        raise Refused(401, "JWT claims are not JSON") from exc


class PushHandler(BaseHTTPRequestHandler):
    """Routes POST /push/<id> to the service; anything else is 404/405."""

    push_service: PushService

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        """Read the body (Content-Length is required) and answer what the service decides."""
        match = re.fullmatch(r"/push/([0-9a-f]{32})", self.path)
        length = self.headers.get("Content-Length", "")
        if not match:
            self._answer(404)
            return
        if not length.isdigit():
            self._answer(411)
            return
        body = self.rfile.read(int(length))
        self._answer(self.push_service.handle_push(match.group(1), self.headers, body))

    def do_GET(self) -> None:  # noqa: N802
        """Pushes are POSTs."""
        self._answer(405)

    def _answer(self, status: int) -> None:
        try:
            self.send_response(status)
            if status == 201:
                self.send_header("Location", f"{self.push_service.origin}/message/{uuid.uuid4().hex}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (a "slow" subscription): nothing to tell

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        """Quiet: the tests read `attempts`, `received` and `rejected` instead."""


class QuietServer(ThreadingHTTPServer):
    """Daemon request threads; a client hanging up early is not an error worth a traceback."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Ignore clients that went away; report anything else as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
