"""The installable app in Debian's Chromium: installability, offline browsing, privacy of the
caches, the offline outbox and the update flow (issue 3's acceptance points 1-5)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.cart.models import CartLine
from storefront.catalog import service as catalog
from storefront.catalog.images import render_demo_photo
from storefront.extensions import db
from tests.browser.helpers import ARGS, CHROMIUM
from tests.builders import PASSWORD, make_category, make_product, make_user
from tests.live_server import ROOT, LiveServer

PRIVATE = ("/admin", "/seller", "/cart", "/checkout", "/o/", "/login")


@pytest.fixture
def shop_data(sqlite_app, tmp_path):
    """Three products with photos, a category and an owner; returns their slugs."""
    app = sqlite_app
    with app.app_context():
        category = make_category("Home")
        slugs = []
        for n, title in enumerate(("Ceramic vase", "Wool throw", "Oak table")):
            product = make_product(title, price=2500 + n, variants=(("", 9),), category=category)
            catalog.store_photo(
                db.session, product, render_demo_photo(title, n, (700, 700)), tmp_path / "media", alt=title
            )
            slugs.append(product.slug)
        db.session.commit()
        make_user()
    return slugs


@pytest.fixture
def server(sqlite_app, tmp_path, shop_data):
    live = LiveServer(
        sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1, **getattr(server, "extra_env", {})
    )
    live.start()
    yield live
    live.stop()


@pytest.fixture
def phone(playwright_api, tmp_path):
    """A persistent (non-incognito) Chromium profile on a phone-sized screen, workers allowed."""
    device = {k: v for k, v in playwright_api.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = playwright_api.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, service_workers="allow", **device
    )
    yield context
    context.close()


def controlled(page, timeout: float = 15) -> None:
    """Wait until the service worker controls the page (polled: the CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        time.sleep(0.1)
    raise AssertionError("the service worker never took control")


def cached_urls(page) -> dict[str, list[str]]:
    """Every URL in every Cache Storage cache of the page's origin, by cache name."""
    return page.evaluate("""async () => {
        const out = {};
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
        }
        return out;
    }""")


def wait_cached(page, path: str, timeout: float = 10) -> None:
    """Wait until `path` is in the page cache."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path in cached_urls(page).get("pages-v1", []):
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} was never cached: {cached_urls(page)}")


def test_chrome_says_the_shop_is_installable(phone, server):
    page = phone.new_page()
    page.goto(server.url + "/")
    controlled(page)
    cdp = phone.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")


def test_viewed_pages_work_offline_and_others_show_the_offline_page(phone, server, shop_data, expect):
    vase, throw, table = shop_data
    page = phone.new_page()
    page.goto(server.url + "/")
    controlled(page)
    wait_cached(page, "/")  # the first page came before the worker: it asks for a copy
    visited = ["/c/home", f"/p/{vase}", f"/p/{throw}"]
    for path in visited:
        page.goto(server.url + path)
        expect(page.locator("main img").first).to_be_visible()
        wait_cached(page, path)
    server.stop()  # really unreachable, not only emulated
    phone.set_offline(True)
    for path in ["/", *visited]:
        response = page.goto(server.url + path)
        assert response is not None and response.from_service_worker, path
        assert page.locator("h1").first.is_visible()
        images = page.locator("main img")
        assert images.count() > 0
        assert page.evaluate(
            "[...document.querySelectorAll('main img')].every(i => i.complete && i.naturalWidth > 0)"
        ), path
    page.goto(server.url + f"/p/{table}")
    assert "offline" in page.locator("h1").inner_text().lower()
    listed = page.locator("[data-offline-products] a")
    expect(listed).to_have_count(2)
    hrefs = sorted(listed.nth(i).get_attribute("href") for i in range(2))
    assert hrefs == sorted([f"/p/{vase}", f"/p/{throw}"])
    expect(page.locator("[data-offline-bar]")).to_be_visible()


def test_private_pages_never_reach_the_caches(phone, server, shop_data, expect):
    page = phone.new_page()
    page.goto(server.url + "/login?next=/admin/")
    controlled(page)
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    for path in ("/admin/orders", "/admin/stock", "/admin/products", "/admin/stock/ledger"):
        page.goto(server.url + path)
    page.goto(server.url + f"/p/{shop_data[0]}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]").first).to_have_text("1")
    page.goto(server.url + "/cart")
    page.goto(server.url + "/checkout")
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Phone", exact=True).fill("+1 555 0100")
    page.get_by_label("Pick up at the shop").check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/o/**")
    page.goto(server.url + "/")
    wait_cached(page, f"/p/{shop_data[0]}")
    everything = [url for urls in cached_urls(page).values() for url in urls]
    assert everything, "the crawl cached nothing at all"
    leaked = [url for url in everything if url.startswith(PRIVATE)]
    assert leaked == [], leaked


def test_add_to_cart_offline_is_sent_when_back_online(phone, server, shop_data, sqlite_app, expect):
    page = phone.new_page()
    page.goto(server.url + f"/p/{shop_data[1]}")
    controlled(page)
    server.stop()
    phone.set_offline(True)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-live]")).to_contain_text("we'll add it when you're back")
    queued = page.evaluate("StorefrontOutbox.all().then((items) => items.map((i) => i.kind))")
    assert queued == ["cart"]
    with sqlite_app.app_context():
        assert db.session.scalars(select(CartLine)).all() == []
    server.start()
    phone.set_offline(False)
    expect(page.locator("[data-cart-count]").first).to_have_text("1", timeout=15000)
    with sqlite_app.app_context():
        lines = db.session.scalars(select(CartLine)).all()
        assert [(line.quantity, line.variant.product.slug) for line in lines] == [(1, shop_data[1])]
    assert page.evaluate("StorefrontOutbox.all().then((items) => items.length)") == 0


@pytest.fixture
def static_copy(tmp_path):
    """A copy of static/ that the test may change, served instead of the repository's."""
    folder = tmp_path / "static"
    shutil.copytree(ROOT / "static", folder)
    return folder


def test_a_changed_shell_file_makes_a_new_cache_and_drops_the_old(
    phone, sqlite_app, tmp_path, shop_data, static_copy, expect
):
    live = LiveServer(
        sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "media",
        workers=1,
        STOREFRONT_STATIC_FOLDER=str(static_copy),
    )
    live.start()
    try:
        page = phone.new_page()
        page.goto(live.url + "/")
        controlled(page)
        (old_shell,) = [name for name in cached_urls(page) if name.startswith("shell-")]
        css = static_copy / "css" / "app.css"
        css.write_text(css.read_text() + "\n/* a deploy */\n")
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        expect(page.locator("[data-update-bar]")).to_be_visible(timeout=15000)
        with page.expect_navigation():
            page.get_by_role("button", name="Refresh").click()
        controlled(page)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            shells = [name for name in cached_urls(page) if name.startswith("shell-")]
            if shells and old_shell not in shells:
                break
            time.sleep(0.2)
        assert len(shells) == 1 and shells[0] != old_shell, (old_shell, shells)
        assert any("/static/css/app.css?v=" in url for url in cached_urls(page)[shells[0]])
    finally:
        live.stop()


def test_service_worker_is_served_fresh_from_the_root(server):
    import urllib.request

    with urllib.request.urlopen(server.url + "/service-worker.js") as response:
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["Content-Type"].startswith("text/javascript")
        source = response.read().decode()
    assert "__SHELL_VERSION__" not in source and "const SHELL_URLS = [" in source
    assert Path(ROOT / "service-worker.js").exists()


# Chrome fires a real beforeinstallprompt for this shop too (it is installable); both the real
# event's prompt() and our stand-in's record the call, since headless Chrome shows no dialog.
RECORD_PROMPT = """() => {
    if (window.BeforeInstallPromptEvent) {
        BeforeInstallPromptEvent.prototype.prompt = function () { window.__prompted = true; return Promise.resolve(); };
        Object.defineProperty(BeforeInstallPromptEvent.prototype, 'userChoice',
            {get: () => Promise.resolve({outcome: 'accepted'}), configurable: true});
    }
}"""

FAKE_PROMPT = """() => {
    const event = new Event('beforeinstallprompt', {cancelable: true});
    event.prompt = () => { window.__prompted = true; };
    event.userChoice = Promise.resolve({outcome: 'accepted'});
    window.dispatchEvent(event);
    return event.defaultPrevented;
}"""


def test_install_button_at_a_sensible_moment_and_dismissal_remembered(phone, server, shop_data, expect):
    page = phone.new_page()
    page.goto(server.url + "/")
    assert page.evaluate(FAKE_PROMPT) is True, "the browser's own mini-infobar is replaced by our button"
    expect(page.locator("[data-install-bar]")).to_be_hidden()  # first page view: too early to ask
    page.goto(server.url + f"/p/{shop_data[0]}")
    page.evaluate(FAKE_PROMPT)
    expect(page.locator("[data-install-bar]")).to_be_visible()
    page.evaluate(RECORD_PROMPT)
    page.get_by_role("button", name="Install app").click()
    assert page.evaluate("window.__prompted === true")
    expect(page.locator("[data-install-bar]")).to_be_hidden()
    page.goto(server.url + f"/p/{shop_data[1]}")
    page.evaluate(FAKE_PROMPT)
    page.get_by_role("button", name="Not now").first.click()
    page.goto(server.url + "/c/home")
    page.evaluate(FAKE_PROMPT)
    expect(page.locator("[data-install-bar]")).to_be_hidden()  # dismissed: remembered for 30 days


def test_installed_app_shows_no_install_offer(phone, server, shop_data, expect):
    # Headless Chrome cannot launch the installed app; make the page see what it would see there.
    phone.add_init_script("""(() => {
        const real = window.matchMedia.bind(window);
        window.matchMedia = (q) =>
            q.includes('display-mode: standalone') ? Object.assign(real('all'), {matches: true}) : real(q);
    })();""")
    page = phone.new_page()
    for path in ("/", f"/p/{shop_data[0]}", "/c/home"):
        page.goto(server.url + path)
        page.evaluate(FAKE_PROMPT)
        expect(page.locator("[data-install-bar]")).to_be_hidden()
        expect(page.locator("[data-ios-hint]")).to_be_hidden()


def test_ios_safari_gets_the_add_to_home_screen_hint(playwright_api, browser, server, shop_data, expect):
    device = {k: v for k, v in playwright_api.devices["iPhone 13"].items() if k != "default_browser_type"}
    context = browser.new_context(**device)
    page = context.new_page()
    page.goto(server.url + "/")
    expect(page.locator("[data-ios-hint]")).to_be_hidden()
    page.goto(server.url + f"/p/{shop_data[0]}")
    expect(page.locator("[data-ios-hint]")).to_be_visible()
    expect(page.locator("[data-ios-hint]")).to_contain_text("Add to Home Screen")
    page.get_by_role("button", name="Got it").click()
    page.goto(server.url + "/c/home")
    expect(page.locator("[data-ios-hint]")).to_be_hidden()
    context.close()


def test_beacon_made_offline_reaches_the_server_when_back_online(phone, server, shop_data, sqlite_app, expect):
    from storefront.analytics.models import Event
    from tests.browser.test_tracker import SWITCH_AWAY

    page = phone.new_page()
    page.goto(server.url + f"/p/{shop_data[2]}")
    controlled(page)
    server.stop()
    phone.set_offline(True)
    page.evaluate(SWITCH_AWAY)  # the tracker flushes its batch: page_view, view_item, engagement
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not page.evaluate("StorefrontOutbox.all().then((i) => i.length)"):
        time.sleep(0.1)
    assert page.evaluate("StorefrontOutbox.all().then((items) => items.map((i) => i.kind))") == ["beacon"]
    with sqlite_app.app_context():
        assert db.session.scalars(select(Event)).all() == []
    server.start()
    phone.set_offline(False)
    deadline = time.monotonic() + 15
    names: list[str] = []
    while time.monotonic() < deadline:
        with sqlite_app.app_context():
            names = sorted(e.name for e in db.session.scalars(select(Event).where(Event.product_slug == shop_data[2])))
        if "view_item" in names:
            break
        time.sleep(0.2)
    assert "view_item" in names and "engagement" in names, names
    assert names.count("view_item") == 1, "sent once, not once by the page and again by the worker"
