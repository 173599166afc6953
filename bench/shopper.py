"""A scripted shopper over keep-alive HTTP (cookies, CSRF), and a concurrent full-checkout load.

One complete checkout is what a shopper arriving from a shared link does: open the product page
(which gives the session cookie and CSRF token), add one unit to the cart (form POST), open the
checkout form (checkout key, pickup stores), place the order (pickup, cash: no network payment)
and see the order page. Every virtual shopper is new (no cookies); each client thread keeps one
TCP connection alive across its shoppers, as a browser would across pages.
"""

from __future__ import annotations

import http.client
import re
import resource
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile"
CHECKOUT_FORM = {
    "customer_name": "Load Shopper",
    "phone": "+1 555 0100",
    "email": "",
    "delivery_method": "pickup",
    "payment_method": "cash",
    "note": "",
}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')
KEY_RE = re.compile(r'<input[^>]*name="checkout_key"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]*)"')
PICKUP_RE = re.compile(r'<select[^>]*name="pickup_store"[^>]*>(.*?)</select>', re.DOTALL)
ORDER_PATH_RE = re.compile(r"^/o/[^/?#]+$")


class ShopperError(RuntimeError):
    """The shop answered a step of the flow with something unexpected."""

    def __init__(self, step: str, status: int | None, detail: str = "") -> None:
        super().__init__(f"{step}: {status if status is not None else 'no answer'} {detail}".strip())
        self.step, self.status = step, status


