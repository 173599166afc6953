"""The page cache stays bounded: a flood of random searches cannot grow memory or evict rate limits.

Search keys are chosen by visitors, so only searches worth it are cached (with results, short,
first pages), each kind of page is capped (least recently used dropped first) across every
worker through one Lua script, and the script deletes only keys of its own sets.
"""

from __future__ import annotations

import random
import re
import string
import threading
import uuid
from pathlib import Path

import pytest

from storefront.core.pagestore import RedisPages
from storefront.extensions import cache
from tests.builders import make_category, make_product
from tests.helpers import _make_app
from tests.perf.test_page_cache_redis import _catalog_reads

FLOOD = 1050
SEARCH_CAP = 20
PAGE_CAP = 30
MAX_PAGE_BYTES = 64 * 1024


@pytest.fixture
def redis_client(redis_url):
    """A client of the shared test Redis (this file deletes only keys under its own prefixes)."""
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=2)


def _words(count: int, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    words = {"".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(count * 2)}
    return sorted(words)[:count]


def _stock(app, words: list[str]) -> str:
    """A lantern whose description holds every word (each a search with one result); its page URL."""
    with app.app_context():
        lantern = make_product("Paper lantern", price=1200, description=" ".join(words))
        make_product("Desk fan", price=3000)
        return f"/p/{lantern.slug}"


def _flood(client, words: list[str]) -> None:
    """Searches for every word, with the popular "lantern" asked every tenth request."""
    for n, word in enumerate(words):
        query = "lantern" if n % 10 == 0 else word
        response = client.get(f"/search?q={query}")
        assert response.status_code == 200 and "Paper lantern" in response.get_data(as_text=True), query


@pytest.fixture
def redis_shop(db_url, tmp_path, redis_url, redis_client):
    """An app whose page cache and rate limits share the test Redis, under fresh prefixes."""
    tag = uuid.uuid4()
    prefix = f"test-bounds-{tag.hex[:10]}:"
    # The rate-limit keys hold the client's address: a fresh one finds this test's counters
    # (the limiter keeps the key prefix of the first app a test process creates).
    address = "10.{}.{}.{}".format(*tag.bytes[:3])
    settings = {
        "CACHE_TYPE": "",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": prefix,
        "RATELIMIT_STORAGE_URI": redis_url,
        "EVENTS_RATE_LIMIT": "5 per day",  # a window the flood cannot outlast on a slow machine
        "SEARCH_CACHE_MAX_KEYS": SEARCH_CAP,
        "CACHE_MAX_PAGES": PAGE_CAP,
        "CACHE_MAX_PAGE_BYTES": MAX_PAGE_BYTES,
    }
    shop = _make_app(db_url, tmp_path, settings)
    yield next(shop), prefix, address
    next(shop, None)
    for pattern in (f"{prefix}*", f"LIMITS:*/{address}/*"):
        keys = list(redis_client.scan_iter(pattern))
        if keys:
            redis_client.delete(*keys)


def _beacon(client):
    return client.post("/e", data="[]", content_type="text/plain")


def test_a_flood_of_searches_in_redis_stays_under_the_cap_and_keeps_rate_limits(redis_shop, redis_client):
    app, prefix, address = redis_shop
    words = _words(FLOOD)
    product_url = _stock(app, words)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    assert client.get(product_url).status_code == 200
    for _ in range(3):  # three of the five beacon posts a day allowed to this address
        assert _beacon(client).status_code != 429
    counters = {k: redis_client.get(k) for k in redis_client.scan_iter(f"LIMITS:*/{address}/*")}
    assert counters and all(int(v) == 3 for v in counters.values()), counters

    _flood(client, words)

    pages = list(redis_client.scan_iter(f"{prefix}page:*"))
    assert len(pages) <= SEARCH_CAP + PAGE_CAP, len(pages)
    assert redis_client.zcard(f"{prefix}lru:search") <= SEARCH_CAP
    assert len([k for k in pages if redis_client.exists(k)]) <= SEARCH_CAP + 1  # searches, the product
    used = sum(redis_client.memory_usage(k) or 0 for k in redis_client.scan_iter(f"{prefix}*"))
    assert used < (SEARCH_CAP + PAGE_CAP) * MAX_PAGE_BYTES, used

    assert {k: redis_client.get(k) for k in counters} == counters, "every rate-limit counter survived"
    assert all(redis_client.ttl(k) > 0 for k in counters)
    assert [_beacon(client).status_code == 429 for _ in range(3)] == [False, False, True], "the limit still holds"

    reads = _catalog_reads(app)
    assert "Paper lantern" in client.get("/search?q=lantern").get_data(as_text=True)
    assert "Paper lantern" in client.get(product_url).get_data(as_text=True)
    assert reads == [], "the popular search and the product page are still served from the cache"


def test_searches_not_worth_it_are_not_stored(redis_shop, redis_client):
    app, prefix, _address = redis_shop
    _stock(app, _words(5))
    client = app.test_client()
    long_query = "lantern " + "x" * 60
    for query in ("qzxv", "nothing here", long_query, "", "lantern&page=9"):
        assert client.get(f"/search?q={query}").status_code == 200
    assert list(redis_client.scan_iter(f"{prefix}page:*")) == []
    client.get("/search?q=lantern")
    assert len(list(redis_client.scan_iter(f"{prefix}page:*"))) == 1


def test_page_numbers_past_the_end_take_no_place_in_the_cache(redis_shop, redis_client):
    """Any page number up to MAX_PAGE is accepted (a page past the end shows the last one): a
    flood of them must not push the popular pages out, as a flood of searches does not."""
    app, prefix, _address = redis_shop
    with app.app_context():
        lamps = make_category("Lamps")
        make_product("Paper lantern", price=1200, category=lamps)
    client = app.test_client()
    for url in ("/c/lamps", "/search?q=lantern"):
        assert client.get(url).status_code == 200
    for n in range(2, PAGE_CAP + SEARCH_CAP + 10):
        for url in (f"/c/lamps?page={n}", f"/search?q=lantern&page={n}"):
            response = client.get(url)
            assert response.status_code == 200 and "Paper lantern" in response.get_data(as_text=True)
    assert len(list(redis_client.scan_iter(f"{prefix}page:*"))) == 2  # page 1 of each
    reads = _catalog_reads(app)
    assert "Paper lantern" in client.get("/c/lamps").get_data(as_text=True)
    assert "Paper lantern" in client.get("/search?q=lantern").get_data(as_text=True)
    assert reads == [], "both first pages are still served from the cache"


def test_the_cap_holds_when_many_workers_store_at_once(redis_client):
    prefix = f"test-bounds-{uuid.uuid4().hex[:10]}:"
    writers, each, cap = 8, 40, 15
    barrier = threading.Barrier(writers)
    store = RedisPages(redis_client, prefix, {"search": cap})

    def write(n: int) -> None:
        barrier.wait()
        for i in range(each):
            store.put(f"page:{n}-{i}", "search", ("<p>page</p>", "0" * 32), 60)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(list(redis_client.scan_iter(f"{prefix}page:*"))) == cap
        assert redis_client.zcard(f"{prefix}lru:search") == cap
        assert store.get(f"page:{writers - 1}-{each - 1}", "search") in (("<p>page</p>", "0" * 32), None)
    finally:
        keys = list(redis_client.scan_iter(f"{prefix}*"))
        if keys:
            redis_client.delete(*keys)


def test_without_redis_each_worker_keeps_a_bounded_cache(db_url, tmp_path):
    settings = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 50, "SEARCH_CACHE_MAX_KEYS": SEARCH_CAP}
    shop = _make_app(db_url, tmp_path, settings)
    app = next(shop)
    try:
        words = _words(FLOOD)
        product_url = _stock(app, words)
        client = app.test_client()
        client.get(product_url)
        _flood(client, words)
        with app.app_context():
            assert len(cache.cache._cache) <= SEARCH_CAP + 1  # noqa: SLF001 - SimpleCache's own store
        reads = _catalog_reads(app)
        client.get("/search?q=lantern")
        client.get(product_url)
        assert reads == [], "the popular search and the product page are still cached"
    finally:
        next(shop, None)


def test_the_nginx_config_answers_only_the_shops_own_host():
    """Every Host is a different page key (links are absolute): nginx must not pass made-up hosts on."""
    conf = (Path(__file__).parents[2] / "deploy" / "nginx.conf").read_text()
    servers = re.findall(r"^server \{(.*?)^\}", conf, re.S | re.M)
    catch_all = [s for s in servers if re.search(r"listen 443 ssl default_server;", s)]
    assert catch_all and "ssl_reject_handshake on;" in catch_all[0]
    assert any("listen 80 default_server;" in s and "return 444;" in s for s in servers)
    proxied = [s for s in servers if "proxy_pass" in s]
    assert proxied and all("default_server" not in s and "server_name shop.example.com;" in s for s in proxied)
