"""The phone walk-through's order pages (390 x 844): the shopper's after placing a pickup, and the owner's."""

from __future__ import annotations

import re

from tests.browser.test_phone_walkthrough import PHONE, _add_coat, walk  # noqa: F401 - `walk` is a fixture
from tests.builders import PASSWORD, make_user


def _fits(page) -> None:
    """Nothing scrolls sideways at 390 px (a table may scroll inside its own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _tall_enough(locator) -> None:
    """A tap target of at least 44 CSS pixels."""
    box = locator.bounding_box()
    assert box and box["height"] >= 44, box


def test_a_pickup_order_on_the_shoppers_and_the_owners_phone(browser, walk, expect, sqlite_app):  # noqa: F811
    base, ids = walk
    shopper = browser.new_context(**PHONE).new_page()
    _add_coat(shopper, base, ids["coat"], expect)
    shopper.goto(f"{base}/checkout")
    shopper.get_by_label("Pick up at the shop").check()
    shopper.get_by_label("Pick up at", exact=True).select_option(str(ids["market"]))
    shopper.get_by_label("Full name").fill("Ada Shopper")
    shopper.get_by_label("Phone", exact=True).fill("+1 415 555 0100")
    shopper.get_by_role("button", name=re.compile("Place order")).click()
    shopper.wait_for_url(f"{base}/o/**")
    # 6.6: thank-you, the pickup store with its address and a map link, no delivery line.
    expect(shopper.locator(".flash")).to_contain_text("Thank you for your order!")
    expect(shopper.get_by_text("870 Market St")).to_be_visible()
    map_link = shopper.get_by_role("link", name="Map")
    expect(map_link).to_have_attribute("href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=37\.779"))
    _tall_enough(map_link)
    assert "Delivery" not in shopper.locator("main").inner_text()
    _fits(shopper)
    reference = re.search(r"Order ([A-Z0-9]{5}-[A-Z0-9]{5})", shopper.locator("h1").inner_text()).group(1)

    # 6.3: the owner sees which store, who the customer is, and how to reach them.
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
    owner = browser.new_context(**PHONE).new_page()
    owner.goto(f"{base}/login")
    owner.get_by_label("Email").fill("owner@example.com")
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name=re.compile("Sign in")).click()
    owner.goto(f"{base}/admin/orders/{reference}")
    page = owner.locator("main")
    expect(page).to_contain_text("Pickup at Market Street")
    expect(page).to_contain_text("870 Market St")
    expect(page).to_contain_text("New customer")
    expect(page).to_contain_text("To be paid at pickup, in person.")
    call = owner.get_by_role("link", name=re.compile(r"^Call "))
    expect(call).to_have_attribute("href", "tel:+14155550100")
    whatsapp = owner.get_by_role("link", name="WhatsApp: open the chat")
    expect(whatsapp).to_have_attribute("href", "https://wa.me/14155550100")
    news = owner.get_by_role("link", name="WhatsApp: Placed")  # the order's state, typed in for the owner
    expect(news).to_have_attribute("href", re.compile(r"^https://wa\.me/14155550100\?text=Hello%20Ada%20Shopper"))
    _tall_enough(call)
    _tall_enough(whatsapp)
    _tall_enough(news)
    assert "delivery $0.00" not in page.inner_text()
    _fits(owner)
