"""In Chromium: "Use my location" ranks stores by the shared position; refusing it leaves the typed search."""

from __future__ import annotations

from tests.sellers.browser import run_in_chromium, serving
from tests.stores.builders import make_store


def test_geolocation_shared_or_refused(sqlite_app):
    with sqlite_app.app_context():
        make_store("Paris Bastille", 48.853, 2.369, "Paris", "75011")
        make_store("Lyon Centre", 45.764, 4.835, "Lyon", "69002")

    def scenario(browser, expect):
        shared = browser.new_context(
            geolocation={"latitude": 45.75, "longitude": 4.85},
            permissions=["geolocation"],
            viewport={"width": 320, "height": 700},
        )
        page = shared.new_page()
        page.goto(f"{base}/stores")
        page.get_by_role("button", name="Use my location").click()
        page.wait_for_url("**/stores?lat=45.75000&lng=4.85000")
        expect(page.locator(".store-name").first).to_contain_text("Lyon Centre")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        shared.close()
        refused = browser.new_context()  # no permission granted: the browser answers "denied"
        page = refused.new_page()
        page.goto(f"{base}/stores")
        page.get_by_role("button", name="Use my location").click()
        expect(page.locator("[data-live]")).to_contain_text("Type your city or postcode")
        expect(page.get_by_label("City or postcode")).to_be_focused()
        page.get_by_label("City or postcode").fill("75011")
        page.get_by_role("button", name="Find stores").click()
        expect(page.locator(".store-name").first).to_contain_text("Paris Bastille")
        refused.close()

    with serving(sqlite_app) as base:
        run_in_chromium(scenario)
