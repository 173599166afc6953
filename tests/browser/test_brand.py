"""Admin > Brand on a 360 x 640 phone: a new name and colour reach the header, theme-color and manifest at once."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD, make_category, make_product, make_user
from tests.live_server import gunicorn

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def brand_shop(sqlite_app, tmp_path):
    """An owner and one product, served by two gunicorn workers (each keeps its own copy of the brand)."""
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        make_product("Jasmine tea", price=900, category=make_category("Tea"))
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=2) as base:
        yield base


def test_owner_rebrands_from_a_phone_and_the_shop_follows(browser, brand_shop, expect):
    base = brand_shop
    shopper = browser.new_context(**PHONE).new_page()
    shopper.goto(base + "/")  # cached by a worker with the old brand
    expect(shopper.locator("header .brand")).to_have_text("Storefront")
    expect(shopper.get_by_role("link", name="Cart, 0 items")).to_be_visible()

    owner = browser.new_context(**PHONE).new_page()
    owner.goto(f"{base}/login")
    owner.locator("#email").fill("owner@example.com")
    owner.locator("#password").fill(PASSWORD)
    owner.locator("main form button[type=submit]").click()
    owner.wait_for_url(f"{base}/admin/")
    owner.goto(f"{base}/admin/brand")
    assert owner.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
    for control in owner.locator("main form input:visible, main form button:visible, main form select:visible").all():
        box = control.bounding_box()
        kind = control.get_attribute("type")
        if kind != "checkbox":
            assert box["height"] >= 44, (control.get_attribute("name"), box)
    expect(owner.locator("[data-brand-preview]")).to_be_visible()

    owner.locator("#name").fill("Green Leaf Tea")
    owner.locator("#theme_color").fill("#777777")
    expect(owner.locator("[data-contrast-report]")).to_contain_text("4.48:1")
    owner.get_by_role("button", name="Save brand").click()
    expect(owner.locator(".alert")).to_contain_text("contrast 4.48:1")
    expect(owner.locator("#name")).to_have_value("Green Leaf Tea")

    owner.locator("#theme_color").fill("#2e7d32")
    assert owner.locator("#theme_color_pick").input_value() == "#2e7d32", "picker follows the typed colour"
    owner.get_by_role("button", name="Save brand").click()
    expect(owner.locator(".flash")).to_contain_text("Brand saved.")

    for _ in range(3):  # whichever worker answers
        shopper.goto(base + "/")
        expect(shopper.locator("header .brand")).to_have_text("Green Leaf Tea")
        expect(shopper.locator('meta[name="theme-color"]')).to_have_attribute("content", "#2e7d32")
        expect(shopper).to_have_title("Green Leaf Tea")
        header = shopper.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
        assert header == "rgb(46, 125, 50)"
        manifest = shopper.request.get(base + "/manifest.json").json()
        assert (manifest["name"], manifest["theme_color"]) == ("Green Leaf Tea", "#2e7d32")
    cart = shopper.get_by_role("link", name="Cart, 0 items").bounding_box()
    assert cart["height"] >= 44 and cart["width"] >= 44
    assert shopper.evaluate("document.documentElement.scrollWidth") <= 360
