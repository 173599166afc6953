"""Browser fixtures: Debian's Chromium driven by Playwright against a real gunicorn."""

from __future__ import annotations

import os

import pytest

from tests.browser.helpers import ARGS, CHROMIUM, _browser_required
from tests.builders import make_category, make_product
from tests.live_server import gunicorn


@pytest.fixture(scope="session")
def playwright_api():
    """Playwright with Debian's Chromium; skipped only where neither is installed and not required."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if _browser_required():
            pytest.fail("playwright is not installed but browser tests are required")
        pytest.skip("browser tests skipped: pip install playwright (and apt-get install chromium)")
    if not os.path.exists(CHROMIUM):
        if _browser_required():
            pytest.fail("Chromium is not installed but browser tests are required (apt-get install chromium)")
        pytest.skip("browser tests skipped: apt-get install chromium")
    with sync_playwright() as api:
        yield api


@pytest.fixture(scope="session")
def expect(playwright_api):
    """Playwright's polling assertions (locator-based, so they work under the shop's CSP)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


@pytest.fixture(scope="session")
def browser(playwright_api):
    browser = playwright_api.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_shop(sqlite_app, tmp_path):
    """A small shop served by gunicorn; yields (base_url, product slug)."""
    with sqlite_app.app_context():
        category = make_category("Clothing")
        product = make_product("Merino coat", price=12000, variants=(("S", 5), ("M", 2)), category=category)
        for n in range(3):
            make_product(f"Very long product name number {n} with words", category=category)
        slug = product.slug
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base, slug


@pytest.fixture(scope="package")
def a11y_shop(tmp_path_factory, playwright_api):
    """The shop with every kind of page (tests/browser/a11y.py), built and served once for the axe and phone sweeps."""
    from tests.browser.a11y import serve_a11y_shop

    with serve_a11y_shop(tmp_path_factory.mktemp("a11y")) as shop:
        yield shop


@pytest.fixture(scope="package")
def a11y_sweep(browser, a11y_shop, expect):
    """Each a11y page loaded once per walker and screen; test_axe.py and test_phone_pages.py read its findings."""
    from tests.browser.a11y import Sweep

    sweep = Sweep(browser, a11y_shop, expect)
    yield sweep
    sweep.close()
