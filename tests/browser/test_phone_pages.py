"""Every admin, report, seller and account page on a 360 x 640 phone, as owner, staff and seller; shopper pages too.

The pages are found on the URL map (tests/browser/a11y.py). On each page a role may open: no
sideways scrolling of the whole document, every form's submit button inside [0, 360] once
scrolled to vertically, and every visible control a tap target of at least 44 x 44 px (a link
with words may be narrower, down to WCAG 2.5.8's 24 px; links inside a sentence are exempt, as
WCAG 2.5.8 exempts inline targets). Run once as rendered and
once with every <details> open (the header's Menu, folded sections).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.a11y import (
    EXTRA_STAFF_RULES,
    KNOWN_PHONE,
    SHOPPER_PAGES,
    check_seen,
    discover_staff_rules,
    fill,
    page_param,
    prepare,
    serve_a11y_shop,
    shopper,
    sign_in,
    visit_as,
)

PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True}
STAFF_RULES = discover_staff_rules() + EXTRA_STAFF_RULES

# Measured in the page: returns what is wrong, each entry naming the element.
MEASURE = (Path(__file__).resolve().parent / "phone_checks.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def phone_shop(tmp_path_factory, playwright_api):
    with serve_a11y_shop(tmp_path_factory.mktemp("phone")) as shop:
        yield shop


@pytest.fixture(scope="module")
def phones(browser, phone_shop):
    """role -> one reusable signed-in page on a 360 x 640 touch screen."""
    contexts = {
        role: browser.new_context(**PHONE, storage_state=sign_in(browser, phone_shop.base, role))
        for role in ("owner", "staff", "seller")
    }
    yield {role: context.new_page() for role, context in contexts.items()}
    for context in contexts.values():
        context.close()


def _problems(page) -> list[str]:
    """What is wrong on the page as rendered, then with every <details> open (duplicates once)."""
    found: list[str] = []
    for open_details in (False, True):
        for kind, items in page.evaluate(MEASURE, open_details).items():
            for item in items:
                line = f"{kind}: {item}"
                if line not in found:
                    found.append(line)
    return found


@pytest.mark.parametrize("rule", [page_param(rule, KNOWN_PHONE) for rule in STAFF_RULES])
def test_staff_pages_fit_a_360_px_phone(phones, phone_shop, rule):
    url = phone_shop.base + fill(rule, phone_shop.table)
    seen, report = [], []
    for role, page in phones.items():
        outcome = visit_as(page.context, url)
        if outcome == "refused":
            continue
        seen.append(role)
        if outcome == "file":
            continue
        page.goto(url)
        problems = _problems(page)
        if problems:
            report.append(f"{rule} as {role} at 360 x 640:\n  " + "\n  ".join(problems))
    check_seen(rule, seen)
    assert not report, "\n".join(report)


@pytest.fixture(scope="module")
def shopper_phones(browser, phone_shop, expect):
    """cart ("empty" | "filled") -> one reusable shopper's page on a 360 x 640 touch screen."""
    pages = {cart: shopper(browser, phone_shop, cart, expect, **PHONE) for cart in ("empty", "filled")}
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.mark.parametrize("name", [page_param(name, KNOWN_PHONE) for name in SHOPPER_PAGES])
def test_shopper_pages_fit_a_360_px_phone(shopper_phones, phone_shop, name):
    path, cart = SHOPPER_PAGES[name]
    page = shopper_phones[cart]
    page.goto(phone_shop.base + path.format(**phone_shop.shopper))
    prepare(page, name)
    problems = _problems(page)
    assert not problems, f"{name} ({path}) at 360 x 640:\n  " + "\n  ".join(problems)


def test_the_measure_sees_a_small_target_overflow_and_a_cut_off_button(browser, phone_shop):
    """The checks themselves: a page built to break each rule is caught on each count."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(phone_shop.base + "/offline")
    page.evaluate(  # styles through the CSSOM: the shop's CSP refuses style attributes
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
              '<p>Read <a href="#x">the terms</a> first.</p>' +
              '<p><a href="#y" id="tiny">Tiny</a></p><div id="wide">wide</div>' +
              '<form><button id="far">Go</button></form>');
            Object.assign(document.getElementById('tiny').style, {display: 'inline-block', height: '20px'});
            document.getElementById('wide').style.width = '600px';
            Object.assign(document.getElementById('far').style, {position: 'relative', left: '400px'});
        }"""
    )
    problems = "\n".join(_problems(page))
    assert 'a#tiny "Tiny"' in problems
    assert "the terms" not in problems  # a link inside a sentence is exempt
    assert "overflow: document is" in problems and "div" in problems
    assert 'submits: button#far "Go"' in problems
    context.close()
