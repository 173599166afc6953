"""The per-process rate-limit storage: limits enforced and expired, without a thread per hit."""

from __future__ import annotations

import threading

import pytest
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from storefront.core import ratelimit
from storefront.core.ratelimit import SweptMemoryStorage
from storefront.extensions import limiter


def thread_counter(monkeypatch) -> list:
    """Count every thread started from now on."""
    started = []
    original = threading.Thread.start

    def counting(thread):
        started.append(thread)
        return original(thread)

    monkeypatch.setattr(threading.Thread, "start", counting)
    return started


@pytest.fixture
def thread_starts(monkeypatch):
    return thread_counter(monkeypatch)


def test_the_app_counts_in_the_swept_storage_without_redis(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "swept-memory://"
    with app.app_context():
        assert isinstance(limiter.storage, SweptMemoryStorage)


def test_hits_start_no_thread_and_the_limit_holds(monkeypatch):
    storage = SweptMemoryStorage()  # (limits' constructor starts one timer, once)
    thread_starts = thread_counter(monkeypatch)
    window = FixedWindowRateLimiter(storage)
    item = RateLimitItemPerMinute(50)
    allowed = [window.hit(item, "203.0.113.9") for _ in range(60)]
    assert allowed == [True] * 50 + [False] * 10
    assert window.hit(item, "198.51.100.7")  # another address has its own counter
    assert thread_starts == []


def test_the_beacon_answers_429_past_its_limit_without_starting_threads(app, client, thread_starts):
    app.config["EVENTS_RATE_LIMIT"] = "3 per minute"
    body = '{"events":[{"name":"page_view","path":"/"}]}'
    statuses = [client.post("/e", data=body, content_type="text/plain").status_code for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    assert thread_starts == []


def test_expired_counters_are_swept_inline_at_most_once_a_second(monkeypatch):
    clock = {"wall": 1_000_000.0, "mono": 50.0}
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock["wall"])
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock["mono"])
    storage = SweptMemoryStorage()
    window = FixedWindowRateLimiter(storage)
    moving = MovingWindowRateLimiter(storage)
    assert window.hit(RateLimitItemPerSecond(1), "a")
    assert moving.hit(RateLimitItemPerSecond(1), "b")
    assert any("/a/" in key for key in storage.storage)
    assert any("/b/" in key for key in storage.events)

    clock["wall"] += 5  # both windows are over
    clock["mono"] += 0.5  # but the last sweep was less than a second ago: nothing swept yet
    assert window.hit(RateLimitItemPerSecond(1), "c")
    assert any("/a/" in key for key in storage.storage)
    assert any("/b/" in key for key in storage.events)

    clock["mono"] += 1  # now a hit sweeps everything that expired
    assert window.hit(RateLimitItemPerSecond(1), "d")
    assert sorted(key.split("/")[1] for key in storage.storage) == ["c", "d"]  # "a" expired, "c" has not
    assert [entries for key, entries in storage.events.items() if "/b/" in key] == [[]]  # its entries dropped
