"""Publishing from a phone (360 x 640): a new product is a draft, the checklist says what it misses,
and once it has a variant and a photo it is published and shoppers see it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.builders import PASSWORD, make_user
from tests.live_server import gunicorn

PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True}


@pytest.fixture
def owner_shop(sqlite_app, tmp_path):
    """An owner and an empty shop, served by gunicorn."""
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base


def _photo(tmp_path):
    path = tmp_path / "teapot.png"
    buffer = io.BytesIO()
    Image.new("RGB", (500, 400), (180, 90, 40)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url}: {overflow}px of sideways scroll"


def test_create_draft_fill_checklist_publish_on_a_phone(browser, expect, owner_shop, tmp_path):
    base = owner_shop
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill("owner@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/products/new")
    _no_sideways_scroll(page)
    page.get_by_label("Title").fill("Clay teapot")
    page.get_by_label("Price").fill("18.00")
    page.locator(".save-bar button").click()
    page.wait_for_url(f"{base}/admin/products/*")
    product_url = page.url
    expect(page.locator(".publish-box .tag-draft")).to_be_visible()
    checklist = page.locator(".checklist")
    expect(checklist.locator("li.todo")).to_have_count(2)
    expect(checklist).to_contain_text("add a variant with a SKU")
    expect(checklist).to_contain_text("add a photo")
    _no_sideways_scroll(page)

    page.locator(".publish-box button", has_text="Publish").click()  # not ready: refused, says why
    expect(page.locator(".publish-box .alert")).to_contain_text("Still to do: add a variant with a SKU, add a photo.")

    page.goto(product_url)
    page.get_by_label("SKU").fill("TEAPOT-1")
    page.get_by_label("Stock on hand").fill("4")
    page.get_by_role("button", name="Add variant").click()
    page.wait_for_url(product_url)
    expect(page.locator(".variant-card")).to_have_count(1)
    page.locator("input[name=photos]").set_input_files(str(_photo(tmp_path)))
    page.get_by_role("button", name="Upload photos").click()
    page.wait_for_url(product_url + "*")
    expect(page.locator(".photo-item")).to_have_count(1)
    expect(page.locator(".checklist li.todo")).to_have_count(0)
    _no_sideways_scroll(page)
    camera = page.locator("input[name=camera]")
    assert camera.get_attribute("capture") == "environment"
    box = page.locator(".publish-box button", has_text="Publish").bounding_box()
    assert box and box["height"] >= 44

    page.locator(".publish-box button", has_text="Publish").click()
    expect(page.locator(".publish-box .tag-published")).to_be_visible()

    shopper = browser.new_context(**PHONE).new_page()
    shopper.goto(f"{base}/")
    expect(shopper.locator(".card", has_text="Clay teapot")).to_be_visible()
    shopper.locator(".card", has_text="Clay teapot").locator("a").click()
    expect(shopper.locator("h1")).to_have_text("Clay teapot")
    context.close()
