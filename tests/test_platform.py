"""The platform around the features: migrations, health, headers, commands, static caching."""

from __future__ import annotations

import gc
import os
import re
import runpy
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_babel import get_babel, gettext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from storefront import create_app, forget_connections_after_fork
from storefront.analytics import rollup_rules as rr
from storefront.analytics.partitions import is_event_partition
from storefront.auth.models import User
from storefront.catalog.models import Product, Variant
from storefront.catalog.search_index import include_name
from storefront.extensions import db
from tests.builders import make_product


def test_migrations_build_exactly_the_models(empty_db_app):
    with empty_db_app.app_context():
        upgrade(directory=empty_db_app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            # the search index (FTS5 table, pg_trgm index) lives outside the models, as in env.py
            # and the events' day partitions are tables of their own (the model declares the parent)
            def compared(name, type_, parents):
                return include_name(name, type_, parents) and not is_event_partition(name, type_)

            context = MigrationContext.configure(conn, opts={"include_name": compared})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {
        "status": "ok",
        "database": "ok",
        "jobs": {"queued": 0, "oldest_age_seconds": 0, "running": 0, "failed": 0, "late_seconds": None},
    }


def test_healthz_reports_a_dead_database(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_security_headers_on_every_response(client):
    for url in ("/", "/cart", "/nope", "/login", "/healthz"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer")
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_https_gets_hsts_and_secure_cookies(app):
    client = app.test_client()
    response = client.get("/cart", base_url="https://shop.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    session_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_no_inline_script_in_pages(client, app):
    with app.app_context():
        slug = make_product().slug
    for url in ("/", f"/p/{slug}", "/cart", "/login", "/search?q=x"):
        html = client.get(url).text
        # JSON-LD (storefront/seo) is a data block, never run: CSP's script-src does not apply to it.
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/ld\+json\"))[^>]*>", html), url
        assert " style=" not in html and " onclick=" not in html


def test_static_files_are_versioned_and_long_cached(client):
    html = client.get("/").text
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', html)
    assert css, "stylesheet carries a content hash"
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]


def test_private_pages_are_no_store(shop, app):
    with app.app_context():
        variant = make_product().variants[0].id
    shop.add(variant, 1)
    for url in ("/cart", "/checkout", "/login"):
        assert shop.client.get(url).headers["Cache-Control"] == "no-store", url


def test_cli_create_admin_and_seed_demo(runner, app):
    result = runner.invoke(args=["create-admin", "--email", "boss@example.com"])
    assert result.exit_code == 0, result.output
    password = re.search(r"boss@example\.com / (\S+)", result.output).group(1)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.role == "owner" and user.check_password(password)
    bad = runner.invoke(args=["create-admin", "--email", "not-an-email"])
    assert bad.exit_code != 0 and "valid email" in bad.output
    assert runner.invoke(args=["create-admin", "--email", "b@example.com", "--password", "short"]).exit_code != 0


def test_seed_demo_builds_a_realistic_shop_once(sqlite_app):
    app = sqlite_app
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        products = db.session.scalar(select(func.count(Product.id)))
        variants = db.session.scalar(select(func.count(Variant.id)))
        assert 35 <= products <= 60 and variants > products
        assert all(p.photos for p in db.session.scalars(select(Product)))
    # Stores for pickup and a seller whose login works, so the demo shows the whole shop.
    password = re.search(r"Seller login: seller@example.com / (\S+)", result.output).group(1)
    seller = app.test_client()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', seller.get("/login").text).group(1)
    login = seller.post("/login", data={"csrf_token": csrf, "email": "seller@example.com", "password": password})
    assert login.status_code in (302, 303) and "DEMO10" in seller.get("/seller/").text
    assert "Alberta Street studio" in app.test_client().get("/stores").text
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "nothing seeded" in again.output
    client = app.test_client()
    home = client.get("/")
    slug = re.search(r'href="/p/([^"]+)"', home.text).group(1)
    page = client.get(f"/p/{slug}")
    assert page.status_code == 200 and 'type="image/webp"' in page.text and 'loading="lazy"' in home.text
    image = re.search(r'src="(/media/[^"]+\.jpg)"', page.text).group(1)
    assert client.get(image).status_code == 200


def test_only_postgresql_connections_are_checked_before_use(app, db_url):
    """A pooled PostgreSQL connection may have died; an SQLite file cannot.

    No pool_pre_ping (a query per checkout): core/pool.py looks at the socket instead (issue 22).
    """
    from sqlalchemy import event

    from storefront.core import pool

    with app.app_context():
        assert db.engine.pool._pre_ping is False
        assert event.contains(db.engine.pool, "checkout", pool._on_checkout) is db_url.startswith("postgresql")


def test_the_refunds_migration_queues_the_days_that_hold_refunds(empty_db_app):
    """Days rolled up before rollup_days.refunds existed are recomputed by the next catch-up."""
    directory = empty_db_app.extensions["migrate"].directory
    with empty_db_app.app_context():
        upgrade(directory=directory, revision="0006_interest_bought")
        with db.engine.begin() as conn:
            figures = ("sessions", "visitors", "page_views", "product_views", "view_sessions", "cart_sessions")
            figures += ("checkout_sessions", "paid_sessions", "orders", "revenue", "items")
            insert_day = f"INSERT INTO rollup_days (day, {', '.join(figures)}) VALUES (:day{', 0' * len(figures)})"
            for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-20"):
                conn.execute(text(insert_day), {"day": day})
            insert_event = "INSERT INTO events (created_at, name, value) VALUES (:at, :name, 500)"
            conn.execute(text(insert_event), {"at": "2026-11-02 23:30:00", "name": "refund"})
            conn.execute(text(insert_event), {"at": "2026-11-20 10:00:00", "name": "view_item"})
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            queued = conn.execute(text("SELECT day FROM rollup_pending_days ORDER BY day")).scalars().all()
            queued = [str(day)[:10] for day in queued]
            refunds = conn.execute(text("SELECT DISTINCT refunds FROM rollup_days")).scalars().all()
        assert queued == ["2026-11-01", "2026-11-02", "2026-11-03"]  # not the day with no refund
        assert refunds == [0]


def test_the_dwell_values_migration_converts_every_row_both_ways(empty_db_app):
    """0036: text dwell values become sorted uint32 binary with a histogram; downgrade gives the text back."""
    directory = empty_db_app.extensions["migrate"].directory
    texts = {
        "long": " ".join(str(v) for v in sorted((n * 7919) % 90_000 for n in range(400))),  # a histogram
        "short": "30 40 100",
        "empty": "",
        "forged": "5 3000000000",  # past 24 days: capped
    }
    with empty_db_app.app_context():
        upgrade(directory=directory, revision="0035_rollup_open_day")
        with db.engine.begin() as conn:
            for slug, values in texts.items():
                numbers = [int(v) for v in values.split()]
                conn.execute(
                    text(
                        "INSERT INTO rollup_products (day, product_slug, views, viewers, view_sessions, dwell_sessions,"
                        " dwell_total_ms, dwell_median_ms, dwell_values, cart_adds, cart_sessions, checkout_sessions,"
                        " orders, units, revenue) VALUES ('2026-11-02', :slug, 1, 1, 1, :n, :total, :median, :values,"
                        " 0, 0, 0, 0, 0, 0)"
                    ),
                    {
                        "slug": slug,
                        "n": len(numbers),
                        "total": sum(numbers),
                        "median": rr.median_ms(numbers),
                        "values": values,
                    },
                )
        upgrade(directory=directory)
        columns = "product_slug, dwell_sessions, dwell_total_ms, dwell_median_ms, dwell_values, dwell_histogram"
        with db.engine.connect() as conn:
            rows = {r[0]: r[1:] for r in conn.execute(text(f"SELECT {columns} FROM rollup_products"))}
            if db.engine.dialect.name == "postgresql":
                storage = (
                    "SELECT attstorage FROM pg_attribute WHERE attrelid = 'rollup_products'::regclass AND attname = :c"
                )
                assert conn.execute(text(storage), {"c": "dwell_values"}).scalar_one() == "e"  # sliced, not detoasted
        assert set(rows) == set(texts)
        for slug, values in texts.items():
            expected = sorted(rr.capped_dwell(int(v)) for v in values.split())
            fields = rr.dwell_fields(expected)
            assert rows[slug] == tuple(fields[k] for k in columns.split(", ")[1:]), slug
        assert rows["long"][-1] and not rows["short"][-1]  # a histogram for the long row only
        assert rows["forged"][:3] == (2, 5 + rr.DWELL_MAX, round((5 + rr.DWELL_MAX) / 2))
        downgrade(directory=directory, revision="0035_rollup_open_day")
        with db.engine.connect() as conn:
            back = dict(conn.execute(text("SELECT product_slug, dwell_values FROM rollup_products")).all())
        assert back == {**texts, "forged": f"5 {rr.DWELL_MAX}"}
        upgrade(directory=directory)


def test_a_forked_worker_opens_its_own_database_connections(app):
    """gunicorn preloads the app and forks workers: a child must never reuse the parent's socket."""
    forget_connections_after_fork(app)
    with app.app_context():
        db.session.execute(text("SELECT 1")).scalar_one()
        db.session.remove()
        parent_pool = db.engine.pool
        assert parent_pool.checkedin() == 1  # the parent keeps an open connection in its pool
    pid = os.fork()
    if pid == 0:  # the child: an empty pool, then a query on a connection of its own
        code = 1
        try:
            with app.app_context():
                if db.engine.pool is not parent_pool and db.engine.pool.checkedin() == 0:
                    db.session.execute(text("SELECT 1")).scalar_one()
                    code = 0
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with app.app_context():
        assert db.engine.pool is parent_pool and parent_pool.checkedin() == 1  # the parent's is untouched
        assert db.session.execute(text("SELECT 2")).scalar_one() == 2


def test_gunicorn_freezes_the_preloaded_heap_before_forking():
    """Workers' full garbage collections skip what the master built (60-125 ms pauses -> 3-13 ms)."""
    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        config["pre_fork"](None, None)
        assert gc.get_freeze_count() > 10_000  # the imported app, not a handful of objects
    finally:
        gc.unfreeze()


def test_gunicorns_master_compiles_templates_and_loads_languages_before_forking(sqlite_app):
    """Forked workers inherit them instead of spending their first requests on it."""
    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    logged = []

    class Server:
        class cfg:  # noqa: N801
            preload_app = True

        class app:  # noqa: N801 - gunicorn's server.app: the application whose wsgi() is the Flask app
            @staticmethod
            def wsgi():
                return sqlite_app

        class log:  # noqa: N801
            @staticmethod
            def info(message, args):
                logged.append(message % args)

    env = sqlite_app.jinja_env
    env.cache.clear()
    with sqlite_app.app_context():
        babel_cache = get_babel().instance.domain_instance.cache  # one Domain, one cache for the process
    babel_cache.clear()
    config["when_ready"](Server)
    templates = env.list_templates()
    assert len(templates) > 30 and len(env.cache) == len(templates)
    assert {locale for locale, _domain in babel_cache} == {"en", "bn", "es", "zh_Hans"}
    assert logged == [f"warmed up: {len(templates)} templates, 4 languages"]
    with sqlite_app.test_request_context(headers={"Cookie": "locale=es"}):
        assert gettext("Cart") != "Cart"  # the loaded catalogue is the one requests use
