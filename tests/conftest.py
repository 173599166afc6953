"""Fixtures: an app per test on SQLite (temp file) and, when configured, on PostgreSQL too."""

from __future__ import annotations

import functools
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from storefront import create_app
from storefront.auth import models as auth_models
from storefront.extensions import db
from tests.builders import ShopClient
from tests.helpers import REDIS_URL, _make_app, _truncate_all

pytest_plugins = ["tests.clock"]  # every test at a pinned instant (tests/clock.py)

PG_ENV = "STOREFRONT_TEST_DATABASE_URL"


def _postgres_required() -> bool:
    """CI must never skip PostgreSQL silently."""
    return os.environ.get("STOREFRONT_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL database for this test run (created and dropped here)."""
    base = os.environ.get(PG_ENV)
    if not base:
        if _postgres_required():
            pytest.fail(f"{PG_ENV} is not set but PostgreSQL tests are required here.")
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"storefront_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    from storefront import models  # noqa: F401

    db.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each database-facing test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


@pytest.fixture
def app(db_url, tmp_path):
    """The shop, configured for tests, with an empty schema."""
    yield from _make_app(db_url, tmp_path)


@pytest.fixture
def sqlite_app(tmp_path):
    """The shop on SQLite only, for tests whose subject does not depend on the database."""
    yield from _make_app(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path)


@pytest.fixture
def client(app):
    """A shopper's browser (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def shop(app):
    """A shopper with helpers for CSRF, cart and checkout."""
    return ShopClient(app.test_client())


@pytest.fixture
def runner(app):
    """The flask command runner."""
    return app.test_cli_runner()


@pytest.fixture
def empty_db_app(db_url, tmp_path):
    """An app whose database has no tables yet (PostgreSQL: a fresh schema)."""
    url = db_url
    if not url.startswith("sqlite"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS mig CASCADE"))
            conn.execute(text("CREATE SCHEMA mig"))
        engine.dispose()
        url += ("&" if "?" in url else "?") + "options=-csearch_path%3Dmig"
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path / "media")}
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def quick_password_hash(monkeypatch):
    """For tests that sign in but are not about hashing: one round keeps sign-ins fast.

    Use with `pytestmark = pytest.mark.usefixtures("quick_password_hash")`; tests/auth use the real hash.
    """
    monkeypatch.setattr(
        auth_models, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    )


@pytest.fixture
def redis_url():
    """The test Redis (shared cache, shared rate limits); CI has it and must not skip."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        if _postgres_required():  # the same switch: CI requires every service
            pytest.fail(f"Redis is not reachable at {REDIS_URL} but Redis tests are required here")
        pytest.skip(f"Redis tests skipped: no Redis at {REDIS_URL}")
    return REDIS_URL
