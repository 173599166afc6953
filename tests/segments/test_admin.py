"""Admin > Segments: the builder's count (page and JSON), save, edit, delete, prefill, CSV and who may see it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.segments.models import Segment
from tests.builders import ShopClient, make_user
from tests.clock import default_now
from tests.segments.world import RawCustomer, RawOrder, insert, make_catalog

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


@pytest.fixture
def world(app):
    """Owner signed in; a catalog; three customers: two bought the shoe (one is a VIP), one did not."""
    with app.app_context():
        make_user()
        catalog = make_catalog()
        now = default_now().replace(tzinfo=None)
        people = [
            RawCustomer(orders=[RawOrder("delivered", [0])], tags=["vip"], spend=9000, consent=["email"]),
            RawCustomer(orders=[RawOrder("placed", [0])], spend=1200),
            RawCustomer(orders=[RawOrder("delivered", [1])]),
        ]
        ids = insert(catalog, people, now)
    owner = ShopClient(app.test_client())
    owner.login()
    return owner, catalog, ids


def saved(app) -> list[Segment]:
    """Every saved segment, fresh from the database."""
    with app.app_context():
        rows = db.session.scalars(select(Segment).order_by(Segment.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_count_json_follows_the_criteria(world):
    owner, catalog, _ids = world
    shoe = catalog.products[0]
    answer = owner.client.get(f"/admin/segments/count.json?bought_products={shoe}")
    assert answer.status_code == 200
    assert answer.json["count"] == 2
    assert answer.json["label"] == "2 customers"
    assert answer.json["summary"] == ["Bought any of these products: Red shoe"]
    assert owner.client.get(f"/admin/segments/count.json?bought_products={shoe}&tags=vip").json["count"] == 1
    refused = owner.client.get("/admin/segments/count.json?orders_min=lots")
    assert refused.status_code == 422
    assert refused.json["field"] == "orders_min"
    assert "At least … orders" in refused.json["error"]


def test_prefill_from_query_args_shows_the_criteria_and_count(world):
    owner, catalog, _ids = world
    shoe = catalog.products[0]
    page = owner.client.get(f"/admin/segments/new?bought_products={shoe}&tags=vip&spend_min=100")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<option value="{shoe}" selected>Red shoe</option>' in html
    assert '<option value="vip" selected>vip</option>' in html
    assert 'value="100"' in html
    assert "1 customer" in html


def test_no_js_count_posts_and_re_renders_without_saving(app, world):
    owner, catalog, _ids = world
    page = owner.post("/admin/segments/new", {"action": "count", "bought_products": catalog.products[0]})
    assert page.status_code == 200
    assert "2 customers" in page.get_data(as_text=True)
    assert saved(app) == []


def test_save_edit_and_delete(app, world):
    owner, catalog, ids = world
    shoe = catalog.products[0]
    answer = owner.post("/admin/segments/new", {"action": "save", "name": " Shoe buyers ", "bought_products": shoe})
    assert answer.status_code == 303
    (segment,) = saved(app)
    assert segment.name == "Shoe buyers"
    assert json.loads(segment.definition) == {"bought_products": [shoe]}

    members = owner.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'href="/admin/customers/{ids[0]}"' in members and f'href="/admin/customers/{ids[1]}"' in members
    assert f"/admin/customers/{ids[2]}" not in members
    listing = owner.client.get("/admin/segments").get_data(as_text=True)
    assert "Shoe buyers" in listing and "2 customers" in listing

    edit = owner.client.get(f"/admin/segments/{segment.id}/edit").get_data(as_text=True)
    assert f'<option value="{shoe}" selected>Red shoe</option>' in edit
    form = {"action": "save", "name": "VIP shoe", "bought_products": shoe, "tags": "vip"}
    owner.post(f"/admin/segments/{segment.id}/edit", form)
    (segment,) = saved(app)
    assert (segment.name, json.loads(segment.definition)) == ("VIP shoe", {"bought_products": [shoe], "tags": ["vip"]})

    assert "Delete the segment" in owner.client.get(f"/admin/segments/{segment.id}/delete").get_data(as_text=True)
    assert saved(app) != []
    assert owner.post(f"/admin/segments/{segment.id}/delete").status_code == 303
    assert saved(app) == []
    assert owner.client.get(f"/admin/segments/{segment.id}").status_code == 404


def test_a_refused_save_keeps_the_input_and_saves_nothing(app, world):
    owner, catalog, _ids = world
    no_name = owner.post("/admin/segments/new", {"action": "save", "name": " ", "cities": "Dhaka"})
    assert no_name.status_code == 422
    assert "Give the segment a name." in no_name.get_data(as_text=True)
    assert 'value="Dhaka"' in no_name.get_data(as_text=True)
    bad = owner.post("/admin/segments/new", {"action": "save", "name": "X", "orders_min": "5", "orders_max": "1"})
    assert bad.status_code == 422
    assert "is above the maximum" in bad.get_data(as_text=True)
    assert saved(app) == []


def test_save_needs_the_csrf_token(app, world):
    owner, _catalog, _ids = world
    answer = owner.client.post("/admin/segments/new", data={"action": "save", "name": "X"})
    assert answer.status_code == 400
    assert saved(app) == []


def test_csv_lists_every_member_with_text_made_inert(app, world):
    owner, catalog, ids = world
    owner.post("/admin/segments/new", {"action": "save", "name": "Shoe", "bought_products": catalog.products[0]})
    (segment,) = saved(app)
    with app.app_context():
        from storefront.customers.models import Customer

        db.session.get(Customer, ids[0]).name = "=HYPERLINK(1)"
        db.session.commit()
    answer = owner.client.get(f"/admin/segments/{segment.id}/export.csv")
    assert answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "name", "phone", "email"]
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(ids[:2])
    assert "'=HYPERLINK(1)" in [row[1] for row in rows]


@pytest.mark.parametrize(
    "query",
    [
        "orders_min=%00",
        "bought_products=-1",
        "stores=99999999999999999999",
        "rfm=<script>",
        "spend_min=1e9",
        "tags=" + "x" * 500,
        "last_order_before_days=" + "9" * 50,
        "cities=%F0%9F%98%80" * 3,
    ],
)
def test_junk_args_answer_without_a_500(world, query):
    owner, _catalog, _ids = world
    for url in ("/admin/segments/new?", "/admin/segments/count.json?", "/admin/segments/1/edit?"):
        assert owner.client.get(url + query).status_code in {200, 400, 404, 422}
    assert owner.client.get("/admin/segments/1?page=abc").status_code == 404


def test_who_may_open_segments(app, world):
    _owner, _catalog, _ids = world
    anonymous = app.test_client()
    answer = anonymous.get("/admin/segments")
    assert answer.status_code in {302, 303} and "/login" in answer.headers["Location"]
    with app.app_context():
        make_user("seller@example.com", "seller")
        make_user("staff@example.com", "staff")
    for email in ("seller@example.com", "staff@example.com"):
        person = ShopClient(app.test_client())
        person.login(email)
        for url in ("/admin/segments", "/admin/segments/new", "/admin/segments/count.json"):
            assert person.client.get(url).status_code == 403, (email, url)
        assert person.post("/admin/segments/new", {"action": "save", "name": "X"}).status_code == 403
    assert saved(app) == []


def test_members_are_paged(app, world):
    owner, catalog, ids = world
    with app.app_context():
        more = insert(catalog, [RawCustomer(tags=["bulk"]) for _ in range(52)], default_now().replace(tzinfo=None))
    owner.post("/admin/segments/new", {"action": "save", "name": "Bulk", "tags": "bulk"})
    (segment,) = saved(app)
    first = owner.client.get(f"/admin/segments/{segment.id}").get_data(as_text=True)
    second = owner.client.get(f"/admin/segments/{segment.id}?page=2").get_data(as_text=True)
    assert "52 customers" in first and "Page 1 of 2" in first and 'rel="next"' in first
    shown = [html.count("data-member=") for html in (first, second)]
    assert shown == [50, 2]
    assert all(f'data-member="{cid}"' in first + second for cid in more)
    assert f'data-member="{ids[0]}"' not in first + second
