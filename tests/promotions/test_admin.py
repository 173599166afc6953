"""Admin > Discount codes: owner only; create, bad input re-shown, edit, switch off, bulk CSV; the reports show it."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.promotions.models import DiscountCode
from tests.builders import CHECKOUT_PICKUP, make_category, make_product, make_user

from .helpers import apply_code, make_code

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here

GOOD = {
    "code": "spring15",
    "kind": "percent",
    "value": "12.5",
    "description": "Spring",
    "min_subtotal": "20.00",
    "starts_on": "",
    "ends_on": "",
    "max_uses": "100",
    "max_per_customer": "1",
    "seller": "",
    "active": "y",
}


@pytest.fixture
def owner(app, shop):
    with app.app_context():
        make_user()
    assert shop.login().status_code == 303
    return shop


def test_staff_and_strangers_are_kept_out(app, shop):
    assert shop.client.get("/admin/promotions").status_code in (302, 303)  # to the sign-in page
    with app.app_context():
        make_user("staff@example.com", "staff")
    shop.login("staff@example.com")
    assert shop.client.get("/admin/promotions").status_code == 403
    assert shop.post("/admin/promotions/new", GOOD).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(DiscountCode.id)) is None


def test_create_edit_and_switch_off(app, owner):
    with app.app_context():
        shoes = make_category("Shoes", "shoes")
        shoes_id = shoes.id
    assert "New code" in owner.client.get("/admin/promotions/new").get_data(as_text=True)
    response = owner.post("/admin/promotions/new", {**GOOD, "categories": str(shoes_id)})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with app.app_context():
        code = db.session.scalars(select(DiscountCode)).one()
        assert (code.code, code.kind, code.value, code.min_subtotal) == ("SPRING15", "percent", 1250, 2000)
        assert (code.max_uses, code.max_per_customer, code.active) == (100, 1, True)
        assert [c.category_id for c in code.categories] == [shoes_id]
        code_id = code.id
    page = owner.client.get(f"/admin/promotions/{code_id}").get_data(as_text=True)
    assert 'value="12.5"' in page and 'value="20.00"' in page
    assert owner.post(f"/admin/promotions/{code_id}", {**GOOD, "value": "15"}).status_code == 303
    assert "SPRING15" in owner.client.get("/admin/promotions").get_data(as_text=True)
    assert owner.post(f"/admin/promotions/{code_id}/deactivate").status_code == 303
    with app.app_context():
        code = db.session.get(DiscountCode, code_id)
        assert (code.value, code.active) == (1500, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "no spaces allowed"}, "A code is 3 to 40 letters"),
        ({"value": "abc"}, "Enter a number like 10 or 12.50."),
        ({"value": "150"}, "A percent is more than 0 and at most 100."),
        ({"min_subtotal": "lots"}, "Enter the amount like 12.50."),
        ({"starts_on": "2026-07-10", "ends_on": "2026-07-01"}, "The code must end after it starts."),
        ({"max_uses": "0"}, "A limit is a whole number from 1"),
    ],
)
def test_bad_input_is_shown_again_as_typed(app, owner, changes, message):
    response = owner.post("/admin/promotions/new", {**GOOD, **changes})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Spring"' in page  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(DiscountCode.id)) is None


def test_taken_code_is_refused(app, owner):
    with app.app_context():
        make_code("SPRING15")
    response = owner.post("/admin/promotions/new", GOOD)
    assert response.status_code == 422 and "The code SPRING15 exists already." in response.get_data(as_text=True)


def test_bulk_single_use_codes_download_as_csv(app, owner):
    response = owner.post("/admin/promotions/bulk", {**GOOD, "code": "", "prefix": "vip-", "count": "25"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    made = [row[0] for row in rows[1:]]
    assert rows[0] == ["code"] and len(made) == len(set(made)) == 25
    assert all(code.startswith("VIP-") and len(code) == 12 for code in made)
    with app.app_context():
        stored = db.session.scalars(select(DiscountCode).where(DiscountCode.code.in_(made))).all()
        assert len(stored) == 25 and {(c.max_uses, c.max_per_customer) for c in stored} == {(1, 1)}
        assert len({c.batch for c in stored}) == 1
    refused = owner.post("/admin/promotions/bulk", {**GOOD, "prefix": "vip", "count": "5000"})
    assert refused.status_code == 422 and "Generate between 1 and" in refused.get_data(as_text=True)


def test_reports_show_discounts_and_the_promotions_page(app, owner):
    with app.app_context():
        variant = make_product("Cup", price=2000, variants=(("One", 9),)).variants[0].id
        make_code("CUP5", "fixed", 500)
    owner.add(variant, 1)
    apply_code(owner, "CUP5")
    assert owner.checkout(CHECKOUT_PICKUP).status_code == 303
    overview = owner.client.get("/admin/reports/").get_data(as_text=True)
    assert "Discounts" in overview and "$5.00" in overview
    page = owner.client.get("/admin/reports/promotions").get_data(as_text=True)
    assert "CUP5" in page and "$15.00" in page and "$5.00" in page


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("value", "Infinity"),
        ("value", "NaN"),
        ("value", "1e999"),
        ("ends_on", "9999-12-31"),
        ("starts_on", "0001-01-01"),
        ("max_uses", "99999999999999999999"),
        ("max_per_customer", "3000000000"),
    ],
)
def test_out_of_range_input_is_shown_again_not_a_server_error(app, owner, field, raw):
    response = owner.post("/admin/promotions/new", {**GOOD, field: raw})
    assert response.status_code == 422, (field, raw, response.status_code)
    assert 'role="alert"' in response.get_data(as_text=True) or "error" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DiscountCode.id)) is None


def test_a_used_codes_limit_cannot_go_below_its_uses(app, owner):
    with app.app_context():
        code_id = make_code("BUSY", max_uses=10)
        db.session.get(DiscountCode, code_id).uses = 5
        db.session.commit()
    response = owner.post(f"/admin/promotions/{code_id}", {**GOOD, "code": "BUSY", "max_uses": "3"})
    assert response.status_code == 422
    assert "used 5 times already" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DiscountCode, code_id).max_uses == 10
    assert owner.post(f"/admin/promotions/{code_id}", {**GOOD, "code": "BUSY", "max_uses": "5"}).status_code == 303
