"""Stock on a 360 x 640 phone: search, the low filter, + twice then Apply, and nothing scrolls sideways."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory.models import StockMovement
from tests.builders import PASSWORD, make_category, make_product, make_user, stock_of
from tests.live_server import gunicorn

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def stock_shop(sqlite_app, tmp_path):
    """An owner, a coat with a low S (2) and a plenty L (10), and enough other stock to page; under gunicorn."""
    with sqlite_app.app_context():
        make_user("owner@example.com", "owner")
        clothing = make_category("Clothing")
        coat = make_product(
            "Merino wool winter coat with a very long name", variants=(("S", 2), ("L", 10)), category=clothing
        )
        for n in range(12):
            make_product(f"Everyday item {n}", variants=(("One size", 20),))
        ids = {v.name: v.id for v in coat.variants}
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1) as base:
        yield base, ids


def _sign_in(browser, base: str, javascript: bool = True):
    page = browser.new_context(**PHONE, java_script_enabled=javascript).new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill("owner@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")
    return page


def _fits(page) -> None:
    """No document-level sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _in_view_sideways(locator) -> None:
    """The control is inside the 360 px viewport, without scrolling sideways, and at least 44 px tall."""
    box = locator.bounding_box()
    assert box, locator
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert box["height"] >= 44 and box["width"] >= 44, box


def test_search_filter_low_and_apply_plus_two_on_a_phone(browser, stock_shop, expect, sqlite_app):
    base, ids = stock_shop
    page = _sign_in(browser, base)
    page.goto(f"{base}/admin/stock")
    _fits(page)
    expect(page.locator(".stock-count")).to_have_text("14 variants")
    page.get_by_label("Search").fill("merino")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/admin/stock\?q=merino"))
    expect(page.locator(".stock-card")).to_have_count(2)
    page.get_by_label("Low stock").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"q=merino.*low=1"))
    expect(page.locator(".stock-count")).to_have_text("1 variant")
    _fits(page)

    card = page.locator(f"#variant-{ids['S']}")
    more, less = card.get_by_role("button", name="One more"), card.get_by_role("button", name="One less")
    change = card.get_by_label("Change (+ received, − removed)")
    apply = card.get_by_role("button", name=re.compile("^Apply"))
    for control in (more, less, change, apply, card.get_by_label("Reason"), card.get_by_label("Note (optional)")):
        _in_view_sideways(control)
    more.tap()
    more.tap()
    expect(change).to_have_value("2")
    less.tap()
    more.tap()
    expect(change).to_have_value("2")
    card.get_by_label("Reason").select_option("received")
    apply.tap()

    page.wait_for_url(re.compile(rf"/admin/stock\?q=merino&low=1#variant-{ids['S']}$"))
    expect(page.locator(".flash")).to_contain_text("Stock is now 4.")
    expect(page.locator(".stock-count")).to_have_text("0 variants")  # 4 is over the threshold (3): no longer low
    _fits(page)
    with sqlite_app.app_context():
        assert stock_of(ids["S"]) == 4
        movement = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert (movement.variant_id, movement.delta, movement.reason, movement.on_hand_after) == (
            ids["S"],
            2,
            "received",
            4,
        )


def test_without_javascript_the_change_is_typed_and_a_refusal_stays_on_its_card(
    browser, stock_shop, expect, sqlite_app
):
    base, ids = stock_shop
    page = _sign_in(browser, base, javascript=False)
    page.goto(f"{base}/admin/stock?q=merino")
    card = page.locator(f"#variant-{ids['L']}")
    expect(card.get_by_role("button", name="One more")).to_be_hidden()
    card.get_by_label("Change (+ received, − removed)").fill("-11")
    card.get_by_label("Note (optional)").fill("Flood")
    card.get_by_role("button", name=re.compile("^Apply")).click()
    expect(card.locator(".error")).to_have_text(re.compile("Stock cannot go below 0"))
    expect(card.get_by_label("Change (+ received, − removed)")).to_have_value("-11")
    expect(card.get_by_label("Note (optional)")).to_have_value("Flood")
    _fits(page)
    card.get_by_label("Change (+ received, − removed)").fill("-4")
    card.get_by_role("button", name=re.compile("^Apply")).click()
    page.wait_for_url(re.compile(rf"/admin/stock\?q=merino#variant-{ids['L']}$"))
    with sqlite_app.app_context():
        assert stock_of(ids["L"]) == 6


@pytest.mark.parametrize("path", ["/admin/stock", "/admin/stock/ledger", "/admin/stock/import", "/admin/stock?page=2"])
def test_stock_pages_fit_a_phone(browser, stock_shop, path):
    base, _ = stock_shop
    page = _sign_in(browser, base)
    page.goto(f"{base}{path}")
    _fits(page)
    for button in page.locator("main button[type=submit]").all():
        if button.is_visible():
            _in_view_sideways(button)
