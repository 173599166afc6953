"""The owner's customer pages: list search, filters, sort, CSV; a customer's page; notes, tags, consent; access."""

from __future__ import annotations

import csv
import io

import pytest

from storefront.clock import utcnow
from storefront.customers import service
from storefront.customers.models import Customer
from storefront.extensions import db
from tests.builders import ShopClient, make_product
from tests.customers.conftest import consent_log, customers_in_db, place
from tests.sellers.builders import make_order, make_seller

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def people(app) -> dict[str, int]:
    """Three customers with orders: Ada (2 orders, email offers, tag vip), Bo (big spender, London), Cy."""
    with app.app_context():
        product = make_product("Jug", price=1000, variants=(("One", 500),))
        ids = {}
        for name, phone, qty, count in (("Ada Lovelace", "+1 555 0101", 1, 2), ("Bo Big", "+1 555 0202", 9, 1)):
            for _ in range(count):
                order = make_order([(product, qty)], phone=phone, email=f"{name.split()[0].lower()}@example.com")
                order.customer_name, order.city = name, "London" if name.startswith("Bo") else "Paris"
                db.session.flush()
                ids[name] = service.link_order(db.session, order, utcnow())
        order = make_order([(product, 1)], phone="+1 555 0303", email="")
        order.customer_name = "=HYPERLINK(1)"
        ids["Cy"] = service.link_order(db.session, order, utcnow())
        service.grant_offers(db.session, ids["Ada Lovelace"], ["email"], "checkout", utcnow())
        service.add_tag(db.session, ids["Ada Lovelace"], " VIP ")
        db.session.commit()
        return ids


def names_on(page: str, people: dict[str, int]) -> set[str]:
    return {name for name, cid in people.items() if f'/admin/customers/{cid}"' in page}


def test_list_searches_filters_and_sorts(app, owner, people):
    page = owner.client.get("/admin/customers").text
    assert names_on(page, people) == set(people) and "3 customers" in page
    assert names_on(owner.client.get("/admin/customers?q=lovelace").text, people) == {"Ada Lovelace"}
    assert names_on(owner.client.get("/admin/customers?q=555-0202").text, people) == {"Bo Big"}
    assert names_on(owner.client.get("/admin/customers?q=bo@example").text, people) == {"Bo Big"}
    assert names_on(owner.client.get("/admin/customers?consent=email").text, people) == {"Ada Lovelace"}
    assert names_on(owner.client.get("/admin/customers?tag=vip").text, people) == {"Ada Lovelace"}
    assert names_on(owner.client.get("/admin/customers?city=london").text, people) == {"Bo Big"}
    by_spend = owner.client.get("/admin/customers?sort=spend").text
    assert by_spend.index(f'/admin/customers/{people["Bo Big"]}"') < by_spend.index(
        f'/admin/customers/{people["Ada Lovelace"]}"'
    )
    for odd in ("?sort=x&rfm=nope&store=abc&seller=-1&page=99999", "?q=%25%5F", "?consent=sms&tag=" + "x" * 500):
        assert owner.client.get("/admin/customers" + odd).status_code == 200


def test_csv_exports_the_filtered_list_safely(app, owner, staff, people):
    response = owner.client.get("/admin/customers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    cy = next(r for r in rows if r["id"] == str(people["Cy"]))
    assert cy["name"] == "'=HYPERLINK(1)", "a formula is neutralised"
    bo = next(r for r in rows if r["id"] == str(people["Bo Big"]))
    assert (bo["orders"], bo["spend"], bo["city"]) == ("1", "95.00", "London")
    only = list(csv.DictReader(io.StringIO(owner.client.get("/admin/customers.csv?consent=email").text)))
    assert [r["id"] for r in only] == [str(people["Ada Lovelace"])] and only[0]["offers_email"] == "yes"
    assert staff.client.get("/admin/customers.csv").status_code == 403


def test_a_customers_page_notes_tags_and_consent(app, owner, people):
    cid = people["Ada Lovelace"]
    page = owner.client.get(f"/admin/customers/{cid}").text
    assert "Ada Lovelace" in page and "vip" in page and "/admin/orders/" in page
    assert owner.post(f"/admin/customers/{cid}/note", {"note": "Prefers morning delivery"}).status_code == 303
    assert owner.post(f"/admin/customers/{cid}/tags", {"tag": "Wholesale"}).status_code == 303
    assert owner.post(f"/admin/customers/{cid}/tags", {"tag": " "}).status_code == 422
    assert owner.post(f"/admin/customers/{cid}/tags/remove", {"tag": "vip"}).status_code == 303
    page = owner.client.get(f"/admin/customers/{cid}").text
    assert "Prefers morning delivery" in page and "wholesale" in page and ">vip<" not in page
    assert owner.post(f"/admin/customers/{cid}/note", {"note": "x" * 4001}).status_code == 422
    refused = owner.post(f"/admin/customers/{cid}/consent", {"channel": "whatsapp", "granted": "1", "note": ""})
    assert refused.status_code == 422, "an in-person opt-in needs a note of how it was given"
    said = {"channel": "whatsapp", "granted": "1", "note": "Asked at the market stall"}
    assert owner.post(f"/admin/customers/{cid}/consent", said).status_code == 303
    assert owner.post(f"/admin/customers/{cid}/consent", {"channel": "email", "granted": "0"}).status_code == 303
    ada = next(c for c in customers_in_db(app) if c.id == cid)
    assert ada.note == "Prefers morning delivery" and ada.marketing_whatsapp and not ada.marketing_email
    last_two = [(e.channel, e.granted, e.source, e.detail) for e in consent_log(app)[-2:]]
    assert last_two == [("whatsapp", True, "admin", "Asked at the market stall"), ("email", False, "admin", "")]
    assert "Asked at the market stall" in owner.client.get(f"/admin/customers/{cid}").text
    assert owner.client.get("/admin/customers/999999").status_code == 404


def test_staff_read_only_sellers_and_strangers_kept_out(app, staff, people):
    cid = people["Ada Lovelace"]
    assert staff.client.get("/admin/customers").status_code == 200
    assert staff.client.get(f"/admin/customers/{cid}").status_code == 200
    assert staff.post(f"/admin/customers/{cid}/note", {"note": "hi"}).status_code == 403
    assert staff.post(f"/admin/customers/{cid}/tags", {"tag": "x"}).status_code == 403
    assert staff.post(f"/admin/customers/{cid}/consent", {"channel": "email", "granted": "0"}).status_code == 403
    stranger = app.test_client()
    response = stranger.get("/admin/customers")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stranger.get(f"/admin/customers/{cid}").status_code == 302
    with app.app_context():
        make_seller("SELL01", email="seller@sellers.example")
    seller = ShopClient(app.test_client())
    seller.login("seller@sellers.example")
    assert seller.client.get("/admin/customers").status_code == 403
    assert seller.client.get("/admin/customers.csv").status_code == 403
    with app.app_context():
        assert db.session.get(Customer, cid).note == ""


def test_rebuild_command_and_demo_make_customers(app, runner, mug):
    assert place(app, mug, 1).status_code == 303
    with app.app_context():
        db.session.query(Customer).delete()
        db.session.commit()
    result = runner.invoke(args=["customers", "rebuild"])
    assert result.exit_code == 0 and "1 customers" in result.output
    [customer] = customers_in_db(app)
    assert customer.orders_count == 1 and customer.rfm_segment == "new"
