"""Web Push in Debian's Chromium (issue 18): the service worker shows pushed messages (delivered
over CDP, as a push service would) in their own language, a tap opens the order page in the
shop's window, a garbled push shows a plain notice, and static/js/notify.js asks for permission
only when the button is pressed, then posts the subscription with the CSRF header."""

from __future__ import annotations

import base64
import json
import time

import pytest

from storefront.core.templating import static_url
from tests.browser.helpers import ARGS, CHROMIUM
from tests.builders import make_product
from tests.live_server import gunicorn
from tests.sellers.builders import make_order


@pytest.fixture
def shop(sqlite_app, tmp_path):
    """A shop with one order, served by gunicorn; yields (base URL, order page URL, order reference)."""
    with sqlite_app.app_context():
        order = make_order([(make_product("Merino coat", price=12000), 1)])
        token, reference = order.token, order.reference
        with sqlite_app.test_request_context():
            script = static_url("js/notify.js")
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield {"base": base, "order": f"{base}/o/{token}", "reference": reference, "script": script}


@pytest.fixture
def phone(playwright_api, tmp_path):
    """A persistent (non-incognito: push and notifications are off in incognito) phone profile."""
    device = {k: v for k, v in playwright_api.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = playwright_api.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, service_workers="allow", **device
    )
    yield context
    context.close()


def wait_until(page, check, timeout: float = 10, message: str = "timed out"):
    """Poll `check()` until it returns something truthy (the CSP forbids wait_for_function's eval);
    waiting through `page` lets Playwright deliver CDP events meanwhile (time.sleep would not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(message() if callable(message) else message)


# Controlling the page is not enough: a push reaching a worker still activating is dropped.
ACTIVATED = """navigator.serviceWorker.controller !== null &&
    navigator.serviceWorker.ready.then((r) => r.active.state === 'activated')"""


def worker_page(context, base: str):
    """A shop page controlled by the active service worker, with notifications allowed."""
    context.grant_permissions(["notifications"], origin=base)
    page = context.new_page()
    page.goto(base + "/")
    wait_until(page, lambda: page.evaluate(ACTIVATED), 15, "the service worker never took control")
    return page


class Pusher:
    """Delivers push messages to the shop's worker over CDP, as the push service would."""

    def __init__(self, context, page, base: str) -> None:
        self.base = base
        self.cdp = context.new_cdp_session(page)
        self.registrations: list[dict] = []
        self.errors: list[dict] = []  # uncaught errors in the worker, as DevTools reports them
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: self.registrations.extend(e["registrations"]))
        self.cdp.on("ServiceWorker.workerErrorReported", lambda e: self.errors.append(e["errorMessage"]))
        self.cdp.send("ServiceWorker.enable")
        found = wait_until(page, self._registration, 10, lambda: f"no registration for {base}/: {self.registrations}")
        self.registration_id = found["registrationId"]
        self._warm_up(page)

    def _warm_up(self, page) -> None:
        """Push until one message is shown, then close it. Chromium drops a push that comes just
        after the worker is installed (before its registration is stored), without a word."""
        for _attempt in range(15):
            self.push(json.dumps({"title": "warm-up", "tag": WARM_UP}))
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                if page.evaluate(CLOSE_WARM_UP):
                    return
                page.wait_for_timeout(100)
        raise AssertionError("no push message ever reached the service worker")

    def _registration(self) -> dict | None:
        for item in self.registrations:
            if item["scopeURL"] == self.base + "/" and not item.get("isDeleted"):
                return item
        return None

    def push(self, data: str) -> None:
        """Deliver one push message (any text: JSON or not)."""
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.base, "registrationId": self.registration_id, "data": data},
        )


WARM_UP = "warm-up"
CLOSE_WARM_UP = f"""navigator.serviceWorker.ready.then((r) => r.getNotifications({{tag: '{WARM_UP}'}}))
    .then((list) => {{ list.forEach((n) => n.close()); return list.length > 0; }})"""
NOTIFICATIONS = f"""() => navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) =>
    list.filter((n) => n.tag !== '{WARM_UP}').map((n) => ({{title: n.title, body: n.body, lang: n.lang,
        tag: n.tag, data: n.data, icon: n.icon, renotify: n.renotify}})))"""


def notifications(page) -> list[dict]:
    """The shop's notifications currently shown, as the page's worker registration reports them."""
    return page.evaluate(NOTIFICATIONS)


