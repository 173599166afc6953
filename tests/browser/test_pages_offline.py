"""A shop page read once opens offline from the service worker, like a product page (tests/browser/test_pwa.py);
it passes axe-core and the phone checks at 360 px on the way."""

from __future__ import annotations

import time

import pytest

from storefront.extensions import db
from storefront.pages import service
from tests.browser.a11y import axe_violations, describe, phone_problems
from tests.browser.helpers import ARGS, CHROMIUM
from tests.builders import make_product
from tests.live_server import LiveServer


@pytest.fixture
def phone(playwright_api, tmp_path):
    """A persistent (non-incognito) Chromium profile on a phone-sized screen, service workers allowed."""
    device = {k: v for k, v in playwright_api.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = playwright_api.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, service_workers="allow", **device
    )
    yield context
    context.close()


@pytest.fixture
def server(sqlite_app, tmp_path):
    """The shop with an about page and a product, under gunicorn."""
    from storefront.clock import utcnow

    with sqlite_app.app_context():
        make_product("Clay mug")
        service.save_page(db.session, "about", "", title="Our story", body="Thrown by hand since 2019.",
                          user_id=None, now=utcnow())  # fmt: skip
        db.session.commit()
    live = LiveServer(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1)
    live.start()
    yield live
    live.stop()


def _poll(page, script: str, timeout: float = 15) -> None:
    """Wait until `script` is true in the page (polled from Python: the CSP forbids string evaluation)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(script):
            return
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}")


def test_a_page_read_once_opens_offline(phone, server):
    page = phone.new_page()
    page.goto(server.url + "/")
    _poll(page, "navigator.serviceWorker.controller !== null")
    page.goto(server.url + "/pages/about")  # once, online, now that the worker controls the page
    assert page.locator("h1").inner_text() == "Our story"
    page.set_viewport_size({"width": 360, "height": 640})  # the phone checks' screen
    # This installable profile shows the shell's install offer, which sits outside any landmark (axe's
    # "region"); it is the same on every page and not this page's: checked here is the page itself.
    page.evaluate("document.querySelectorAll('[data-install-bar]').forEach((bar) => { bar.hidden = true; })")
    assert not axe_violations(page), describe(axe_violations(page), "/pages/about")
    assert not phone_problems(page)
    _poll(page, "caches.open('pages-v1').then((c) => c.match('/pages/about')).then((r) => !!r)")
    server.stop()  # really unreachable, not only emulated
    phone.set_offline(True)
    response = page.goto(server.url + "/pages/about")
    assert response is not None and response.from_service_worker
    assert page.locator("h1").inner_text() == "Our story"
    assert "Thrown by hand since 2019." in page.locator("main").inner_text()
    assert 'href="/pages/about"' in page.content()  # the footer's links came with it
