"""Cancelling an order takes two taps: the order page links to a confirmation page, which posts the cancel."""

from __future__ import annotations

import re

import pytest

from tests.admin.test_orders import coat, order, staff, status_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def _cancel_section(html: str) -> str:
    match = re.search(r'<section class="danger-zone".*?</section>', html, re.S)
    assert match, "no cancel section"
    return match.group(0)


def test_the_order_page_keeps_cancel_apart_and_it_never_posts(app, order, staff):  # noqa: F811
    staff_shop, _ = staff
    page = staff_shop.client.get(f"/admin/orders/{order['reference']}").text
    section = _cancel_section(page)
    assert "<form" not in section and f'href="/admin/orders/{order["reference"]}/cancel"' in section
    assert page.index('value="confirm"') < page.index("History") < page.index("danger-zone")
    assert 'value="cancel"' not in page  # no form on the order page can cancel


def test_the_confirmation_page_asks_and_changes_nothing(app, order, staff):  # noqa: F811
    staff_shop, _ = staff
    page = staff_shop.client.get(f"/admin/orders/{order['reference']}/cancel")
    assert page.status_code == 200
    assert "Yes, cancel the order" in page.text and "No, keep it" in page.text
    assert 'name="event" value="cancel"' in page.text and 'name="csrf_token"' in page.text
    assert status_of(app, order["id"]) == "placed"
    done = staff_shop.post(f"/admin/orders/{order['reference']}/event", {"event": "cancel"})
    assert done.status_code == 303
    assert status_of(app, order["id"]) == "cancelled"
    too_late = staff_shop.client.get(f"/admin/orders/{order['reference']}/cancel")
    assert too_late.status_code == 409
    assert "cannot be cancelled" in too_late.text


def test_a_bad_refund_choice_shows_the_confirmation_again(app, order, staff):  # noqa: F811
    staff_shop, _ = staff
    bad = staff_shop.post(f"/admin/orders/{order['reference']}/event", {"event": "cancel", "refund": "half"})
    assert bad.status_code == 400
    assert "Choose whether to refund the payment." in bad.text and "Yes, cancel the order" in bad.text
    assert status_of(app, order["id"]) == "placed"


def test_the_confirmation_page_needs_staff_and_a_real_order(app, order, staff, client):  # noqa: F811
    assert client.get(f"/admin/orders/{order['reference']}/cancel").status_code in (302, 303, 401, 403)
    staff_shop, _ = staff
    assert staff_shop.client.get("/admin/orders/NOPE-NOPE/cancel").status_code == 404
