"""Run a Chromium scenario in its own thread, so it never meets the Playwright of tests/browser.

Playwright's sync API allows one instance per thread (tests/browser keeps a session-wide one
running); a scenario here gets a fresh thread, Playwright and Chromium, and is skipped (or
fails when STOREFRONT_REQUIRE_BROWSER=1) exactly like tests/browser when Chromium is missing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.browser.helpers import ARGS, CHROMIUM, _browser_required


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve the test app on a loopback port from a thread (starts at once, unlike gunicorn)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def run_in_chromium(scenario: Callable) -> None:
    """Call scenario(browser, expect) with a fresh headless Chromium in a separate thread."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        if _browser_required():
            pytest.fail("playwright is not installed but browser tests are required")
        pytest.skip("browser tests skipped: pip install playwright (and apt-get install chromium)")
    if not os.path.exists(CHROMIUM):
        if _browser_required():
            pytest.fail("Chromium is not installed but browser tests are required (apt-get install chromium)")
        pytest.skip("browser tests skipped: apt-get install chromium")

    def run() -> None:
        with sync_playwright() as api:
            browser = api.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                scenario(browser, expect)
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()
