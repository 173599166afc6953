"""The admin and seller headers on a 360 px phone: one compact row and a Menu; the links inline at 1280 px."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD, make_user
from tests.live_server import gunicorn
from tests.sellers.builders import make_seller

PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
ADMIN_LINKS = (
    "Dashboard",
    "Orders",
    "Products",
    "Stock",
    "Reports",
    "Categories",
    "Sellers",
    "Stores",
    "Order limits",
    "Payment methods",
    "Accounts",
    "Your account",
)
SELLER_LINKS = ("My sales", "Commissions", "Poster", "Your account")
# Who signs in, where they land, their links, and the link followed with the page it leads to.
AREAS = {
    "owner": ("owner@example.com", "/admin/", ADMIN_LINKS, "Orders", "/admin/orders"),
    "seller": ("anna24@sellers.example", "/seller/", SELLER_LINKS, "Commissions", "/seller/commissions"),
}


@pytest.fixture
def staff_shop(sqlite_app, tmp_path):
    """An owner and a seller, served by gunicorn."""
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        make_seller("ANNA24")
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base


def _sign_in(browser, base: str, email: str, landing: str, **options):
    """A fresh browser context signed in as email, on its landing page."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{landing}")
    return context, page


def _height(locator) -> float:
    box = locator.bounding_box()
    assert box, locator
    return box["height"]


@pytest.mark.parametrize("who", AREAS)
def test_the_staff_header_is_one_row_and_a_menu_on_a_phone(browser, staff_shop, expect, who):
    base = staff_shop
    email, landing, links, follow, target = AREAS[who]
    context, page = _sign_in(browser, base, email, landing, **PHONE)
    header = page.locator("header.top")
    assert _height(header) <= 80
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    nav = page.locator("header nav")
    for name in links:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_hidden()
    menu = page.locator("header summary")
    expect(menu).to_have_text("Menu")
    assert _height(menu) >= 44
    # Keyboard: Tab from the top of the page reaches the Menu (after the skip link and the shop name).
    page.locator("body").focus()
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    for name in links:
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert _height(link) >= 44, name
    sign_out = nav.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    assert _height(sign_out) >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    nav.get_by_role("link", name=follow, exact=True).click()
    page.wait_for_url(f"{base}{target}")
    assert _height(header) <= 80  # a new page: the menu is closed again
    expect(nav.get_by_role("link", name=follow, exact=True, include_hidden=True)).to_have_attribute(
        "aria-current", "page"
    )
    assert nav.locator("[aria-current]").count() == 1
    context.close()


@pytest.mark.parametrize("who", AREAS)
def test_the_staff_links_are_inline_on_a_wide_screen(browser, staff_shop, expect, who):
    base = staff_shop
    email, landing, links, _follow, _target = AREAS[who]
    context, page = _sign_in(browser, base, email, landing, **DESKTOP)
    expect(page.locator("header summary")).to_be_hidden()
    nav = page.locator("header nav")
    for name in links:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    first = nav.get_by_role("link", name=links[0], exact=True)
    expect(first).to_have_attribute("aria-current", "page")
    context.close()