def shown(page, count: int, timeout: float = 10) -> list[dict]:
    """Wait until exactly `count` notifications are shown; return them."""
    return wait_until(
        page,
        lambda: (lambda found: found if len(found) == count else None)(notifications(page)),
        timeout,
        lambda: f"expected {count} notifications, saw {notifications(page)}",
    )


def deliver(pusher, page, message: dict) -> list[dict]:
    """Push `message` until it shows (a busy Chromium may drop a push without a word, as at start-up);
    a repeat has the same tag, so it replaces rather than adds. Returns what is shown."""
    for _attempt in range(4):
        pusher.push(json.dumps(message))
        try:
            return shown(page, 1, timeout=4)
        except AssertionError:
            continue
    return shown(page, 1)


PAYLOADS = [
    {"title": "Order K7F3Q shipped", "body": "It is on its way.", "tag": "order-K7F3Q", "lang": "en"},
    {
        "title": "Tu pedido K7F3Q va en camino",
        "body": "Llegará el miércoles. ¡Gracias!",
        "tag": "order-K7F3Q-es",
        "lang": "es",
    },
    {"title": "আপনার অর্ডার K7F3Q পাঠানো হয়েছে", "body": "বুধবার পৌঁছাবে। ধন্যবাদ!", "tag": "order-K7F3Q-bn", "lang": "bn"},
]


def test_a_pushed_message_is_shown_in_its_own_language(phone, shop):
    base = shop["base"]
    page = worker_page(phone, base)
    pusher = Pusher(phone, page, base)
    for n, payload in enumerate(PAYLOADS, start=1):
        pusher.push(json.dumps({**payload, "url": shop["order"]}, ensure_ascii=False))
        latest = {item["tag"]: item for item in shown(page, n)}[payload["tag"]]
        assert latest["title"] == payload["title"]
        assert latest["body"] == payload["body"]
        assert latest["lang"] == payload["lang"]
        assert latest["data"] == {"url": shop["order"]}
        assert latest["renotify"] is True
        assert latest["icon"].startswith(base + "/icons/icon-192.png?v="), latest["icon"]
    # A newer message about the same order replaces the one shown (same tag), it does not pile up.
    pusher.push(json.dumps({**PAYLOADS[0], "body": "Delivered.", "url": shop["order"]}))
    wait_until(page, lambda: [n["body"] for n in notifications(page) if n["tag"] == "order-K7F3Q"] == ["Delivered."])
    assert len(notifications(page)) == 3
    assert pusher.errors == []


# A real dispatch of the worker's own `notificationclick` listener, for the notification shown
# with `tag`. An event made by script cannot be extended (waitUntil throws), so this one keeps
# the promise the listener hands to waitUntil and returns what it resolved to. Chromium allows
# focus() and openWindow() only while a real tap is handled (a test cannot tap a notification):
# the listener's focus() fails quietly, and with `stub` set, clients.openWindow only records the
# URL it was asked to open.
CLICK = """async ({tag, stub}) => {
    const [notification] = await self.registration.getNotifications({tag});
    if (!notification) return {error: 'no notification ' + tag};
    self.__opened = [];
    if (stub) self.clients.openWindow = async (url) => { self.__opened.push(url); return null; };
    const event = new NotificationEvent('notificationclick', {notification});
    let pending = null;
    event.waitUntil = (promise) => { pending = promise; };
    self.dispatchEvent(event);
    const client = await pending;
    if (stub) delete self.clients.openWindow;
    return {client: client ? client.url : null, opened: self.__opened,
            left: (await self.registration.getNotifications({tag})).length};
}"""


def click(context, tag: str, stub: bool = False) -> dict:
    """Tap the notification `tag` (see CLICK); returns {client, opened, left}."""
    (worker,) = context.service_workers
    return worker.evaluate(CLICK, {"tag": tag, "stub": stub})


