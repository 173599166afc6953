"""The account page and the owner's accounts screen on a 360 px phone, in a real browser."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD, make_user
from tests.live_server import gunicorn

LONG_EMAIL = "a.very.long.seller.address.for.a.narrow.phone@example-shop-domain.com"


@pytest.fixture
def accounts_shop(sqlite_app, tmp_path):
    """An owner and a staff account with a long email, served by gunicorn."""
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        make_user(LONG_EMAIL, "staff")
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base


@pytest.mark.parametrize("locale", ["en", "bn"])
def test_the_owner_disables_staff_on_a_phone(browser, accounts_shop, expect, locale):
    base = accounts_shop
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill("owner@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")
    for path in ("/account/", "/admin/accounts/"):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{locale} {path} scrolls sideways ({width}px)"
        for button in page.locator("main button").all():
            box = button.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, (path, box)
    row = page.locator(f'[data-account="{LONG_EMAIL}"]')
    row.locator("button").click()
    expect(row.locator(".tag-out")).to_be_visible()
    expect(row).to_have_class("account-row muted")
    context.close()
