"""A strict in-process Stripe for tests: the real `stripe` library talks to it through its HTTP client.

It implements exactly the endpoints the shop calls (Checkout Session create, retrieve and
expire, refund create and list), keeps state, honours Idempotency-Key (same key + same parameters = the stored answer;
same key + other parameters = an idempotency error, as Stripe does), and rejects any parameter it
does not know, so a typo in the shop's request fails the test instead of passing silently.
Test-side controls stand in for the shopper on Stripe's page: pay, pay slowly, fail, expire.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe

API_KEY = "sk_test_fake_key"
WEBHOOK_SECRET = "whsec_test_secret"
MIN_EXPIRY, MAX_EXPIRY = 30 * 60, 24 * 3600

SESSION_PARAMS = {
    "mode",
    "line_items",
    "client_reference_id",
    "metadata",
    "payment_intent_data",
    "expires_at",
    "success_url",
    "cancel_url",
    "customer_email",
    "locale",
}
# Checkout's page languages, and Stripe's amount steps (docs.stripe.com/currencies "Special cases").
CHECKOUT_LOCALES = {"auto", "en", "en-GB", "es", "es-419", "fr", "de", "ja", "pt-BR", "zh", "zh-HK", "zh-TW"}
AMOUNT_STEP = {"isk": 100, "bhd": 10, "jod": 10, "kwd": 10, "omr": 10, "tnd": 10}
LINE_PARAMS = {"price_data", "quantity"}
PRICE_DATA_PARAMS = {"currency", "unit_amount", "product_data"}
PRODUCT_DATA_PARAMS = {"name"}
REFUND_PARAMS = {"payment_intent", "amount", "metadata"}
REFUND_LIST_PARAMS = {"payment_intent", "limit"}


class StripeSaid(Exception):
    """An API error answer: (status, type, message, code)."""

    def __init__(self, status: int, kind: str, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.kind, self.message, self.code, self.param = status, kind, message, code, param

    def body(self) -> dict:
        error = {"type": self.kind, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


class FakeStripe(stripe.HTTPClient):
    """Stripe's API for Checkout Sessions and refunds, in memory."""

    name = "fake-stripe"

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.refund_status = "succeeded"  # what a new refund reports at first ("pending" for slow ones)
        self.answers: dict[str, tuple[str, str, dict, tuple[str, int]]] = {}
        self.calls: list[tuple[str, str]] = []
        self.failures: list[str] = []  # "network" or "server", used up one per request
        self.path_failures: dict[str, list[str]] = {}  # the same, for one endpoint only
        self.on_request = None  # called with (method, path) before answering: lock checks

    # -- the HTTP client interface the stripe library calls ---------------------------------
    def request(self, method, url, headers, post_data=None, *, _usage=None):
        method = method.lower()
        parts = urlsplit(url)
        params = _nest(parse_qsl(post_data or "", keep_blank_values=True))
        query = _nest(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            self.calls.append((method, parts.path))
        if self.on_request is not None:
            self.on_request(method, parts.path)
        with self.lock:
            failures = self.path_failures.get(parts.path) or self.failures
            if failures:
                failure = failures.pop(0)
                if failure == "network":
                    raise stripe.APIConnectionError("fake: the network is down")
                return json.dumps({"error": {"type": "api_error", "message": "fake outage"}}), 500, {}
        if (headers or {}).get("Authorization") != f"Bearer {API_KEY}":
            return _answer(StripeSaid(401, "invalid_request_error", "Invalid API Key provided"))
        key = (headers or {}).get("Idempotency-Key")
        with self.lock:
            if method == "post" and key and key in self.answers:
                seen_method, seen_path, seen_params, answer = self.answers[key]
                if (seen_method, seen_path, seen_params) != (method, parts.path, params):
                    return _answer(
                        StripeSaid(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same parameters",
                        )
                    )
                return answer[0], answer[1], {"Idempotent-Replayed": "true"}
            try:
                body, status = self._route(method, parts.path, params, query), 200
                answer = (json.dumps(body), status)
            except StripeSaid as said:
                answer = (json.dumps(said.body()), said.status)
            if method == "post" and key:
                self.answers[key] = (method, parts.path, params, answer)
        return answer[0], answer[1], {"Request-Id": "req_fake"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError("the shop never streams")

    def close(self):
        return None

    # -- the endpoints ------------------------------------------------------------------------
    def _route(self, method: str, path: str, params: dict, query: dict) -> dict:
        if method == "post" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)", path)
        if method == "get" and match:
            _only(query, {"expand"}, "")
            return self._view(self._session(match.group(1)), expand=query.get("expand", []))
        match = re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)/expire", path)
        if method == "post" and match:
            return self._expire_session(match.group(1), params)
        if method == "post" and path == "/v1/refunds":
            return self._create_refund(params)
        if method == "get" and path == "/v1/refunds":
            _only(query, REFUND_LIST_PARAMS, "")
            found = [r for r in self.refunds.values() if r["payment_intent"] == query.get("payment_intent")]
            return {"object": "list", "data": found[::-1], "has_more": False, "url": "/v1/refunds"}
        raise StripeSaid(404, "invalid_request_error", f"Unrecognized request URL ({method.upper()}: {path})")

    def _create_session(self, p: dict) -> dict:
        _only(p, SESSION_PARAMS, "")
        if p.get("mode") != "payment":
            raise StripeSaid(400, "invalid_request_error", "mode must be payment", param="mode")
        lines = p.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise StripeSaid(400, "invalid_request_error", "line_items is required", param="line_items")
        amount, currency = 0, None
        for i, line in enumerate(lines):
            _only(line, LINE_PARAMS, f"line_items[{i}]")
            price = line.get("price_data") or {}
            _only(price, PRICE_DATA_PARAMS, f"line_items[{i}][price_data]")
            _only(price.get("product_data") or {}, PRODUCT_DATA_PARAMS, f"line_items[{i}][price_data][product_data]")
            if not (price.get("product_data") or {}).get("name"):
                raise StripeSaid(400, "invalid_request_error", "product name required", param=f"line_items[{i}]")
            if not re.fullmatch(r"[a-z]{3}", price.get("currency", "")) or currency not in (None, price["currency"]):
                raise StripeSaid(400, "invalid_request_error", "bad currency", param=f"line_items[{i}]")
            currency = price["currency"]
            unit, quantity = _int(price.get("unit_amount"), "unit_amount"), _int(line.get("quantity"), "quantity")
            if unit < 0 or quantity < 1:
                raise StripeSaid(400, "invalid_request_error", "bad amount or quantity", param=f"line_items[{i}]")
            if unit % AMOUNT_STEP.get(currency, 1):
                raise StripeSaid(
                    400, "invalid_request_error", f"Invalid amount for {currency}", code="invalid_charge_amount"
                )
            amount += unit * quantity
        expires_at = _int(p.get("expires_at"), "expires_at")
        now = int(time.time())
        if not now + MIN_EXPIRY - 5 <= expires_at <= now + MAX_EXPIRY:
            raise StripeSaid(
                400, "invalid_request_error", "expires_at must be 30 minutes to 24 hours away", param="expires_at"
            )
        for url_param in ("success_url", "cancel_url"):
            if not str(p.get(url_param, "")).startswith(("http://", "https://")):
                raise StripeSaid(400, "invalid_request_error", f"{url_param} must be a URL", param=url_param)
        if "{CHECKOUT_SESSION_ID}" not in p["success_url"]:
            raise StripeSaid(400, "invalid_request_error", "the shop wants the session id back", param="success_url")
        if p.get("locale", "auto") not in CHECKOUT_LOCALES:
            raise StripeSaid(400, "invalid_request_error", f"Invalid locale: {p['locale']}", param="locale")
        _only(p.get("metadata") or {}, {"order_id", "order_reference"}, "metadata")
        _only(p.get("payment_intent_data") or {}, {"metadata"}, "payment_intent_data")
        session_id = "cs_test_" + secrets.token_hex(12)
        self.sessions[session_id] = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": currency,
            "client_reference_id": p.get("client_reference_id"),
            "metadata": p.get("metadata") or {},
            "customer_email": p.get("customer_email"),
            "expires_at": expires_at,
            "success_url": p["success_url"],
            "cancel_url": p["cancel_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "payment_intent": None,
            "locale": p.get("locale"),
            "line_items_sent": lines,
        }
        return self._view(self.sessions[session_id])

    def _expire_session(self, session_id: str, p: dict) -> dict:
        """Stripe expires only an open session; a completed or expired one is refused."""
        _only(p, {"expand"}, "")
        session = self._session(session_id)
        if session["status"] != "open":
            raise StripeSaid(
                400,
                "invalid_request_error",
                f'Only Checkout Sessions with a status in ["open"] can be expired. '
                f'This Checkout Session has a status of "{session["status"]}".',
            )
        session["status"] = "expired"
        return self._view(session, expand=p.get("expand", []))

    def _create_refund(self, p: dict) -> dict:
        _only(p, REFUND_PARAMS, "")
        intent = self.intents.get(p.get("payment_intent", ""))
        if intent is None:
            raise StripeSaid(404, "invalid_request_error", "No such payment_intent", code="resource_missing")
        if intent["status"] != "succeeded":
            raise StripeSaid(400, "invalid_request_error", "This PaymentIntent has no successful charge")
        _only(p.get("metadata") or {}, {"shop_refund_key"}, "metadata")
        amount = _int(p.get("amount"), "amount")
        if amount % AMOUNT_STEP.get(intent["currency"], 1):
            raise StripeSaid(400, "invalid_request_error", "Invalid amount", code="invalid_charge_amount")
        left = intent["amount"] - intent["amount_refunded"]
        if amount <= 0 or amount > left:
            raise StripeSaid(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount ({left})",
                code="amount_too_large" if left else "charge_already_refunded",
            )
        return self._add_refund(intent, amount, p.get("metadata") or {})

    def _add_refund(self, intent: dict, amount: int, metadata: dict) -> dict:
        intent["amount_refunded"] += amount
        refund_id = "re_" + secrets.token_hex(12)
        self.refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": "ch_" + intent["id"][3:],
            "metadata": metadata,
            "status": self.refund_status,
            "failure_reason": None,
            "created": int(time.time()),
        }
        return self.refunds[refund_id]

    def _session(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise StripeSaid(
                404, "invalid_request_error", f"No such checkout.session: '{session_id}'", code="resource_missing"
            )
        if session["status"] == "open" and time.time() >= session["expires_at"]:
            session["status"] = "expired"  # Stripe closes an unpaid page at its expires_at
        return session

    def _view(self, session: dict, expand: list | None = None) -> dict:
        view = {k: v for k, v in session.items() if k != "line_items_sent"}
        if "payment_intent" in (expand or []) and session["payment_intent"]:
            view["payment_intent"] = dict(self.intents[session["payment_intent"]])
        return view

    # -- the shopper on Stripe's page, and Stripe's notifications -----------------------------
    def session_for_order(self, order_id: int) -> dict:
        """The one session opened for an order (fails if none or several)."""
        found = [s for s in self.sessions.values() if s["client_reference_id"] == str(order_id)]
        assert len(found) == 1, f"{len(found)} sessions for order {order_id}"
        return found[0]

    def pay(self, session_id: str, *, slowly: bool = False, charged: tuple[int, str] | None = None) -> None:
        """The shopper pays (a card: at once; `slowly`: a bank debit still processing).

        `charged` (amount, currency) stands in for a page whose total is not the one the shop
        asked for. An expired page cannot be paid.
        """
        with self.lock:
            session = self._session(session_id)
            assert session["status"] == "open", f"cannot pay a {session['status']} page"
            if charged is not None:
                session.update(amount_total=charged[0], currency=charged[1])
            intent_id = "pi_" + secrets.token_hex(12)
            self.intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "amount_refunded": 0,
                "status": "processing" if slowly else "succeeded",
            }
            session.update(status="complete", payment_intent=intent_id, payment_status="unpaid" if slowly else "paid")

    def settle(self, session_id: str, *, succeeded: bool) -> None:
        """A slow payment's outcome arrives."""
        with self.lock:
            session = self._session(session_id)
            intent = self.intents[session["payment_intent"]]
            intent["status"] = "succeeded" if succeeded else "requires_payment_method"
            session["payment_status"] = "paid" if succeeded else "unpaid"

    def expire(self, session_id: str) -> None:
        """The page closes unpaid."""
        with self.lock:
            session = self._session(session_id)
            assert session["status"] == "open"
            session["status"] = "expired"

    def event(
        self, kind: str, session_id: str, *, event_id: str | None = None, age: int = 0, secret: str = WEBHOOK_SECRET
    ) -> tuple[bytes, str]:
        """A signed webhook delivery (payload, Stripe-Signature header) about a session."""
        payload = json.dumps(
            {
                "id": event_id or "evt_" + secrets.token_hex(12),
                "object": "event",
                "type": kind,
                "created": int(time.time()) - age,
                "livemode": False,
                "data": {"object": self._view(self._session(session_id))},
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=int(time.time()) - age)
        return payload.encode(), header

    def open_elsewhere(self, amount: int = 1000, currency: str = "usd") -> str:
        """A page opened on the same account by something other than the shop (another integration)."""
        with self.lock:
            session_id = "cs_test_" + secrets.token_hex(12)
            self.sessions[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": amount,
                "currency": currency,
                "client_reference_id": None,
                "metadata": {},
                "customer_email": None,
                "expires_at": int(time.time()) + MIN_EXPIRY,
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "payment_intent": None,
            }
        return session_id

    def signed(self, kind: str, obj: dict, *, event_id: str | None = None, secret: str = WEBHOOK_SECRET):
        """A signed webhook delivery (payload, Stripe-Signature header) about any object."""
        payload = json.dumps(
            {
                "id": event_id or "evt_" + secrets.token_hex(12),
                "object": "event",
                "type": kind,
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": obj},
            }
        )
        return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret)

    def dashboard_refund(self, session_id: str, amount: int) -> dict:
        """The owner refunds in Stripe's dashboard (no metadata, no idempotency key of the shop's)."""
        with self.lock:
            return self._add_refund(self.intents[self._session(session_id)["payment_intent"]], amount, {})

    def set_refund_status(self, refund_id: str, status: str, failure_reason: str | None = None) -> dict:
        """A refund's outcome changes later (pending -> succeeded, or -> failed: the money comes back)."""
        with self.lock:
            refund = self.refunds[refund_id]
            if status in ("failed", "canceled") and refund["status"] not in ("failed", "canceled"):
                self.intents[refund["payment_intent"]]["amount_refunded"] -= refund["amount"]
            refund.update(status=status, failure_reason=failure_reason)
            return dict(refund)

    def charge(self, session_id: str, *, with_refunds: bool = True) -> dict:
        """The payment's charge as a charge.* event carries it (newer API versions omit `refunds`)."""
        intent = self.intents[self._session(session_id)["payment_intent"]]
        charge = {
            "id": "ch_" + intent["id"][3:],
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": intent["amount_refunded"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "refunded": intent["amount_refunded"] >= intent["amount"],
        }
        if with_refunds:
            found = [dict(r) for r in self.refunds.values() if r["payment_intent"] == intent["id"]]
            charge["refunds"] = {"object": "list", "data": found[::-1], "has_more": False}
        return charge

    def open_dispute(self, session_id: str, amount: int | None = None, reason: str = "fraudulent") -> dict:
        """The shopper disputes the payment with their bank."""
        with self.lock:
            intent = self.intents[self._session(session_id)["payment_intent"]]
            dispute_id = "dp_" + secrets.token_hex(12)
            self.disputes[dispute_id] = {
                "id": dispute_id,
                "object": "dispute",
                "amount": intent["amount"] if amount is None else amount,
                "currency": intent["currency"],
                "charge": "ch_" + intent["id"][3:],
                "payment_intent": intent["id"],
                "reason": reason,
                "status": "needs_response",
                "created": int(time.time()),
            }
            return dict(self.disputes[dispute_id])

    def close_dispute(self, dispute_id: str, status: str) -> dict:
        """The bank decides: won, lost (or warning_closed for an inquiry)."""
        with self.lock:
            self.disputes[dispute_id]["status"] = status
            return dict(self.disputes[dispute_id])

    def refunded(self, session_id: str) -> int:
        """How much of the session's payment was refunded."""
        intent = self._session(session_id)["payment_intent"]
        return self.intents[intent]["amount_refunded"] if intent else 0

    def count(self, method: str, path: str) -> int:
        """How many requests hit an endpoint."""
        return sum(1 for m, p in self.calls if (m, p) == (method, path))


def _only(params: dict, allowed: set[str], where: str) -> None:
    """Refuse unknown parameters, as Stripe does."""
    if not isinstance(params, dict):
        raise StripeSaid(400, "invalid_request_error", f"{where} must be an object", param=where)
    unknown = set(params) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise StripeSaid(
            400,
            "invalid_request_error",
            f"Received unknown parameter: {where}[{name}]" if where else f"Received unknown parameter: {name}",
            param=name,
        )


def _int(value, name: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeSaid(400, "invalid_request_error", f"Invalid integer: {value}", param=name)
    return int(value)


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    """Dicts keyed 0..n-1 become lists."""
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node) and sorted(int(k) for k in node) == list(range(len(node))):
        return [node[str(i)] for i in range(len(node))]
    return node


def _answer(said: StripeSaid):
    return json.dumps(said.body()), said.status, {}


@contextmanager
def serving(fake: FakeStripe):
    """Serve the fake over HTTP on a loopback port (for a shop running in another process)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else None
            try:
                content, status, headers = fake.request(
                    self.command, f"http://stripe.local{self.path}", dict(self.headers.items()), body
                )
            except stripe.APIConnectionError:
                self.close_connection = True
                return
            payload = content.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
