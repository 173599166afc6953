"""In Chromium: the share sheet gets the seller's link and "Copy link" copies it (share.js); plain links without JS."""

from __future__ import annotations

from tests.builders import make_product
from tests.sellers.browser import run_in_chromium, serving
from tests.sellers.builders import make_seller


def test_share_sheet_copy_and_plain_links(sqlite_app):
    with sqlite_app.app_context():
        make_product("Merino coat", price=12000)
        make_seller("ANNA24")

    def scenario(browser, expect):
        context = browser.new_context(viewport={"width": 320, "height": 700})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        # Desktop Chromium has no share sheet: stand in for the phone's, recording what it was given.
        context.add_init_script("navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };")
        page = context.new_page()
        page.goto(f"{base}/p/merino-coat?ref=ANNA24")
        share = page.get_by_role("button", name="Share…")
        expect(share).to_be_visible()
        share.click()
        shared = page.evaluate("window.__shared")
        assert shared["url"] == f"{base}/p/merino-coat?ref=ANNA24"
        assert shared["title"] == "Merino coat" and "$120.00" in shared["text"]
        page.get_by_role("button", name="Copy link").click()
        expect(page.locator("[data-live]")).to_have_text("Link copied.")
        assert page.evaluate("navigator.clipboard.readText()") == f"{base}/p/merino-coat?ref=ANNA24"
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        context.close()
        plain = browser.new_context(java_script_enabled=False)
        page = plain.new_page()
        page.goto(f"{base}/p/merino-coat")
        assert not page.get_by_role("button", name="Share…").is_visible()
        assert page.get_by_role("link", name="WhatsApp").get_attribute("href").startswith("https://wa.me/?text=")
        assert page.get_by_label("Link to share").input_value() == f"{base}/p/merino-coat"
        plain.close()

    with serving(sqlite_app) as base:
        run_in_chromium(scenario)
