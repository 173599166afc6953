"""static/js/track.js in Debian's Chromium against gunicorn: dwell, add to cart, do-not-track."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from storefront.analytics.models import Event
from storefront.catalog.models import Product
from storefront.extensions import db

# The tracker reads its context from data-* attributes; templates may not carry them all yet,
# so the test sets what is missing (and loads the script if the page does not).
PREPARE = """([slug, variant]) => {
  const body = document.body.dataset;
  body.trackPage = 'product';
  body.productSlug = slug;
  body.variantId = String(variant);
  body.value = '12000';
  body.currency = 'USD';
  document.querySelector('form[data-add-to-cart]').dataset.productSlug = slug;
  return !!document.querySelector('script[src*="js/track.js"]');
}"""


# Headless Chromium keeps background tabs "visible", so switching tabs is played out the way
# the browser reports it: the page turns hidden and visibilitychange fires.
SWITCH_AWAY = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  Object.defineProperty(document, 'hidden', {value: true, configurable: true});
  document.dispatchEvent(new Event('visibilitychange', {bubbles: true}));
}"""


def _events(app, name: str) -> list[Event]:
    # A GET request context reads with a deferred BEGIN, so polling never blocks gunicorn's writes.
    with app.test_request_context():
        rows = list(db.session.scalars(select(Event).where(Event.name == name).order_by(Event.id)))
        db.session.expunge_all()
        return rows


def _wait_for(app, name: str, seconds: float = 8.0) -> list[Event]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = _events(app, name)
        if rows:
            return rows
        time.sleep(0.1)
    return []


def _open_product(context, base: str, slug: str, variant: int):
    page = context.new_page()
    page.goto(f"{base}/p/{slug}")
    if not page.evaluate(PREPARE, [slug, variant]):
        page.add_script_tag(url=f"{base}/static/js/track.js")
    return page


@pytest.fixture
def shop_variant(sqlite_app, live_shop):
    base, slug = live_shop
    with sqlite_app.app_context():
        variant = db.session.scalars(select(Product).where(Product.slug == slug)).one().variants[0].id
    return base, slug, variant


def test_dwell_and_add_to_cart_reach_the_database(browser, sqlite_app, shop_variant):
    base, slug, variant = shop_variant
    context = browser.new_context()
    page = _open_product(context, base, slug, variant)
    time.sleep(2)
    page.evaluate(SWITCH_AWAY)
    engagement = _wait_for(sqlite_app, "engagement")
    assert len(engagement) == 1 and engagement[0].product_slug == slug
    assert 1500 <= engagement[0].dwell_ms <= 10_000, engagement[0].dwell_ms
    views = _events(sqlite_app, "view_item")
    assert [(v.product_slug, v.variant_id, v.value, v.currency) for v in views] == [(slug, variant, 12000, "USD")]

    page = _open_product(context, base, slug, variant)
    page.locator("#quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    added = _wait_for(sqlite_app, "add_to_cart")
    assert [(a.product_slug, a.variant_id, a.quantity, a.value) for a in added] == [(slug, variant, 2, 24000)]
    assert added[0].session_id == views[0].session_id and added[0].session_id
    assert added[0].cart_hash, "the cart cookie links the event to the funnel"
    context.close()


@pytest.mark.parametrize(
    "signal",
    [
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})",
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})",
    ],
)
def test_do_not_track_and_gpc_send_nothing(browser, sqlite_app, shop_variant, signal):
    base, slug, variant = shop_variant
    context = browser.new_context()  # no DNT header: the tracker itself must stay silent
    context.add_init_script(signal)
    page = _open_product(context, base, slug, variant)
    page.get_by_role("button", name="Add to cart").click()
    page.evaluate(SWITCH_AWAY)
    time.sleep(2)
    assert _events(sqlite_app, "page_view") == [] and _events(sqlite_app, "add_to_cart") == []
    assert _events(sqlite_app, "engagement") == []
    context.close()
