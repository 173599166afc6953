"""axe-core (WCAG 2.0-2.2 A/AA + best practices) finds nothing on any page type, at 390 and 1280 px.

Shopper pages are listed by hand (each state of a page is its own entry); staff pages (admin,
reports, seller, account) are found on the URL map and visited as owner, staff and seller. The
pages are loaded by the shared sweep (tests/browser/a11y.py, `a11y_sweep` in conftest.py): once
per walker and screen, axe run at both widths and the phone checks of test_phone_pages.py on those loads.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import (
    AXE_JS,
    AXE_VERSION,
    EXTRA_STAFF_RULES,
    KNOWN_AXE,
    SHOPPER_PAGES,
    WIDTHS,
    check_seen,
    describe,
    discover_staff_rules,
    page_param,
    parameters_of,
    vendored_axe_version,
)

STAFF_RULES = discover_staff_rules() + EXTRA_STAFF_RULES


@pytest.fixture(scope="module")
def sweep(a11y_sweep):
    """The shared sweep; its browser contexts closed when this module is done (its findings are kept)."""
    yield a11y_sweep
    a11y_sweep.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [page_param(name, KNOWN_AXE) for name in SHOPPER_PAGES])
def test_axe_finds_nothing_on_shopper_pages(sweep, name, width):
    """Each state of each shopper page, at a phone's 390 px and a desktop's 1280 px."""
    path, _cart = SHOPPER_PAGES[name]
    violations = sweep.shopper(name).axe[width]
    assert not violations, describe(violations, f"{name} ({path}) at {width} px")


def test_the_vendored_axe_core_is_the_release_named_and_recent():
    """axe-core >= 4.8 knows WCAG 2.2's target-size; AXE_VERSION (in failure messages) must say what runs."""
    version = vendored_axe_version()
    assert version == AXE_VERSION
    assert tuple(int(part) for part in version.split(".")) >= (4, 8, 0)
    assert (AXE_JS.parent / "axe-core.LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License")


def test_every_staff_rule_has_its_parameters_in_the_fixture_table(a11y_shop):
    """A new staff page with a new path parameter must be given a value here, so it gets checked too."""
    unknown = {rule: p for rule in STAFF_RULES for p in parameters_of(rule) if p not in a11y_shop.table}
    assert not unknown, f"add these path parameters to tests/browser/a11y.py's table: {unknown}"
    assert len(STAFF_RULES) > 20, "the staff blueprints moved? the discovery found almost nothing"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("rule", [page_param(rule, KNOWN_AXE) for rule in STAFF_RULES])
def test_axe_finds_nothing_on_staff_pages(sweep, rule, width):
    """Each staff page as each role that may open it (a CSV or other file is only opened)."""
    swept = sweep.staff(rule)
    problems = [
        describe(found.axe[width], f"{rule} as {role} at {width} px")
        for role, found in swept.found.items()
        if found.axe[width]
    ]
    check_seen(rule, swept.seen)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_refused_checkout_puts_the_focus_on_the_error_summary(browser, a11y_shop, expect, javascript):
    """After a failed submit the keyboard is on the summary (not the page body); a link there leads to the field."""
    context = browser.new_context(viewport=WIDTHS["390"], java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{a11y_shop.base}/p/{a11y_shop.shopper['coat']}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]").first).to_have_text("1")
    page.goto(f"{a11y_shop.base}/checkout")
    page.get_by_label("Phone", exact=True).fill("+1 415 555 0100")  # the name is missing
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    link = summary.get_by_role("link", name=re.compile("^Full name: "))
    expect(link).to_have_attribute("href", "#customer_name-field")
    link.click()
    if javascript:  # the field itself takes the focus
        expect(page.get_by_label("Full name")).to_be_focused()
    else:  # the browser scrolls to the field; the next Tab lands in it
        page.keyboard.press("Tab")
        expect(page.get_by_label("Full name")).to_be_focused()
    expect(page.get_by_label("Phone", exact=True)).to_have_value("+1 415 555 0100")  # the half-filled form is kept
    context.close()
