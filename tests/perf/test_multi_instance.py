"""Several app servers (issue 22): two gunicorn instances on one PostgreSQL reached through PgBouncer
in transaction mode, one Redis, one SECRET_KEY, one MEDIA_ROOT, as bench/cluster.py lays them out.

A catalog change made through instance A shows at once on B although B's copy is cached in Redis;
a rate limit counted on A holds on B; a shopper's session moves between instances; checkouts
through PgBouncer place their orders (psycopg prepares no statement: DATABASE_POOLER=pgbouncer).
PgBouncer is started here on a free port; CI installs it (.ci/run) and this test fails without it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench import cluster
from storefront import create_app
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, PASSWORD, make_product, make_user, stock_of
from tests.conftest import _postgres_required
from tests.helpers import _make_app, _truncate_all
from tests.live_server import LiveServer

UNITS = 40


@pytest.fixture
def pgbouncer_url(postgres_url):
    """The test database's URL through a PgBouncer (transaction mode, 2 server connections) started here."""
    if not shutil.which("pgbouncer") and not Path("/usr/sbin/pgbouncer").exists():
        if _postgres_required():
            pytest.fail("pgbouncer is not installed but the multi-instance test is required here (.ci/run installs it)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    url = make_url(postgres_url)
    run_dir = Path(tempfile.mkdtemp(prefix="storefront-pgbouncer-"))  # under /tmp: PgBouncer's own user writes here
    old = cluster.PG_HOST, cluster.PG_PORT
    cluster.PG_HOST, cluster.PG_PORT = url.host or "127.0.0.1", url.port or 5432
    try:
        port = cluster.start_pgbouncer(run_dir, pool_size=2)
    finally:
        cluster.PG_HOST, cluster.PG_PORT = old
    try:
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        cluster.stop_pgbouncer(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
def two_instances(postgres_url, pgbouncer_url, redis_url, tmp_path):
    """Instances A and B behind PgBouncer, sharing Redis, the secret key and media; yields (a, b, facts)."""
    _truncate_all(postgres_url)
    shop = _make_app(postgres_url, tmp_path)
    app = next(shop)
    with app.app_context():
        product = make_product("Stoneware jug", price=4200, variants=(("One size", UNITS),))
        facts = {"app": app, "slug": product.slug, "product_id": product.id, "variant_id": product.variants[0].id}
        make_user("owner@example.com", "owner")
    prefix = f"multi-{uuid.uuid4().hex[:8]}"
    settings = {
        "DATABASE_POOLER": "pgbouncer",
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,  # a fresh count and a fresh page cache for this run
        "EVENTS_RATE_LIMIT": "3 per hour",
        "ORDER_MAX_OPEN_PER_PHONE": "0",  # every shopper here is 127.0.0.1 with one phone
        "ORDER_MAX_OPEN_PER_ADDRESS": "0",
    }
    servers = [LiveServer(pgbouncer_url, tmp_path / "media", workers=2, threads=4, **settings) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers[0].url, servers[1].url, {**facts, "prefix": prefix}
    finally:
        for server in servers:
            server.stop()
        next(shop, None)
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)


def _csrf(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=20)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def test_a_change_through_a_refreshes_the_page_b_cached(two_instances, redis_url):
    a, b, facts = two_instances
    page = f"/p/{facts['slug']}"
    assert "$42.00" in requests.get(b + page, timeout=20).text
    import redis

    assert list(redis.Redis.from_url(redis_url).scan_iter(f"{facts['prefix']}:cache:*")), "B cached it in Redis"
    owner = requests.Session()
    token = _csrf(owner, f"{a}/login")
    signed_in = owner.post(
        f"{a}/login",
        data={"csrf_token": token, "email": "owner@example.com", "password": PASSWORD},
        allow_redirects=False,
        timeout=20,
    )
    assert signed_in.status_code == 303
    fields = {"title": "Stoneware jug", "slug": facts["slug"], "price": "39.50", "category_id": "0"}
    edited = owner.post(
        f"{a}/admin/products/{facts['product_id']}",
        data={**fields, "description_md": "", "csrf_token": _csrf(owner, f"{a}/admin/")},
        allow_redirects=False,
        timeout=20,
    )
    assert edited.status_code == 303, edited.text[:500]
    page_b = requests.get(b + page, timeout=20).text
    assert "$39.50" in page_b and "$42.00" not in page_b, "B's very next page has A's change"


def test_a_rate_limit_counted_on_a_holds_on_b(two_instances):
    a, b, _facts = two_instances
    beacon = '{"events":[{"name":"page_view","path":"/"}]}'
    headers = {"Content-Type": "text/plain"}
    on_a = [requests.post(f"{a}/e", data=beacon, headers=headers, timeout=20).status_code for _ in range(3)]
    on_b = requests.post(f"{b}/e", data=beacon, headers=headers, timeout=20).status_code
    assert on_a == [202, 202, 202] and on_b == 429


def test_checkouts_through_pgbouncer_move_between_instances(two_instances):
    a, b, facts = two_instances

    def check_out(n: int) -> int:
        first, second = (a, b) if n % 2 else (b, a)  # the session made on one instance is used on the other
        browser = requests.Session()
        token = _csrf(browser, f"{first}/p/{facts['slug']}")
        added = browser.post(
            f"{second}/cart/add",
            data={"csrf_token": token, "variant_id": facts["variant_id"], "quantity": 1},
            allow_redirects=False,
            timeout=20,
        )
        assert added.status_code == 303
        form = browser.get(f"{first}/checkout", timeout=20).text
        key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', form).group(1)
        data = {**CHECKOUT_PICKUP, "csrf_token": token, "checkout_key": key}
        placed = browser.post(f"{second}/checkout", data=data, allow_redirects=False, timeout=60)
        if placed.status_code != 303:
            return placed.status_code
        return browser.get(first + placed.headers["Location"], timeout=20).status_code

    # More client connections than PgBouncer's 2 server connections, each statement run many
    # times: a statement psycopg prepared on one server connection would be missing on the next
    # (or clash with another client's of the same name), and the page would be a 500.
    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(lambda n: requests.get(f"{(a, b)[n % 2]}/p/{facts['slug']}", timeout=20), range(80)))
        statuses = list(pool.map(check_out, range(24)))
    assert [page.status_code for page in pages] == [200] * 80
    assert statuses == [200] * 24
    with facts["app"].app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 24
        assert stock_of(facts["variant_id"]) == UNITS - 24


def test_pgbouncer_setting_turns_off_prepared_statements(postgres_url, tmp_path):
    pooled = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url, "DATABASE_POOLER": "pgbouncer", "TESTING": True})
    direct = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url, "TESTING": True})
    assert pooled.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    assert "connect_args" not in direct.config["SQLALCHEMY_ENGINE_OPTIONS"]
    with pooled.app_context():
        with db.engine.connect() as conn:
            assert conn.connection.driver_connection.prepare_threshold is None
        db.engine.dispose()
