"""Redis down or hanging (issue 22): pages are still served, rate limits still hold (in memory), and both
go back to Redis by themselves when it returns.

Redis is played by a local port in front of the test Redis that can refuse connections ("down"),
accept and never answer ("hang": the bounded timeouts are what end the wait) or forward again
("up"); switching drops the connections already open, as a restart of Redis does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid

import pytest

from storefront.extensions import limiter
from tests.builders import make_product
from tests.helpers import _make_app

LIMIT = 3  # beacon batches per minute per address in these tests


class RedisSwitch:
    """A local port in front of a real Redis that can be switched "up", "down" or "hang"."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.mode = target, "up"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def switch(self, mode: str) -> None:
        """Change mode and drop every connection already open (as a Redis restart does)."""
        with self.lock:
            self.mode = mode
            for sock in self.open:
                _close(sock)
            self.open.clear()

    def close(self) -> None:
        self.switch("down")
        _close(self.listener)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.mode == "down":
                    _close(conn)
                    continue
                self.open.append(conn)
                if self.mode == "hang":
                    continue  # read nothing, answer nothing
                upstream = socket.create_connection(self.target)
                self.open.append(upstream)
            threading.Thread(target=_pump, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, conn), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@pytest.fixture
def redis_switch(redis_url):
    from urllib.parse import urlparse

    parsed = urlparse(redis_url)
    switch = RedisSwitch((parsed.hostname or "127.0.0.1", parsed.port or 6379))
    yield switch
    switch.close()


@pytest.fixture
def redis_app(db_url, tmp_path, redis_switch):
    """The shop with its page cache and rate limits in Redis, reached through the switch."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    settings = {
        "CACHE_TYPE": "",
        "REDIS_URL": redis_switch.url,
        "RATELIMIT_STORAGE_URI": redis_switch.url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "CACHE_KEY_PREFIX": f"{prefix}:cache:",
        "EVENTS_RATE_LIMIT": f"{LIMIT} per minute",
    }
    yield from _make_app(db_url, tmp_path, settings)


def _beacon(client):
    """One beacon batch (its body is refused: the limit is counted before the body is read)."""
    return client.post("/e", data="{}", content_type="application/json")


def _time_passed(app) -> None:
    """What the retry intervals wait for: the page cache and the limiter look at Redis again now."""
    app.extensions["pagecache"].skip_until = 0.0
    limiter._Limiter__last_check_backend = 0.0


def _stored_pages(redis_url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    return len(list(client.scan_iter(f"{prefix}page:*")))


@pytest.mark.parametrize("fault", ["down", "hang"])
def test_pages_and_limits_work_without_redis_and_return_to_it(redis_app, redis_switch, redis_url, fault):
    app = redis_app
    prefix = app.config["CACHE_KEY_PREFIX"]
    assert app.config["CACHE_TYPE"] == "RedisCache"
    with app.app_context():
        url = f"/p/{make_product('Clay pot').slug}"
    client = app.test_client()  # from an address of its own: limits' keys outlive a test in the shared Redis
    client.environ_base["REMOTE_ADDR"] = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    assert client.get(url).status_code == 200
    assert _stored_pages(redis_url, prefix) == 1, "the page went to Redis"
    assert _beacon(client).status_code != 429

    redis_switch.switch(fault)
    for _ in range(2):
        page = client.get(url)
        assert page.status_code == 200 and "Clay pot" in page.get_data(as_text=True)
    answers = [_beacon(client).status_code for _ in range(LIMIT + 1)]
    assert 500 not in answers and 503 not in answers
    assert answers[-1] == 429, "the limit still holds, counted in memory"
    assert limiter._storage_dead

    redis_switch.switch("up")
    _time_passed(app)
    assert _beacon(client).status_code != 500
    assert not limiter._storage_dead, "the limiter went back to Redis by itself"
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    assert other.get(url + "?v=2").status_code == 200
    assert _stored_pages(redis_url, prefix) >= 1, "pages are stored in Redis again"
