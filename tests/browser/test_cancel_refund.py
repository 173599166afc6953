"""The owner cancels a paid card order on a 320 px phone: the refund choice fits, and the shopper is told."""

from __future__ import annotations

from tests.browser.test_card_payment import (  # noqa: F401  (card_shop: the fixture)
    card_shop,
    pickup_paid_by_card,
    webhook_over_http,
)
from tests.builders import PASSWORD, make_user


def _paid_order(browser, base: str, slug: str, fake, expect) -> str:
    """A shopper pays by card; returns the shopper's order page address."""
    context = browser.new_context()
    page = context.new_page()
    session_id = pickup_paid_by_card(page, base, slug, expect)
    fake.pay(session_id)
    assert webhook_over_http(base, fake, "checkout.session.completed", session_id)["handled"] is True
    page.goto(fake.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    page.wait_for_url(f"{base}/o/**")
    url = page.url
    context.close()
    return url


def test_the_owner_cancels_and_refunds_on_a_phone(browser, card_shop, expect, sqlite_app):  # noqa: F811
    base, slug, fake = card_shop
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
    order_url = _paid_order(browser, base, slug, fake, expect)
    context = browser.new_context(viewport={"width": 320, "height": 700}, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill("owner@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}/admin/orders")
    page.locator("main a[href^='/admin/orders/']").first.click()
    page.get_by_role("link", name="Cancel order…").click()  # the order page only links to the confirmation
    choice = page.locator("[data-cancel-refund]")
    expect(choice).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for label in choice.locator("label").all():
        assert label.bounding_box()["height"] >= 44
    expect(page.get_by_label("Refund in full")).to_be_checked()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.locator("main")).to_contain_text("Refunded $120.00")
    page.goto(order_url)
    expect(page.locator("[data-cancel-refund]")).to_contain_text("Cancelled — refunded $120.00 on")
    context.close()
