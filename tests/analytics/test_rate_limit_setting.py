"""The beacon's rate limit is a setting (EVENTS_RATE_LIMIT): the load benchmark raises it, nothing else."""

from __future__ import annotations

import subprocess
import sys

from storefront import create_app
from storefront.config import ROOT
from storefront.extensions import db
from tests.analytics.helpers import event_count, send
from tests.helpers import _test_config

PAGE_VIEW = {"events": [{"name": "page_view", "path": "/"}]}


def test_the_setting_comes_from_the_environment(monkeypatch):
    # Read in config.py like every setting, so when the module is imported: a fresh interpreter.
    monkeypatch.setenv("EVENTS_RATE_LIMIT", "3 per minute")
    code = "from storefront.config import Config; print(Config.EVENTS_RATE_LIMIT)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "3 per minute"


def test_the_limit_comes_from_the_setting(tmp_path):
    config = {**_test_config(), "EVENTS_RATE_LIMIT": "3 per minute"}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}"})
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
