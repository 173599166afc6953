"""A seller's page opened from a chat link: kept by the service worker for offline, fine on small phones."""

from __future__ import annotations

import time

import pytest

from tests.browser.a11y import axe_violations, describe, phone_problems
from tests.browser.helpers import ARGS, CHROMIUM
from tests.builders import make_product
from tests.live_server import LiveServer
from tests.sellers.builders import make_seller
from tests.showcase.public_helpers import make_collection, set_picks


@pytest.fixture
def live_showroom(sqlite_app, tmp_path):
    """Anna's page with two picks, under gunicorn (a real server: the service worker needs one)."""
    with sqlite_app.app_context():
        mug, bowl = make_product("Clay mug", price=1200), make_product("Tea bowl", price=900, variants=(("One", 0),))
        anna = make_seller("ANNA24")
        set_picks(anna, [bowl, mug])
        make_collection(anna, "Eid gifts under ৳1,000 for the whole family", "eid-gifts-k3f9q", [mug, bowl])
    live = LiveServer(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def phone(request, tmp_path):
    """A persistent (non-incognito) Chromium profile on a phone-sized screen, service workers allowed."""
    api = request.getfixturevalue("playwright_api")  # skips (or fails when required) without Chromium
    device = {k: v for k, v in api.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = api.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, service_workers="allow", **device
    )
    yield context
    context.close()


def _poll(page, script: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(script):
            return
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}")


def test_a_sellers_page_opened_from_a_chat_link_works_offline_and_on_small_phones(phone, live_showroom):
    page = phone.new_page()
    page.goto(live_showroom.url + "/s/anna24")  # the shopper taps the shared link: the first page of the shop
    assert page.locator("h1").inner_text() == "Anna24"
    _poll(page, "navigator.serviceWorker.controller !== null")
    # The first answer set the attribution cookie (private, not stored); the worker keeps a copy fetched with it.
    _poll(page, "caches.open('pages-v1').then((c) => c.match(location.href)).then((r) => !!r)")
    page.evaluate("document.querySelectorAll('[data-install-bar]').forEach((bar) => { bar.hidden = true; })")
    for width in (320, 390):
        page.set_viewport_size({"width": width, "height": 700})
        assert not phone_problems(page), (width, phone_problems(page))
    assert not axe_violations(page), describe(axe_violations(page), "/s/anna24")
    page.goto(live_showroom.url + "/collections/eid-gifts-k3f9q")
    page.evaluate("document.querySelectorAll('[data-install-bar]').forEach((bar) => { bar.hidden = true; })")
    for width in (320, 390, 1280):
        page.set_viewport_size({"width": width, "height": 700})
        assert not phone_problems(page), (width, phone_problems(page))
    assert not axe_violations(page), describe(axe_violations(page), "/collections/eid-gifts-k3f9q")
    page.goto(live_showroom.url + "/s/anna24")
    live_showroom.stop()  # really unreachable, not only emulated
    phone.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    assert page.locator("h1").inner_text() == "Anna24"
    assert "Sold out" in page.locator("main").inner_text()
