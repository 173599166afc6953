"""Where cached shopper pages live, with a hard cap on how many of each kind there are.

A page has a *kind*: "search" (one per distinct query: visitors choose them, so a flood of
random searches could otherwise fill memory) or "page" (home, category, product). Each kind
has a cap on its number of keys, kept least-recently-used first, so the cache's memory is
bounded by construction (caps x CACHE_MAX_PAGE_BYTES), whatever Redis's own settings:

- Redis (RedisPages): each page is a plain string key (digest + HTML, no pickle) and each kind
  a sorted set of its keys scored by last use. Storing a page, adding it to its set and
  deleting the least recently used pages beyond the cap is one Lua script, so the cap holds
  across every worker and server; a hit reads the page and marks it used in one round trip.
  The script only ever deletes keys listed in its own sets: rate-limit counters (another
  prefix, possibly another Redis: CACHE_REDIS_URL) are never touched.
- Memory (MemoryPages, no Redis): Flask-Caching's SimpleCache, which keeps at most
  CACHE_THRESHOLD pages per worker; capped kinds also keep their own per-worker LRU order.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Protocol

DIGEST_CHARS = 32  # hex blake2b(digest_size=16): the page's digest, stored before its HTML

# KEYS: the page, its kind's LRU set. ARGV: value, seconds to keep, now, cap. Returns how many
# pages were dropped. ZPOPMIN takes the least recently used; only those keys are deleted.
_PUT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess <= 0 then return 0 end
local popped = redis.call('ZPOPMIN', KEYS[2], excess)
for i = 1, #popped, 2 do redis.call('DEL', popped[i]) end
return excess
"""


class PageStore(Protocol):
    """A place for (html, digest) pages, keyed by the page cache's key and of a given kind."""

    def get(self, key: str, kind: str) -> tuple[str, str] | None: ...

    def put(self, key: str, kind: str, page: tuple[str, str], timeout: int) -> None: ...


class RedisPages:
    """Pages in Redis, each kind capped (least recently used dropped first) across all workers."""

    def __init__(self, client, prefix: str, caps: dict[str, int]) -> None:
        self.client, self.prefix, self.caps = client, prefix, caps
        self._put = client.register_script(_PUT)

    def index_key(self, kind: str) -> str:
        """The sorted set of one kind's page keys, by last use."""
        return f"{self.prefix}lru:{kind}"

    def get(self, key: str, kind: str) -> tuple[str, str] | None:
        """The page, marked as just used (one round trip); None when absent or unreadable."""
        full = self.prefix + key
        pipe = self.client.pipeline(transaction=False)
        pipe.get(full)
        pipe.zadd(self.index_key(kind), {full: time.time()}, xx=True)
        raw, _ = pipe.execute()
        if not isinstance(raw, bytes) or len(raw) < DIGEST_CHARS:
            return None
        try:
            return raw[DIGEST_CHARS:].decode(), raw[:DIGEST_CHARS].decode("ascii")
        except UnicodeDecodeError:
            return None

    def put(self, key: str, kind: str, page: tuple[str, str], timeout: int) -> None:
        """Store the page and trim its kind to the cap, atomically."""
        html, digest = page
        value = digest.encode("ascii") + html.encode()
        args = [value, max(int(timeout), 1), time.time(), self.caps[kind]]
        self._put(keys=[self.prefix + key, self.index_key(kind)], args=args)


class MemoryPages:
    """Pages in a Flask-Caching backend (SimpleCache: CACHE_THRESHOLD per worker); capped kinds LRU."""

    def __init__(self, cache, caps: dict[str, int]) -> None:
        self.cache, self.caps = cache, caps
        self._order: dict[str, OrderedDict[str, None]] = {kind: OrderedDict() for kind in caps}
        self._lock = threading.Lock()

    def get(self, key: str, kind: str) -> tuple[str, str] | None:
        """The page, marked as just used in its kind's order."""
        page = self.cache.get(key)
        if not (isinstance(page, tuple) and len(page) == 2):
            return None
        order = self._order.get(kind)
        if order is not None:
            with self._lock:
                if key in order:
                    order.move_to_end(key)
        return page

    def put(self, key: str, kind: str, page: tuple[str, str], timeout: int) -> None:
        """Store the page; a capped kind drops its least recently used pages beyond the cap."""
        self.cache.set(key, page, timeout=timeout)
        order = self._order.get(kind)
        if order is None:
            return
        with self._lock:
            order[key] = None
            order.move_to_end(key)
            victims = [order.popitem(last=False)[0] for _ in range(len(order) - self.caps[kind])]
        for victim in victims:
            self.cache.delete(victim)
