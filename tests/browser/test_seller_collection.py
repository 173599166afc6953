"""At 390 x 844 a seller makes a collection from the phone, fills and orders it, and shares it:
the phone's share sheet gets the collection's link (Web Share stood in for where the test browser lacks
it), "Copy link" really copies it, and the pages never scroll sideways or have small tap targets."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_staff_phone import PROBLEMS
from tests.builders import PASSWORD, make_product, make_user
from tests.live_server import gunicorn
from tests.sellers.builders import make_seller

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True}
# Desktop Chromium has no share sheet (and a real one could not be driven): stand in for the phone's,
# recording what it was given.
FAKE_SHARE = """
window.__hadShare = 'share' in navigator;
navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };
navigator.canShare = () => true;
"""


@pytest.fixture
def seller_shop(sqlite_app, tmp_path):
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        make_seller("ANNA24")
        for title in ("Silk scarf", "Brass lamp", "Clay teapot", "Wool socks with a very long name for a phone"):
            make_product(title, price=2500)
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base


def _signed_in(browser, base: str, email: str):
    context = browser.new_context(**PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    context.add_init_script(FAKE_SHARE)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return context, page


def _titles(page) -> list[str]:
    return [t.split(". ", 1)[1].strip() for t in page.locator("#items .sc-item-title").all_inner_texts()]


def test_a_seller_makes_fills_orders_and_shares_a_collection_on_a_phone(browser, seller_shop, expect):
    base = seller_shop
    context, page = _signed_in(browser, base, "anna24@sellers.example")
    page.goto(f"{base}/seller/")
    page.locator("summary", has_text="Menu").click()
    page.get_by_role("link", name="Collections").click()
    expect(page).to_have_url(f"{base}/seller/collections")
    assert page.evaluate(PROBLEMS) == []

    page.get_by_label("Title").fill("Eid gifts")
    page.get_by_label("Description (optional)").fill("Under 1000")
    page.get_by_role("button", name="Create collection").click()
    expect(page).to_have_url(re.compile(r"/seller/collections/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Eid gifts")

    for _ in range(3):
        page.locator("[data-add]").first.click()
        page.wait_for_load_state()
    expect(page.locator("#items .sc-item")).to_have_count(3)
    first_three = _titles(page)
    page.locator("#items .sc-item").nth(2).locator("[data-move-up]").click()
    page.wait_for_load_state()
    expect(page.locator("#items .sc-item")).to_have_count(3)
    assert _titles(page) == [first_three[0], first_three[2], first_three[1]]
    assert page.evaluate(PROBLEMS) == []

    url = page.get_by_label("Link to share").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/collections/eid-gifts-[a-z0-9]+", url)
    whatsapp = page.get_by_role("link", name="WhatsApp").get_attribute("href")
    assert whatsapp.startswith("https://wa.me/?text=") and "collections" in whatsapp
    share = page.get_by_role("button", name="Share…")
    expect(share).to_be_visible()
    share.click()
    shared = page.evaluate("window.__shared")
    assert shared["url"] == url and shared["title"] == "Eid gifts"
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-live]")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url

    public = page.goto(url)
    assert public.status == 200
    text = page.locator("main").inner_text()
    assert text.index(first_three[0]) < text.index(first_three[2]) < text.index(first_three[1])

    page.goto(f"{base}/seller/page")
    assert page.evaluate(PROBLEMS) == []
    page.get_by_role("button", name=re.compile("^Add to my page")).first.click()
    page.wait_for_load_state()
    expect(page.locator("#picks .sc-item")).to_have_count(1)
    context.close()


def test_the_collection_editor_works_without_javascript(browser, seller_shop):
    """The share panel's links and the link field work with JavaScript off; the JS-only buttons stay hidden."""
    base = seller_shop
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill("anna24@sellers.example")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{base}/seller/collections")
    page.get_by_label("Title").fill("New this week")
    page.get_by_role("button", name="Create collection").click()
    page.locator("[data-add]").first.click()
    assert page.locator("#items .sc-item").count() == 1
    assert not page.get_by_role("button", name="Share…").is_visible()
    assert page.get_by_label("Link to share").input_value().startswith(f"{base}/collections/new-this-week-")
    context.close()


def test_the_owners_collections_page_fits_a_phone(browser, seller_shop):
    base = seller_shop
    context, page = _signed_in(browser, base, "owner@example.com")
    page.goto(f"{base}/admin/collections")
    page.get_by_label("Title").fill("New this week")
    page.get_by_role("button", name="Create collection").click()
    page.locator("[data-add]").first.click()
    page.wait_for_load_state()
    assert page.evaluate(PROBLEMS) == []
    page.goto(f"{base}/admin/collections")
    assert page.evaluate(PROBLEMS) == []
    context.close()