class Shopper:
    """One browser-like client: a kept-alive connection and a cookie jar (name -> value)."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.statuses: list[int] = []
        self.reconnects = 0

    def forget(self) -> None:
        """A new shopper on the same connection: no cookies."""
        self.cookies.clear()

    def close(self) -> None:
        """Close the connection."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def cookie_header(self) -> str:
        """The Cookie header this shopper sends."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> tuple[int, str, str]:
        """Send one request; (status, Location, body). A stale kept-alive connection is reopened once."""
        headers = {"User-Agent": PHONE_UA, "Accept-Encoding": "identity", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection (keepalive, worker recycling): the
                # request never reached the shop. Retrying is safe, and the checkout key makes even
                # a repeated "place order" place one order.
                self.close()
                if fresh or attempt == 2:
                    raise
                self.reconnects += 1
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        if response.will_close:
            self.close()
        self.statuses.append(response.status)
        return response.status, response.headers.get("Location", ""), data.decode("utf-8", "replace")

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        """Store (or delete) the cookies the server set; attributes other than deletion are ignored."""
        for header in set_cookies:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            deleted = "max-age=0" in attributes.lower().replace(" ", "") or not value
            if deleted:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def csrf_from(self, page: str) -> str:
        """The CSRF token in a page (hidden field or meta tag)."""
        match = CSRF_RE.search(page)
        if not match:
            raise ShopperError("csrf token", None, "not found in the page")
        return match.group(1) or match.group(2)

    def add_to_cart(self, slug: str, variant_id: int, quantity: int = 1) -> str:
        """Open the product page and add units to the cart; returns the CSRF token."""
        status, _, page = self.request("GET", f"/p/{slug}")
        if status != 200:
            raise ShopperError("product page", status)
        token = self.csrf_from(page)
        status, _, _ = self.request(
            "POST", "/cart/add", {"csrf_token": token, "variant_id": variant_id, "quantity": quantity}
        )
        if status != 303:
            raise ShopperError("add to cart", status)
        return token

    def place_order(self, token: str) -> str:
        """Open the checkout form, place a pickup/cash order and open its page; returns the order path."""
        status, _, page = self.request("GET", "/checkout")
        if status != 200:
            raise ShopperError("checkout form", status)
        key_input = KEY_RE.search(page)
        key = VALUE_RE.search(key_input.group(0)) if key_input else None
        if not key:
            raise ShopperError("checkout form", status, "no checkout_key")
        form = {**CHECKOUT_FORM, "csrf_token": token, "checkout_key": key.group(1)}
        stores = PICKUP_RE.search(page)
        if stores:
            first = VALUE_RE.search(stores.group(1))
            form["pickup_store"] = first.group(1) if first else ""
        status, location, _ = self.request("POST", "/checkout", form)
        order_path = urllib.parse.urlsplit(location).path
        if status != 303 or not ORDER_PATH_RE.match(order_path):
            raise ShopperError("place order", status, location)
        status, _, _ = self.request("GET", order_path)
        if status != 200:
            raise ShopperError("order page", status)
        return order_path


@dataclass
class CheckoutTally:
    """What the load tool saw, shared by the client threads (under a lock)."""

    latencies_ms: list[float] = field(default_factory=list)
    order_tokens: list[str] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0
    reconnects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(host: str, port: int, products: list[tuple[str, int]], offset: int, deadline: float, tally: CheckoutTally):
    """One client thread: complete checkouts one after the other until the deadline."""
    shopper, n = Shopper(host, port), offset
    while time.monotonic() < deadline:
        slug, variant_id = products[n % len(products)]
        n += 1
        shopper.forget()
        started = time.perf_counter()
        try:
            token = shopper.add_to_cart(slug, variant_id)
            order_path = shopper.place_order(token)
        except ShopperError as err:
            with tally.lock:
                tally.failures[err.step] = tally.failures.get(err.step, 0) + 1
            continue
        except (OSError, http.client.HTTPException) as exc:
            shopper.close()
            with tally.lock:
                tally.socket_errors += 1
                tally.failures[type(exc).__name__] = tally.failures.get(type(exc).__name__, 0) + 1
            continue
        elapsed = (time.perf_counter() - started) * 1000
        with tally.lock:
            tally.latencies_ms.append(elapsed)
            tally.order_tokens.append(order_path.rsplit("/", 1)[-1])
    shopper.close()
    with tally.lock:
        tally.reconnects += shopper.reconnects
        for status in shopper.statuses:
            tally.statuses[status] = tally.statuses.get(status, 0) + 1


def percentile(values: list[float], pct: float) -> float | None:
    """The pct-th percentile (nearest rank), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def checkout_load(host: str, port: int, products: list[tuple[str, int]], clients: int, duration: float) -> dict:
    """`clients` threads doing complete checkouts for `duration` seconds; what they saw."""
    tally = CheckoutTally()
    deadline = time.monotonic() + duration
    threads = [
        threading.Thread(target=_client, args=(host, port, products, i, deadline, tally), daemon=True)
        for i in range(clients)
    ]
    started, cpu_before = time.monotonic(), _cpu_seconds()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 120)
    elapsed, client_cpu = time.monotonic() - started, _cpu_seconds() - cpu_before
    requests = sum(tally.statuses.values())
    orders = len(tally.order_tokens)
    return {
        "req_s": orders / elapsed,  # orders/s: the figure the summary and the table use for this route
        "orders": orders,
        "order_tokens": tally.order_tokens,
        "elapsed_s": elapsed,
        "http_requests": requests,
        "http_req_s": requests / elapsed,
        "p50_ms": statistics.median(tally.latencies_ms) if tally.latencies_ms else None,
        "p99_ms": percentile(tally.latencies_ms, 99),
        "requests": orders + sum(tally.failures.values()),
        "non_2xx": sum(n for status, n in tally.statuses.items() if status >= 400),
        "server_errors": sum(n for status, n in tally.statuses.items() if status >= 500),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "failed_checkouts": dict(tally.failures),
        "socket_errors": tally.socket_errors,
        "socket_errors_by_kind": {"connection": tally.socket_errors} if tally.socket_errors else {},
        "reconnects": tally.reconnects,
        # What the load tool itself cost (all its threads): CPU it took from the server it measures.
        "client_cpu_core_share": client_cpu / elapsed,
        "client_cpu_ms_per_order": client_cpu * 1000 / orders if orders else None,
    }


def _cpu_seconds() -> float:
    """CPU time of this process so far (user + system, every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
