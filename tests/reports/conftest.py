"""Report fixtures: a shop in a non-UTC time zone and its generated history (builders in helpers.py)."""

from __future__ import annotations

import functools
from datetime import datetime

import pytest
from werkzeug.security import generate_password_hash

from storefront import create_app
from storefront.auth import models as auth_models
from storefront.clock import utcnow
from storefront.extensions import db
from tests.helpers import _test_config
from tests.reports.helpers import ZONE, catalogue, generate, run_rollup


@pytest.fixture(autouse=True)
def quick_password_hash(monkeypatch):
    """These tests are not about hashing: one round keeps sign-ins fast."""
    monkeypatch.setattr(
        auth_models, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    )


@pytest.fixture
def report_app(db_url, tmp_path):
    """The shop on SQLite and on PostgreSQL, in New York time."""
    yield from _report_app(db_url, tmp_path)


@pytest.fixture
def report_sqlite_app(tmp_path):
    """The same on SQLite only, for tests whose subject does not depend on the database."""
    yield from _report_app(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path)


def _report_app(db_url: str, tmp_path):
    application = create_app(
        {
            **_test_config(),
            "SQLALCHEMY_DATABASE_URI": db_url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "SHOP_TIMEZONE": ZONE.key,
            "BABEL_DEFAULT_TIMEZONE": ZONE.key,
        }
    )
    with application.app_context():
        if db_url.startswith("sqlite"):
            db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def history(report_app):
    """A small generated history, rolled up (SQLite and PostgreSQL); returns `now`, when it was made."""
    return _history(report_app, events=700, orders=50)


@pytest.fixture
def rich_history(report_app):
    """A bigger one, for the brute-force comparison."""
    return _history(report_app, events=1600, orders=90)


@pytest.fixture
def sqlite_history(report_sqlite_app):
    """The small history on SQLite only."""
    return _history(report_sqlite_app, events=700, orders=50)


def _history(app, events: int, orders: int) -> datetime:
    now = utcnow()
    with app.app_context():
        catalogue()
        generate(now, events=events, orders=orders)
        run_rollup(now)
    return now
