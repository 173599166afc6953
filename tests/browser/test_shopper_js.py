"""JavaScript on: add to cart and change quantities without a full reload; layout at 320 px."""

from __future__ import annotations

import pytest

# wait_for_function() evaluates strings, which the shop's CSP (rightly) forbids; expect() polls
# through locators instead, so the tests run under the real policy.


@pytest.fixture
def phone(browser, playwright_api):
    device = {k: v for k, v in playwright_api.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = browser.new_context(**device)
    yield context.new_page()
    context.close()


def test_add_to_cart_without_reload_updates_badge(phone, live_shop, expect):
    base, slug = live_shop
    phone.goto(f"{base}/p/{slug}")
    phone.evaluate("window.__samePage = true")
    assert phone.locator("[data-cart-count]").first.inner_text().strip() == "0"
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.locator("[data-cart-count]").first).to_have_text("1")
    assert phone.evaluate("window.__samePage === true"), "the page was not reloaded"
    expect(phone.locator("[data-live]")).to_contain_text("Added Merino coat")
    phone.locator("#quantity").fill("9")
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.locator(".alert").first).to_contain_text("Only")
    assert phone.evaluate("window.__samePage === true")
    assert phone.locator("[data-cart-count]").first.inner_text().strip() == "1", "a refused add changes nothing"


def test_cart_quantity_change_updates_totals_in_place(phone, live_shop, expect):
    base, slug = live_shop
    phone.goto(f"{base}/p/{slug}")
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.locator("[data-cart-count]").first).to_have_text("1")
    phone.goto(f"{base}/cart")
    phone.evaluate("window.__samePage = true")
    quantity = phone.get_by_label("Quantity").first
    quantity.fill("3")
    expect(phone.locator("[data-subtotal]")).to_contain_text("360.00")
    assert phone.evaluate("window.__samePage === true")
    assert phone.locator("[data-cart-count]").first.inner_text().strip() == "3"


def test_pages_fit_a_320px_screen(browser, live_shop, expect):
    base, slug = live_shop
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{base}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]").first).to_have_text("1")
    for path in ("/", "/c/clothing", f"/p/{slug}", "/cart", "/checkout", "/search?q=coat", "/login"):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways ({width}px)"
    context.close()


def test_every_flow_works_with_javascript_off(browser, live_shop, expect):
    base, slug = live_shop
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".flash")).to_contain_text("Added Merino coat")  # back on the product page
    expect(page.locator("[data-cart-count]").first).to_have_text("1")
    page.get_by_role("link", name="Cart").first.click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Phone", exact=True).fill("+1 555 0100")
    page.get_by_label("Pick up at the shop").check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(f"{base}/o/**")
    assert "Merino coat" in page.content() and "Ready for pickup" in page.content()
    context.close()


def test_after_an_add_the_shopper_can_go_to_the_cart_or_the_checkout(phone, live_shop, expect):
    base, slug = live_shop
    phone.goto(f"{base}/p/{slug}")
    panel = phone.locator("[data-added]")
    expect(panel).to_be_hidden()
    add = phone.get_by_role("button", name="Add to cart")
    add.click()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Added Merino coat")
    expect(phone.locator("[data-live]")).to_contain_text("Next: View cart or Checkout.")
    expect(add).to_be_focused()  # the panel does not take the focus away
    phone.keyboard.press("Tab")
    expect(panel.get_by_role("link", name="View cart")).to_be_focused()  # the next stop after the button
    phone.locator("#quantity").fill("9")
    add.click()
    expect(phone.locator(".alert").first).to_contain_text("Only")
    expect(panel).to_be_hidden()  # a refusal does not sit next to an old "Added"
    phone.locator("#quantity").fill("1")
    add.click()
    panel.get_by_role("link", name="Checkout").click()
    phone.wait_for_url(f"{base}/checkout")
    expect(phone.get_by_role("heading", name="Checkout")).to_be_visible()


def test_without_javascript_the_add_offers_the_cart_and_the_checkout(browser, live_shop, expect):
    base, slug = live_shop
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{base}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    flash = page.locator(".flash")
    expect(flash).to_contain_text("Added Merino coat")
    expect(flash.get_by_role("link", name="Checkout")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    flash.get_by_role("link", name="View cart").click()
    page.wait_for_url(f"{base}/cart")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    context.close()
