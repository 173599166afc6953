"""Rate-limit storage for one process: limits' memory storage without a thread per hit.

limits' MemoryStorage drops expired counters from a `threading.Timer` that it re-creates
whenever the previous one has fired, i.e. a new thread roughly every 10 ms under load. Starting
a thread costs a few hundred microseconds of CPU and blocks the request until the thread runs:
on the beacon (`POST /e`) that was a fifth of the request's CPU time. Counters do not need the
timer to be right (every read checks its own expiry); it only frees memory. So this storage
sweeps inline, at most once a second, from whichever request gets there first.

It is registered as `swept-memory://`, the default RATELIMIT_STORAGE_URI when no REDIS_URL is
set. Like `memory://`, it counts per worker process: several workers or servers share limits
only through Redis. Login attempts do not use it: they are counted in the database
(storefront/auth/throttle.py), so their limits hold across processes in every configuration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps

from flask import render_template
from flask_babel import gettext
from flask_limiter.errors import RateLimitExceeded
from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry sweep runs inline, at most every SWEEP_SECONDS."""

    STORAGE_SCHEME = ["swept-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        self._sweep_lock = threading.Lock()
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the base's private hook
        """Sweep expired counters now if a second has passed and no other thread is sweeping."""
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._sweep_lock = threading.Lock()


def too_many_answered(message: str) -> Callable[[Callable], Callable]:
    """A view decorator: a breached limit answers 429 with a page saying `message` (lazy text), not the generic one.

    Put it above the `@limiter.limit(...)` line; the request's transaction is rolled back first.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except RateLimitExceeded:
                from ..extensions import db  # the floor's extensions load this module's storage first

                db.session.rollback()
                page = render_template(
                    "errors/error.html", status=429, title=gettext("Too many attempts"), message=str(message)
                )
                return page, 429

        return wrapper

    return decorate
