"""Every admin, report, seller and account page on a 360 x 640 phone, as owner, staff and seller; shopper pages too.

The pages are found on the URL map (tests/browser/a11y.py). On each page a role may open: no
sideways scrolling of the whole document, every form's submit button inside [0, 360] once
scrolled to vertically, and every visible control a tap target of at least 44 x 44 px (a link
with words may be narrower, down to WCAG 2.5.8's 24 px; links inside a sentence are exempt, as
WCAG 2.5.8 exempts inline targets). Run once as rendered and
once with every <details> open (the header's Menu, folded sections). The shared sweep
(tests/browser/a11y.py) measures each page on the load test_axe.py checks at 390 x 844, after axe,
shrunk to 360 x 640 with touch on (a Screens' phone page).
"""

from __future__ import annotations

import pytest

from tests.browser.a11y import (
    EXTRA_STAFF_RULES,
    KNOWN_PHONE,
    PHONE,
    SHOPPER_PAGES,
    check_seen,
    discover_staff_rules,
    page_param,
    phone_problems,
)

STAFF_RULES = discover_staff_rules() + EXTRA_STAFF_RULES


@pytest.fixture(scope="module")
def sweep(a11y_sweep):
    """The shared sweep; its browser contexts closed when this module is done (its findings are kept)."""
    yield a11y_sweep
    a11y_sweep.close()


@pytest.mark.parametrize("rule", [page_param(rule, KNOWN_PHONE) for rule in STAFF_RULES])
def test_staff_pages_fit_a_360_px_phone(sweep, rule):
    """Each staff page as each role that may open it (a CSV or other file is only opened)."""
    swept = sweep.staff(rule)
    report = [
        f"{rule} as {role} at 360 x 640:\n  " + "\n  ".join(found.phone)
        for role, found in swept.found.items()
        if found.phone
    ]
    check_seen(rule, swept.seen)
    assert not report, "\n".join(report)


@pytest.mark.parametrize("name", [page_param(name, KNOWN_PHONE) for name in SHOPPER_PAGES])
def test_shopper_pages_fit_a_360_px_phone(sweep, name):
    """Each state of each shopper page."""
    path, _cart = SHOPPER_PAGES[name]
    problems = sweep.shopper(name).phone
    assert not problems, f"{name} ({path}) at 360 x 640:\n  " + "\n  ".join(problems)


def test_the_measure_sees_a_small_target_overflow_and_a_cut_off_button(browser, a11y_shop):
    """The checks themselves: a page built to break each rule is caught on each count."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(a11y_shop.base + "/offline")
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
    problems = "\n".join(phone_problems(page))
    assert 'a#tiny "Tiny"' in problems
    assert "the terms" not in problems  # a link inside a sentence is exempt
    assert "overflow: document is" in problems and "div" in problems
    assert 'submits: button#far "Go"' in problems
    context.close()
