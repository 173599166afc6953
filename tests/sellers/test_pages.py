"""The seller's dashboard and the owner's seller pages: access, figures, forms, payouts, CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import service
from storefront.sellers.models import Payout, Seller
from tests.builders import ShopClient, make_category, make_product, make_user
from tests.sellers.builders import make_order, make_seller, touched


def _signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    response = shop.login(email)
    assert response.status_code == 303, response.text
    return shop


@pytest.fixture
def world(app):
    """Owner, staff, seller ANNA24 with one approved and one pending commission."""
    return _world(app)


@pytest.fixture
def sqlite_world(sqlite_app):
    """The same world on SQLite only, for tests about forms and access rather than the database."""
    _world(sqlite_app)
    return sqlite_app


def _world(app) -> dict:
    with app.app_context():
        make_user("owner@example.com", "owner")
        make_user("staff@example.com", "staff")
        category = make_category("Coats")
        coat = make_product("Wool coat", price=10000, category=category)
        seller = make_seller("ANNA24", email="anna@sellers.example", rate_bp=1000)
        now = utcnow()
        for paid in (True, False):
            order = make_order([(coat, 1)])
            service.credit_order(db.session, order, touched(("ANNA24", now)), now)
            if paid:
                service.order_paid(db.session, order.id, now)
                service.order_completed(db.session, order.id, now, return_window_days=0)
        db.session.commit()
        return {"seller": seller.id, "category": category.id}


def test_sellers_land_on_their_dashboard_and_never_reach_admin(app, world):
    seller = ShopClient(app.test_client())
    response = seller.login("anna@sellers.example", next_url="/admin/orders")
    assert response.status_code == 303 and response.headers["Location"] == "/seller/"
    for url in ("/admin/", "/admin/orders", "/admin/sellers/", "/admin/stock"):
        assert seller.client.get(url).status_code == 403, url
    page = seller.client.get("/seller/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert re.search(r"data-orders>2<", text) and re.search(r"data-pending>\$10\.00<", text)
    assert re.search(r"data-approved>\$10\.00<", text)
    assert "http://localhost/p/wool-coat?ref=ANNA24" in text and "http://localhost/?ref=ANNA24" in text
    assert "Wool coat" in text.split("Top products")[1]
    for url in ("/seller/commissions", "/seller/poster", "/seller/poster?product=wool-coat"):
        assert seller.client.get(url).status_code == 200, url
    assert seller.client.get("/seller/poster?product=nope").status_code == 404


def test_owners_and_staff_cannot_open_the_seller_dashboard(sqlite_world):
    app = sqlite_world
    assert app.test_client().get("/seller/").status_code == 302, "anonymous: to the login page"
    for email in ("owner@example.com", "staff@example.com"):
        assert _signed_in(app, email).client.get("/seller/").status_code == 403


def test_owner_sees_the_sellers_list_and_csv(app, world):
    owner = _signed_in(app, "owner@example.com")
    page = owner.client.get("/admin/sellers/")
    assert page.status_code == 200 and 'data-seller="ANNA24"' in page.text
    assert re.search(r"data-owed>\$10\.00<", page.text)
    staff = _signed_in(app, "staff@example.com")
    assert staff.client.get("/admin/sellers/").status_code == 403
    exported = owner.client.get("/admin/sellers/export.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["code", "name", "email"]
    assert rows[1][0] == "ANNA24" and rows[1][7:11] == ["2", "200.00", "10.00", "10.00"]


def test_owner_creates_a_seller_with_a_generated_password_shown_once(sqlite_world):
    app, world = sqlite_world, {"category": 1}
    owner = _signed_in(app, "owner@example.com")
    response = owner.post(
        "/admin/sellers/new",
        {
            "email": "Neo@Example.com",
            "name": "=HYPERLINK(1)",
            "rate": "7.5",
            f"rate_{world['category']}": "12",
            "active": "y",
        },
    )
    assert response.status_code == 201
    password = re.search(r"<strong data-password>([^<]+)</strong>", response.text).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    assert not any(password in c or "_flashes" in c for c in response.headers.getlist("Set-Cookie"))
    with app.app_context():
        seller = db.session.scalars(select(Seller).where(Seller.code != "ANNA24")).one()
        assert (seller.commission_bp, seller.rates[0].rate_bp, seller.user.role) == (750, 1200, "seller")
    neo = ShopClient(app.test_client())
    assert neo.login("neo@example.com", password=password).status_code == 303
    assert neo.client.get("/seller/").status_code == 200
    exported = owner.client.get("/admin/sellers/export.csv").text
    assert "'=HYPERLINK(1)" in exported, "formula-safe CSV"


BAD_SELLERS = [
    {"email": "bad", "name": "X", "rate": "10"},
    {"email": "x@example.com", "name": "X", "rate": "150"},
    {"email": "x@example.com", "name": "X", "rate": "abc"},
    {"email": "x@example.com", "name": "X", "rate": "10", "code": "no!"},
    {"email": "x@example.com", "name": "X", "rate": "10", "code": "ANNA24"},
    {"email": "owner@example.com", "name": "X", "rate": "10"},
    {"email": "x@example.com", "name": "X", "rate": "10", "password": "short"},
    {"email": "x@example.com", "name": "X", "rate": "10", "phone": "call me"},
    {"email": "x@example.com", "name": "X", "rate": "10", "rate_1": "-3"},
    {"email": "x@example.com", "name": "", "rate": "10"},
]


def test_bad_seller_input_is_refused_with_a_message(sqlite_app):
    app = sqlite_app
    with app.app_context():
        make_user("owner@example.com", "owner")
        make_category("Coats")
        make_seller("ANNA24")
    owner = _signed_in(app, "owner@example.com")
    for fields in BAD_SELLERS:
        response = owner.post("/admin/sellers/new", fields)
        assert 400 <= response.status_code < 500, (fields, response.status_code)
        assert 'class="error"' in response.text, fields
    with app.app_context():
        assert len(db.session.scalars(select(Seller)).all()) == 1


def test_owner_edits_disables_and_pays_a_seller(app, world):
    owner = _signed_in(app, "owner@example.com")
    url = f"/admin/sellers/{world['seller']}"
    assert owner.client.get(url).status_code == 200
    saved = owner.post(url, {"name": "Anna B", "phone": "+44 7700 900001", "rate": "5", "rate_1": ""})
    assert saved.status_code == 303
    with app.app_context():
        seller = db.session.get(Seller, world["seller"])
        assert (seller.active, seller.commission_bp, seller.user.name) == (False, 500, "Anna B"), "unchecked: disabled"
    too_much = owner.post(f"{url}/payouts", {"amount": "10.01"})
    assert too_much.status_code == 409 and "cannot be more than" in too_much.text
    for bad in ("", "abc", "-5", "0"):
        assert 400 <= owner.post(f"{url}/payouts", {"amount": bad}).status_code < 500, bad
    assert owner.post(f"{url}/payouts", {"amount": "10.00", "note": "bank"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Payout.amount)) == 1000
        assert db.session.get(Seller, world["seller"]).owed == 0
    assert owner.client.get("/admin/sellers/999").status_code == 404
    assert owner.post("/admin/sellers/approve").status_code == 303
