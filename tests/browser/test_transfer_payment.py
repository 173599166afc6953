"""A transfer order on phones (360-390 px), with and without JavaScript: set up, checkout, transaction id, received."""

from __future__ import annotations

import re

import pytest

from tests.builders import PASSWORD, make_product, make_user
from tests.live_server import gunicorn

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
OWNER_PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True}


@pytest.fixture
def transfer_shop(sqlite_app, tmp_path):
    """A shop with a $120.99 coat and an owner account, under gunicorn."""
    with sqlite_app.app_context():
        slug = make_product("Merino coat", price=12099, variants=(("", 9),)).slug
        make_user("owner@example.com", "owner")
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base, slug


def _fits_the_phone(page, width: int) -> None:
    """No sideways scrolling, and every button in the page's main part is a 44 px target."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for button in page.locator("main button").all():
        box = button.bounding_box()
        if box is None:  # not shown (e.g. the push offer, which stays hidden without a script): no target
            continue
        assert box["height"] >= 44 and box["width"] >= 44, box


def _owner_sets_up_bkash(browser, base: str, expect):
    """The owner signs in on a phone and adds a bKash method; returns the signed-in page."""
    owner = browser.new_context(**OWNER_PHONE).new_page()
    owner.goto(f"{base}/login")
    owner.locator("#email").fill("owner@example.com")
    owner.locator("#password").fill(PASSWORD)
    owner.locator("main form button[type=submit]").click()
    owner.wait_for_url(f"{base}/admin/")
    owner.goto(f"{base}/admin/payment-methods/new")
    _fits_the_phone(owner, 360)
    owner.get_by_label("Name shown to shoppers").fill("bKash")
    owner.get_by_label("Number, key or account to pay to").fill("01712345678")
    owner.get_by_label("Instructions (optional)").fill("Send Money from your bKash app.")
    owner.get_by_label("Hold the stock for (hours)").fill("0")
    owner.get_by_role("button", name="Save").click()
    expect(owner.locator(".field.has-error")).to_have_count(1)  # shown again with its message
    expect(owner.get_by_label("Name shown to shoppers")).to_have_value("bKash")
    owner.get_by_label("Hold the stock for (hours)").fill("24")
    owner.get_by_role("button", name="Save").click()
    owner.wait_for_url(f"{base}/admin/payment-methods")
    expect(owner.locator("[data-transfer-method]")).to_have_count(1)
    _fits_the_phone(owner, 360)
    return owner


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_transfer_order_from_checkout_to_received(browser, transfer_shop, expect, javascript):
    base, slug = transfer_shop
    owner = _owner_sets_up_bkash(browser, base, expect)

    shopper = browser.new_context(**PHONE, java_script_enabled=javascript).new_page()
    shopper.goto(f"{base}/p/{slug}")
    shopper.get_by_role("button", name="Add to cart").click()
    expect(shopper.locator("[data-cart-count]").first).to_have_text("1")
    shopper.goto(f"{base}/checkout")
    shopper.get_by_label("Pick up at the shop").check()
    shopper.get_by_label("Full name").fill("Rahim Uddin")
    shopper.get_by_label("Phone", exact=True).fill("+880 1712 000111")
    shopper.get_by_label("bKash").check()
    shopper.get_by_role("button", name=re.compile("Place order")).click()
    shopper.wait_for_url(f"{base}/o/**")
    order_url = shopper.url.split("#")[0]
    expect(shopper.locator("[data-awaiting-transfer]")).to_be_visible()
    expect(shopper.locator("[data-transfer-account]")).to_have_text("01712345678")
    expect(shopper.get_by_text("Send exactly $120.99 by bKash to:")).to_be_visible()
    reference = shopper.locator("[data-transfer-reference]").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{5}-[2-9A-Z]{5}", reference)
    _fits_the_phone(shopper, 390)

    field = shopper.get_by_label("Transaction id (optional, from your payment app)")
    field.fill("no!")
    shopper.get_by_role("button", name="Send transaction id").click()
    expect(shopper.locator("#transfer-transaction-id-err")).to_contain_text("4 to 40 letters")
    shopper.get_by_label("Transaction id (optional, from your payment app)").fill("9AB3CD7EF1")
    shopper.get_by_role("button", name="Send transaction id").click()
    expect(shopper.locator("[data-claimed-id]")).to_contain_text("9AB3CD7EF1")

    owner.goto(f"{base}/admin/orders/{reference}")
    _fits_the_phone(owner, 360)
    expect(owner.get_by_label("Transaction id you received")).to_have_value("9AB3CD7EF1")
    owner.get_by_role("button", name="Transfer received").click()
    expect(owner.locator(".flash")).to_contain_text(f"Transfer received: order {reference} goes ahead.")

    shopper.goto(order_url)
    expect(shopper.locator('[data-transfer-status="received"]')).to_contain_text("Transfer received")
    expect(shopper.locator("[data-awaiting-transfer]")).to_have_count(0)
    expect(shopper.locator(".timeline [aria-current=step]")).to_contain_text("Placed")
