"""The phone walk-through (390 x 844): checkout totals per delivery method, choosing a store, a sold-out refusal."""

from __future__ import annotations

import re

import pytest

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from tests.builders import make_product, variant_ids
from tests.live_server import gunicorn
from tests.stores.builders import make_store

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


@pytest.fixture
def walk(sqlite_app, tmp_path):
    """A shop with a $120.99 coat, a hat with one left, and two San Francisco stores, under gunicorn."""
    with sqlite_app.app_context():
        coat = make_product("Merino coat", price=12099, variants=(("", 9),))
        hat = make_product("Felt hat", price=2000, variants=(("", 1),))
        make_store("Harbour Street", 37.795, -122.393, "San Francisco", "94111")
        market = make_store("Market Street", 37.779, -122.419, "San Francisco", "94103", address="870 Market St")
        ids = {"coat": coat.slug, "hat": hat.slug, "hat_variant": variant_ids(hat)[0], "market": market.id}
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base, ids


def _phone(browser, javascript: bool = True):
    return browser.new_context(**PHONE, java_script_enabled=javascript)


def _add_coat(page, base, slug, expect) -> None:
    page.goto(f"{base}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]").first).to_have_text("1")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_total_shown_follows_the_delivery_method_and_is_what_is_charged(browser, walk, expect, javascript):
    base, ids = walk
    context = _phone(browser, javascript)
    page = context.new_page()
    _add_coat(page, base, ids["coat"], expect)
    page.goto(f"{base}/checkout")
    total = page.locator(".summary .grand strong")  # inner text: what is shown (both figures are in the HTML)
    button = page.get_by_role("button", name=re.compile("Place order"))
    expect(total).to_have_text("$125.99", use_inner_text=True)
    expect(button).to_have_text(re.compile(r"Place order · \$125\.99$"), use_inner_text=True)
    expect(page.locator(".summary").get_by_text("Delivery", exact=True)).to_be_visible()
    page.get_by_label("Pick up at the shop").check()
    expect(total).to_have_text("$120.99", use_inner_text=True)
    expect(button).to_have_text(re.compile(r"Place order · \$120\.99$"), use_inner_text=True)
    expect(page.locator(".summary").get_by_text("Delivery", exact=True)).to_be_hidden()
    if javascript:  # checkout.js keeps the page's own record in step and says the new total
        expect(page.locator("[data-checkout]")).to_have_attribute("data-method", "pickup")
        expect(page.locator("body")).to_have_attribute("data-value", "12099")
        expect(page.locator("[data-live]")).to_have_text("Total: $120.99")
    page.get_by_label("Delivery to my address").check()
    expect(total).to_have_text("$125.99", use_inner_text=True)  # and back
    page.get_by_label("Pick up at the shop").check()
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Phone", exact=True).fill("+1 555 0100")
    button.click()
    page.wait_for_url(f"{base}/o/**")
    expect(page.locator(".flash")).to_contain_text("Thank you for your order!")
    expect(page.locator("strong[data-order-total]")).to_have_text("$120.99")
    assert "$0.00" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_choosing_a_store_keeps_the_list_and_leads_to_checkout_with_it_selected(browser, walk, expect):
    base, ids = walk
    context = _phone(browser)
    page = context.new_page()
    _add_coat(page, base, ids["coat"], expect)
    page.goto(f"{base}/stores?lat=37.7790&lng=-122.4190")  # as "Use my location" sends it
    names = page.locator(".store-name")
    expect(names.first).to_contain_text("Market Street")
    page.get_by_role("button", name="Choose this store · Market Street").click()
    expect(page.locator(".flash")).to_contain_text("Market Street is now your store.")
    assert page.url.endswith("/stores?lat=37.7790&lng=-122.4190")
    expect(names.first).to_contain_text("Market Street")
    expect(names.first).to_contain_text("Your store")
    expect(page.locator(".store-distance")).to_have_count(2)  # nearest first, with distances, still
    page.get_by_role("link", name="Continue to checkout").click()
    page.wait_for_url(f"{base}/checkout")
    expect(page.get_by_label("Pick up at", exact=True)).to_have_value(str(ids["market"]))
    context.close()


def test_a_sold_out_refusal_updates_a_page_opened_before(browser, walk, expect, sqlite_app):
    base, ids = walk
    context = _phone(browser)
    page = context.new_page()
    page.goto(f"{base}/p/{ids['hat']}")
    stock = page.locator(".v-stock")
    expect(stock).to_have_text("Only 1 left")
    with sqlite_app.app_context():  # the last one sells elsewhere while the page is open
        adjust_stock(db.session, ids["hat_variant"], -1, "sold in the shop", utcnow(), None)
        db.session.commit()
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".alert")).to_have_text("Sorry, this item is sold out.")
    expect(stock).to_have_text("Sold out")
    expect(page.locator("form[data-add-to-cart] button[type=submit]")).to_be_disabled()
    expect(page.locator("form[data-add-to-cart] button[type=submit]")).to_have_text("Sold out")
    assert page.evaluate("window.__samePage === true"), "updated in place"
    expect(page.locator("[data-cart-count]").first).to_have_text("0")
    context.close()


def _without_has(route) -> None:
    """app.css as a browser without :has() reads it (Firefox ESR 115, Chrome < 105): those rules dropped."""
    css = route.fetch().text()
    css = css.replace("@supports not selector(:has(a))", "@supports (display: block)")
    css = re.sub(r"[^{}]*:has\([^{}]*\{[^{}]*\}", "", css)
    route.fulfill(body=css, content_type="text/css")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_without_has_the_page_never_shows_only_another_methods_total(browser, walk, expect, javascript):
    base, ids = walk
    context = _phone(browser, javascript=javascript)
    page = context.new_page()
    page.route("**/static/css/app.css*", _without_has)
    _add_coat(page, base, ids["coat"], expect)
    page.goto(f"{base}/checkout")
    page.get_by_label("Pick up at the shop").check()
    total = page.locator(".summary .grand strong")
    button = page.get_by_role("button", name=re.compile("Place order"))
    if javascript:  # checkout.js follows the radio: the chosen total alone
        expect(total).to_have_text("$120.99", use_inner_text=True)
        expect(button).to_have_text(re.compile(r"Place order · \$120\.99$"), use_inner_text=True)
    else:  # nothing can follow the radio: every method's total, each named (the charged one among them)
        expect(total).to_contain_text("Pick up at the shop: $120.99", use_inner_text=True)
        expect(total).to_contain_text("Delivery to my address: $125.99", use_inner_text=True)
        expect(button).to_contain_text("Pick up at the shop: $120.99", use_inner_text=True)
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Phone", exact=True).fill("+1 555 0100")
    button.click()
    page.wait_for_url(f"{base}/o/**")
    expect(page.locator("strong[data-order-total]")).to_have_text("$120.99")
    context.close()
