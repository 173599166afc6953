"""The beacon's rate limit is a setting (EVENTS_RATE_LIMIT): the load benchmark raises it, nothing else."""

from __future__ import annotations

from storefront import create_app
from storefront.extensions import db
from tests.analytics.conftest import event_count, send
from tests.conftest import _test_config

PAGE_VIEW = {"events": [{"name": "page_view", "path": "/"}]}


def test_the_limit_comes_from_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTS_RATE_LIMIT", "3 per minute")
    app = create_app({**_test_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}"})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert [send(client, PAGE_VIEW).status_code for _ in range(4)] == [202, 202, 202, 429]
    assert send(client, PAGE_VIEW, ip="198.51.100.9").status_code == 202  # per address
    assert event_count(app) == 4
    with app.app_context():
        db.engine.dispose()


def test_the_default_stays_120_a_minute(sqlite_app):
    assert sqlite_app.config["EVENTS_RATE_LIMIT"] == "120 per minute"
