"""Every setting is read in config.py, so each one enters the page cache's deploy fingerprint."""

from __future__ import annotations

import re
import subprocess
import sys

from storefront import create_app
from storefront.config import ROOT
from tests.helpers import _test_config

ENVIRONMENT_READ = re.compile(r"\bos\.environ\b|\bgetenv\(")


def test_no_module_but_config_reads_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "storefront").rglob("*.py"))
        if path.name != "config.py" and ENVIRONMENT_READ.search(path.read_text(encoding="utf-8"))
    ]
    assert readers == [], "read the setting in storefront/config.py instead"


def test_report_and_beacon_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("REPORTS_REFRESH_SECONDS", "60")
    monkeypatch.setenv("REPORTS_CATCHUP_DAYS", "soon")  # not a whole number: the default stays
    monkeypatch.setenv("EVENTS_RATE_LIMIT", "9 per minute")
    code = "from storefront.config import Config as C; print(C.REPORTS_REFRESH_SECONDS, C.REPORTS_CATCHUP_DAYS)"
    code += "; print(C.EVENTS_RATE_LIMIT)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:2] == ["60 14", "9 per minute"]


def test_the_defaults_stay(sqlite_app):
    config = sqlite_app.config
    assert (config["REPORTS_REFRESH_SECONDS"], config["REPORTS_CATCHUP_DAYS"]) == (300, 14)
    assert config["EVENTS_RATE_LIMIT"] == "120 per minute"


def test_a_changed_setting_changes_the_page_cache_fingerprint(tmp_path):
    def fingerprint(**changes) -> str:
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        app = create_app({**_test_config(), "SQLALCHEMY_DATABASE_URI": url, **changes})
        return app.extensions["pagecache"].fingerprint

    assert fingerprint() == fingerprint()
    assert fingerprint(REPORTS_CATCHUP_DAYS=3) != fingerprint()
    assert fingerprint(EVENTS_RATE_LIMIT="9 per minute") != fingerprint()
