"""After-sales on a 390 px phone: from a delivered order's page the shopper asks for a return; staff accept,
receive and refund it; the shopper's order page then says "Refund sent"."""

from __future__ import annotations

from sqlalchemy import select

from storefront.catalog.models import Variant
from storefront.extensions import db
from storefront.orders.models import Order
from tests.aftersales.helpers import delivered_cash_order
from tests.builders import PASSWORD, ShopClient, make_user

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def _fits(page) -> None:
    """No sideways scroll at 390 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_return_from_the_order_page_to_refund_sent(browser, live_shop, sqlite_app, expect):
    base, _slug = live_shop
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        variant_id = db.session.scalars(select(Variant.id).order_by(Variant.id)).first()
    order_id = delivered_cash_order(sqlite_app, ShopClient(sqlite_app.test_client()), variant_id, 1)
    with sqlite_app.app_context():
        token = db.session.get(Order, order_id).token

    shopper = browser.new_context(**PHONE)
    page = shopper.new_page()
    page.goto(f"{base}/o/{token}")
    page.get_by_role("link", name="Return, exchange or report a problem").click()
    page.wait_for_url(f"{base}/o/{token}/help")
    _fits(page)
    page.get_by_label("Return", exact=True).check()
    page.locator("select[name^=qty-]").select_option("1")
    page.get_by_label("Reason").select_option("wrong_size")
    page.get_by_label("Tell us more").fill("Too big for me.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(f"{base}/o/{token}#aftersales")
    expect(page.locator("[data-request-status]")).to_have_attribute("data-request-status", "requested")
    _fits(page)

    staff = browser.new_context(**PHONE)
    admin = staff.new_page()
    admin.goto(f"{base}/login")
    admin.locator("#email").fill("owner@example.com")
    admin.locator("#password").fill(PASSWORD)
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url(f"{base}/admin/")
    admin.goto(f"{base}/admin/aftersales")
    admin.locator("[data-aftersales-queue] a").first.click()
    _fits(admin)
    admin.get_by_role("button", name="Accept").click()
    expect(admin.locator("[data-request-status]")).to_have_text("Accepted")
    admin.get_by_role("button", name="Mark items received (stock back)").click()
    expect(admin.locator("[data-request-status]")).to_have_text("Items received")
    _fits(admin)
    button = admin.get_by_role("button", name="Refund", exact=True)
    assert button.bounding_box()["height"] >= 44
    admin.get_by_label("I confirm: this cannot be undone.").first.check()
    button.click()
    expect(admin.locator("[data-refund]")).to_contain_text("Refund sent")

    page.reload()
    expect(page.locator("[data-refund-sent]")).to_contain_text("Refund sent")
    _fits(page)
    staff.close()
    shopper.close()