def test_tapping_a_notification_opens_the_order_page_in_the_shops_window(phone, shop, expect):
    base, order = shop["base"], shop["order"]
    page = worker_page(phone, base)
    pusher = Pusher(phone, page, base)
    # Each step uses its own tag: Chromium finishes closing a tapped notification a moment later,
    # and would take a new one with the same tag (hence the same id) down with it.
    message = {"title": "Order shipped", "body": "On its way.", "lang": "en", "url": order}

    deliver(pusher, page, {**message, "tag": "order-1"})
    with page.expect_navigation(url=order):
        result = click(phone, "order-1")
    assert result == {"client": order, "opened": [], "left": 0}, "the shop's window went there; closed"
    expect(page.locator("main")).to_contain_text(shop["reference"])

    # Already showing that page: it is only brought forward, not loaded again.
    page.evaluate("window.__still_here = true")
    deliver(pusher, page, {**message, "tag": "order-2"})
    assert click(phone, "order-2") == {"client": order, "opened": [], "left": 0}
    assert page.evaluate("window.__still_here === true") and page.url == order

    # Another site's address is never opened: the shop's home page is.
    (notice,) = deliver(pusher, page, {**message, "tag": "order-3", "url": "https://evil.example/o/steal"})
    assert notice["data"] == {"url": base + "/"}
    with page.expect_navigation(url=base + "/"):
        assert click(phone, "order-3")["client"] == base + "/"

    # No window of the shop open: a new one opens at the order page.
    deliver(pusher, page, {**message, "tag": "order-4"})
    page.close()
    assert click(phone, "order-4", stub=True) == {"client": None, "opened": [order], "left": 0}
    assert pusher.errors == []


@pytest.mark.parametrize(
    "garbled",
    [
        "not json at all",
        '["a", "list"]',
        '{"title": 42, "body": null, "url": "javascript:alert(1)", "lang": "<b>"}',
        "",
    ],
)
def test_a_garbled_push_shows_a_plain_notice_of_the_shop_and_never_throws(phone, shop, garbled):
    base = shop["base"]
    page = worker_page(phone, base)
    pusher = Pusher(phone, page, base)
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pusher.push(garbled)
    (notice,) = shown(page, 1)
    assert notice["title"] == page.evaluate("fetch('/manifest.json').then((r) => r.json()).then((m) => m.name)")
    assert notice["title"]
    assert notice["body"] == "" and notice["lang"] == "" and notice["tag"] == "" and notice["renotify"] is False
    assert notice["data"] == {"url": base + "/"}
    assert pusher.errors == [] and errors == []


# ---- static/js/notify.js -------------------------------------------------------------------
# The button's markup belongs to the order, product and account pages (templates/); here it is
# added to the home page as the markup contract of notify-design.md says, then the real
# fingerprinted notify.js is loaded from the shop, as a page's {% block scripts %} would.
OFFER = """async ({script, key}) => {
    const el = document.createElement('div');
    el.className = 'push-offer';
    el.hidden = true;
    Object.assign(el.dataset, {push: '', pushUrl: '/notify/push', pushKey: key, pushFor: 'order',
        pushToken: 'ORDER-TOKEN', msgDone: 'We will tell you here.',
        msgDenied: 'Notifications are blocked for this shop.', msgFailed: 'Could not turn on notifications.'});
    el.innerHTML = '<button type="button" class="btn" data-push-button>Tell me when my order ships</button>' +
        '<p class="push-status" data-push-status role="status" aria-live="polite"></p>' +
        '<input type="hidden" name="csrf_token">';
    el.querySelector('input').value = document.querySelector('meta[name="csrf-token"]').content;
    document.querySelector('main').append(el);
    await new Promise((resolve, reject) => {
        const tag = Object.assign(document.createElement('script'), {src: script, onload: resolve, onerror: reject});
        document.head.append(tag);
    });
}"""

# Every call to Notification.requestPermission is counted (the real one still answers).
SPY = """(() => {
    window.__asked = 0;
    const real = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args) => { window.__asked += 1; return real(...args); };
})();"""

# Headless Chromium has no push service, so subscribe() is replaced: it records its options and
# returns a subscription whose toJSON() is what a browser's would be; getSubscription() then
# returns it (the "already subscribed" path).
FAKE_PUSH = """(() => {
    const json = {endpoint: 'https://push.example/send/abc123', expirationTime: null,
                  keys: {p256dh: 'BPublicKeyOfTheBrowser', auth: 'AuthSecret16'}};
    let current = null;
    window.__subscribed = [];
    PushManager.prototype.getSubscription = async function () { return current; };
    PushManager.prototype.subscribe = async function (options) {
        window.__subscribed.push({userVisibleOnly: options.userVisibleOnly,
                                  key: Array.from(new Uint8Array(options.applicationServerKey))});
        current = {endpoint: json.endpoint, options, toJSON: () => json, unsubscribe: async () => true};
        return current;
    };
})();"""
SUBSCRIPTION = {
    "endpoint": "https://push.example/send/abc123",
    "expirationTime": None,
    "keys": {"p256dh": "BPublicKeyOfTheBrowser", "auth": "AuthSecret16"},
}


