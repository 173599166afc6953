"""Owner, report and seller pages at 360 x 640: nothing scrolls the page sideways, buttons fit and are tall enough,
and every scrolling table is a labelled, keyboard-reachable region with its first column kept in view."""

from __future__ import annotations

import pytest

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import service
from tests.builders import PASSWORD, make_product, make_user
from tests.live_server import gunicorn
from tests.sellers.builders import make_order, make_seller, touched

PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True}
OWNER_PAGES = [
    "/admin/",
    "/admin/orders",
    "/admin/orders/{ref}",
    "/admin/orders/{ref}/cancel",
    "/admin/sellers/",
    "/admin/sellers/new",
    "/admin/sellers/{seller}",
    "/admin/stores/",
    "/admin/stores/new",
    "/admin/stores/shares",
    "/admin/stores/report",
    "/admin/accounts/",
    "/admin/jobs",
    "/admin/order-limits",
    "/admin/payment-methods",
    "/admin/payment-methods/new",
] + [f"/admin/reports/{s}" for s in ("", "funnel", "products", "interest", "when", "customers", "where", "sources")]
SELLER_PAGES = ["/seller/", "/seller/?page=2", "/seller/commissions", "/seller/poster"]

# Everything wrong with the page at this width, as readable lines (an empty list is a pass).
PROBLEMS = """() => {
  const width = window.innerWidth, out = [];
  if (document.documentElement.scrollWidth > width) out.push(`page is ${document.documentElement.scrollWidth}px wide`);
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? r : null; };
  const name = (el) => `${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 40)}"`;
  const targets = 'main button, main .btn, main select, main summary, '
    + 'main input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
  for (const el of document.querySelectorAll(targets)) {
    const r = shown(el);
    if (!r || el.closest('.table-wrap')) continue;
    if (r.height < 44) out.push(`${name(el)} is ${r.height}px tall`);
    if (r.right > width + 0.5) out.push(`${name(el)} ends at ${r.right}px`);
  }
  for (const link of document.querySelectorAll('main a')) {  // a link inside a sentence is exempt
    const r = shown(link);
    const alone = link.parentElement.textContent.trim() === link.textContent.trim();
    if (r && alone && r.height < 44) out.push(`${name(link)} is ${r.height}px tall`);
  }
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    const label = wrap.getAttribute('aria-label') || '';
    if (wrap.getAttribute('tabindex') !== '0' || wrap.getAttribute('role') !== 'region'
        || !/scrolls sideways/.test(label)) out.push('a table-wrap is not a labelled region');
    const first = wrap.querySelector('tbody tr > :first-child');
    if (first && getComputedStyle(first).position !== 'sticky') out.push('a table\\'s first column is not sticky');
  }
  return out;
}"""


@pytest.fixture
def staff_world(sqlite_app, tmp_path):
    """An owner, seller ANNA24 with a commission on an open order, 30 products; served by gunicorn."""
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        seller = make_seller("ANNA24")
        products = [make_product(f"Very long product name number {n:02d} for a phone", price=2500) for n in range(30)]
        order = make_order([(products[0], 2), (products[1], 1)])
        service.credit_order(db.session, order, touched(("ANNA24", utcnow())), utcnow())
        db.session.commit()
        ids = {"ref": order.reference, "seller": seller.id}
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base, ids


def _signed_in(browser, base: str, email: str):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return context, page


def _walk(page, base: str, paths: list[str], ids: dict) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        url = path.format(**ids)
        response = page.goto(base + url)
        assert response and response.status == 200, url
        problems = page.evaluate(PROBLEMS)
        if problems:
            found[url] = problems
    return found


def test_every_owner_and_report_page_fits_a_360_px_phone(browser, staff_world):
    base, ids = staff_world
    context, page = _signed_in(browser, base, "owner@example.com")
    assert _walk(page, base, OWNER_PAGES, ids) == {}
    context.close()


def test_every_seller_page_fits_a_360_px_phone(browser, staff_world):
    base, ids = staff_world
    context, page = _signed_in(browser, base, "anna24@sellers.example")
    assert _walk(page, base, SELLER_PAGES, ids) == {}
    context.close()


def test_cancel_is_apart_from_confirm_and_needs_a_second_tap(browser, staff_world, expect):
    base, ids = staff_world
    context, page = _signed_in(browser, base, "owner@example.com")
    page.goto(f"{base}/admin/orders/{ids['ref']}")
    confirm = page.get_by_role("button", name="Confirm")
    cancel = page.get_by_role("link", name="Cancel order…")
    assert cancel.bounding_box()["y"] - confirm.bounding_box()["y"] > 100  # different rows, far apart
    cancel.click()
    expect(page.locator("h1")).to_contain_text("Cancel order")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator("h1 .tag")).to_have_text("Placed")
    context.close()


def test_a_scrolling_table_is_reached_by_keyboard_and_keeps_its_first_column(browser, staff_world):
    base, ids = staff_world
    context, page = _signed_in(browser, base, "owner@example.com")
    page.goto(f"{base}/admin/jobs")
    region = page.get_by_role("region", name="Periodic jobs table, scrolls sideways")
    region.focus()
    for _ in range(10):  # scroll the region sideways with the keyboard
        page.keyboard.press("ArrowRight")
    # Chromium animates keyboard scrolling, so the offset grows over the next frames: wait for it
    # (polled from here: the page's CSP forbids wait_for_function's string evaluation).
    scrolled = "document.querySelector('.table-wrap').scrollLeft"
    for _ in range(50):
        if page.evaluate(scrolled) > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(scrolled) > 0
    first = page.locator(".table-wrap tbody tr:first-child > :first-child")
    assert first.bounding_box()["x"] >= 0  # still in view
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
