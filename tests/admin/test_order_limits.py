"""Admin > Order limits: the owner reads and tunes the hoarding limits (CSRF, validated, re-shown)."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.orders.limit_rules import HoardingLimits
from storefront.orders.limits import current_limits
from tests.builders import ShopClient, make_user

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here
VALID = {
    "max_units_per_order": "12",
    "max_open_per_phone": "2",
    "max_open_per_address": "4",
    "release_after_hours": "24",
}


@pytest.fixture
def owner(app) -> ShopClient:
    with app.app_context():
        make_user("owner@example.com", "owner")
    shop = ShopClient(app.test_client())
    assert shop.login("owner@example.com").status_code == 303
    return shop


def limits_now(app) -> HoardingLimits:
    with app.app_context():
        return current_limits(db.session, app.config)


def test_the_owner_sees_the_defaults_and_saves_new_limits(app, owner):
    page = owner.client.get("/admin/order-limits")
    assert page.status_code == 200
    assert 'name="max_units_per_order" type="text" value="30"' in page.text
    assert 'href="/admin/order-limits"' in page.text, "linked from the admin menu"
    saved = owner.post("/admin/order-limits", VALID)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/admin/order-limits")
    assert limits_now(app) == HoardingLimits(12, 2, 4, 24)
    page = owner.client.get("/admin/order-limits").text
    assert "Order limits saved." in page and 'name="max_units_per_order" type="text" value="12"' in page


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_units_per_order", "abc"),
        ("max_units_per_order", "-1"),
        ("max_open_per_phone", ""),
        ("max_open_per_address", "1.5"),
        ("release_after_hours", "99999999999999999999999"),
        ("release_after_hours", "2161"),
        ("max_open_per_phone", "٣"),
        ("max_open_per_phone", "1\u202e"),
    ],
)
def test_bad_values_are_shown_again_with_a_message_and_nothing_changes(app, owner, field, value):
    response = owner.post("/admin/order-limits", {**VALID, field: value})
    assert response.status_code == 422
    assert "Please give a whole number from 0 to" in response.text
    assert f'id="{field}-err"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="12"' in response.text or field == "max_units_per_order", "the other values are kept"
    assert limits_now(app) == HoardingLimits(30, 3, 3, 48)


def test_without_csrf_nothing_is_saved(app, owner):
    response = owner.client.post("/admin/order-limits", data=VALID)
    assert response.status_code == 400
    assert limits_now(app) == HoardingLimits(30, 3, 3, 48)


def test_only_the_owner_may_change_limits(app):
    with app.app_context():
        make_user("staff@example.com", "staff")
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get("/admin/order-limits").status_code in (302, 303)
    staff = ShopClient(app.test_client())
    assert staff.login("staff@example.com").status_code == 303
    assert staff.client.get("/admin/order-limits").status_code == 403
    assert staff.post("/admin/order-limits", VALID).status_code == 403
    assert 'href="/admin/order-limits"' not in staff.client.get("/admin/").text
    assert limits_now(app) == HoardingLimits(30, 3, 3, 48)


@pytest.mark.parametrize("locale", ["bn", "es", "zh_Hans"])
def test_the_page_and_its_messages_are_translated(app, owner, locale):
    owner.client.set_cookie("locale", locale)
    page = owner.client.get("/admin/order-limits")
    assert page.status_code == 200 and "Most items in one order" not in page.text
    refused = owner.post("/admin/order-limits", {**VALID, "max_open_per_phone": "x"})
    assert refused.status_code == 422 and "Please give a whole number" not in refused.text