def vapid_key() -> tuple[str, bytes]:
    """A real P-256 public key as the page gets it (base64url, unpadded) and its 65 bytes."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = (
        ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("="), raw


def offer_page(context, shop, key: str):
    """The home page, controlled by the worker, with the push offer and notify.js loaded."""
    page = context.new_page()
    page.goto(shop["base"] + "/")
    wait_until(page, lambda: page.evaluate(ACTIVATED), 15, "the service worker never took control")
    page.evaluate(OFFER, {"script": shop["script"], "key": key})
    return page


def test_the_offer_stays_hidden_where_the_browser_has_no_push(phone, shop, expect):
    phone.add_init_script("delete window.PushManager;")
    phone.add_init_script(SPY)
    page = offer_page(phone, shop, vapid_key()[0])
    expect(page.locator("[data-push]")).to_be_hidden()
    assert page.evaluate("window.__asked") == 0


def test_blocked_notifications_get_the_blocked_message(phone, shop, expect):
    base = shop["base"]
    phone.add_init_script(SPY)
    page = offer_page(phone, shop, vapid_key()[0])
    # The shopper blocked notifications for the shop earlier (as the browser's site settings do).
    cdp = phone.new_cdp_session(page)
    cdp.send("Browser.setPermission", {"permission": {"name": "notifications"}, "setting": "denied", "origin": base})
    assert page.evaluate("Notification.permission") == "denied"
    posts: list[str] = []
    page.route("**/notify/push", lambda route: (posts.append(route.request.url), route.abort()))
    page.get_by_role("button", name="Tell me when my order ships").click()
    expect(page.get_by_role("status").filter(has_text="Notifications are blocked")).to_have_text(
        "Notifications are blocked for this shop."
    )
    assert posts == [] and page.evaluate("window.__asked") == 0, "a blocked shop is not asked again"


def test_the_button_asks_only_when_pressed_then_posts_the_subscription(phone, shop, expect):
    base = shop["base"]
    key, raw = vapid_key()
    phone.grant_permissions(["notifications"], origin=base)
    phone.add_init_script(SPY)
    phone.add_init_script(FAKE_PUSH)
    page = offer_page(phone, shop, key)
    offer = page.locator("[data-push]")
    expect(offer).to_be_visible()
    assert page.evaluate("window.__asked") == 0, "never asked on load"
    assert page.evaluate("window.__subscribed") == []

    replies = [
        (201, {"ok": True, "message": "We'll tell you here when order K7F3Q ships."}),
        (400, {"ok": False, "message": "This order cannot take notifications any more."}),
    ]
    posts: list[tuple[dict, dict]] = []

    def answer(route) -> None:
        posts.append((route.request.post_data_json, route.request.headers))
        status, body = replies[len(posts) - 1]
        route.fulfill(status=status, json=body)

    page.route("**/notify/push", answer)
    status = page.locator("[data-push-status]")
    page.get_by_role("button", name="Tell me when my order ships").click()
    expect(status).to_have_text("We'll tell you here when order K7F3Q ships.")
    assert page.evaluate("window.__asked") == 1
    assert page.evaluate("window.__subscribed") == [{"userVisibleOnly": True, "key": list(raw)}]
    body, headers = posts[0]
    assert body == {"subscription": SUBSCRIPTION, "order": "ORDER-TOKEN"}
    assert headers["x-csrftoken"] == page.evaluate("document.querySelector('meta[name=\"csrf-token\"]').content")
    assert headers["content-type"] == "application/json"

    # Already subscribed: a second tap posts the same subscription again, without a new one;
    # the server's 4xx message is shown as it is.
    page.get_by_role("button", name="Tell me when my order ships").click()
    expect(status).to_have_text("This order cannot take notifications any more.")
    assert len(posts) == 2 and posts[1][0] == posts[0][0]
    assert len(page.evaluate("window.__subscribed")) == 1
    expect(page.get_by_role("button", name="Tell me when my order ships")).to_be_enabled()
