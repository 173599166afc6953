"""In Chromium at 390 x 844: a seller ticks three products on the dashboard and shares them as one message.

(a) Where the browser can share files (navigator.share/canShare stood in for the phone's sheet, as
desktop Chromium has none), the sheet gets the three photos and the text with the three links;
(b) without Web Share the message block holds the three lines and "Copy message" copies it for real;
(c) without JavaScript the dashboard's form still opens the page. The page passes axe and the phone checks.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import axe_violations, describe, phone_problems
from tests.builders import PASSWORD, add_demo_photos, make_product
from tests.live_server import gunicorn
from tests.sellers.builders import make_seller

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True}
PICKED = ("Wool coat", "Silk scarf", "Felt hat")
# Stands in for a phone's share sheet that takes files: records what it was given.
FAKE_SHEET = """
Object.defineProperty(Navigator.prototype, 'canShare', {configurable: true, value: (data) => true});
Object.defineProperty(Navigator.prototype, 'share', {configurable: true, value: (data) => {
  window.__shared = {title: data.title, text: data.text,
    files: (data.files || []).map((f) => ({name: f.name, type: f.type, size: f.size}))};
  return Promise.resolve();
}});
"""
NO_SHEET = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"


@pytest.fixture
def seller_shop(sqlite_app, tmp_path):
    """Seller ANNA24 and four products with a photo each, served by gunicorn."""
    with sqlite_app.app_context():
        make_seller("ANNA24")
        for title in (*PICKED, "Linen shirt"):
            add_demo_photos(make_product(title, price=2500), 1, size=(400, 400))
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base


def _share_selected(browser, base: str, script: str | None = None, **options):
    """Sign ANNA24 in, tick the three products on the dashboard, press "Share selected"; the share page."""
    context = browser.new_context(**PHONE, **options)
    if script:
        context.add_init_script(script)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill("anna24@sellers.example")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/seller/"))
    for title in PICKED:
        page.get_by_role("checkbox", name=title).check()
    page.get_by_role("button", name="Share selected").click()
    page.wait_for_url(re.compile(r"/seller/share\?"))
    return context, page


def _links(base: str) -> list[str]:
    return [f"{base}/p/{title.lower().replace(' ', '-')}?ref=ANNA24" for title in PICKED]


def test_the_share_sheet_gets_three_photos_and_the_three_links(browser, seller_shop, expect):
    base = seller_shop
    context, page = _share_selected(browser, base, FAKE_SHEET)
    share = page.get_by_role("button", name="Share", exact=True)
    expect(share).to_be_visible()
    share.click()
    page.wait_for_function("window.__shared !== undefined")
    shared = page.evaluate("window.__shared")
    assert len(shared["files"]) == 3
    assert all(f["type"] == "image/jpeg" and f["size"] > 0 for f in shared["files"])
    assert sorted(f["name"] for f in shared["files"]) == ["felt-hat.jpg", "silk-scarf.jpg", "wool-coat.jpg"]
    for link in _links(base):
        assert link in shared["text"]
    assert shared["text"].startswith("From Anna24 at ") and shared["title"]
    expect(page.locator("[data-share-many-status]")).to_have_text("Shared.")
    assert phone_problems(page) == []
    context.close()


def test_without_web_share_the_text_block_holds_three_lines_and_copy_works(browser, seller_shop, expect):
    base = seller_shop
    context, page = _share_selected(browser, base, NO_SHEET)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    assert not page.get_by_role("button", name="Share", exact=True).is_visible()
    block = page.get_by_label(re.compile("The message with 3 products"))
    value = block.input_value()
    lines = value.splitlines()
    assert len(lines) == 4 and lines[0].startswith("From Anna24 at ")
    assert sorted(line.rsplit(" — ", 1)[1] for line in lines[1:]) == sorted(_links(base))
    assert all(" — $25.00 — " in line for line in lines[1:])
    page.get_by_role("button", name="Copy message").click()
    expect(page.locator("[data-share-many-status]")).to_have_text("Message copied.")
    assert page.evaluate("navigator.clipboard.readText()") == value
    whatsapp = page.get_by_role("link", name="Share on WhatsApp").get_attribute("href")
    assert whatsapp.startswith("https://wa.me/?text=") and "ANNA24" in whatsapp
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    violations = axe_violations(page)
    assert violations == [], describe(violations, page.url)
    assert phone_problems(page) == []
    page.set_viewport_size({"width": 1280, "height": 800})
    violations = axe_violations(page)
    assert violations == [], describe(violations, page.url)
    page.set_viewport_size(PHONE["viewport"])
    page.goto(f"{base}/seller/")  # the dashboard with its checkboxes
    violations = axe_violations(page)
    assert violations == [], describe(violations, page.url)
    assert phone_problems(page) == []
    box = page.get_by_role("checkbox", name="Wool coat").locator("xpath=..").bounding_box()
    assert box["height"] >= 44, "the checkbox's label is a tap target of its own"
    context.close()


def test_without_javascript_the_dashboard_form_opens_the_message(browser, seller_shop):
    base = seller_shop
    context, page = _share_selected(browser, base, java_script_enabled=False)
    lines = page.get_by_label(re.compile("The message with 3 products")).input_value().splitlines()
    assert len(lines) == 4 and sorted(line.rsplit(" — ", 1)[1] for line in lines[1:]) == sorted(_links(base))
    assert not page.get_by_role("button", name="Copy message").is_visible()
    assert page.get_by_role("link", name="Share on Telegram").get_attribute("href").startswith("https://t.me/share/")
    context.close()
