"""/stores for shoppers (location, typed place, refusing geolocation, choosing) and the owner's store admin."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.stores.models import RevenueShare, Store
from tests.builders import ShopClient, make_user
from tests.stores.builders import make_store


def _names(html: str) -> list[str]:
    return [re.sub(r"\s*<span.*", "", n).strip() for n in re.findall(r'<h2 class="store-name">(.*?)</h2>', html)]


@pytest.fixture
def town(sqlite_app):
    """Three open stores and a closed one (the page is about HTTP: SQLite is enough)."""
    app = sqlite_app
    with app.app_context():
        make_store("Paris Bastille", 48.853, 2.369, "Paris", "75011")
        make_store("Paris Marais", 48.859, 2.362, "Paris", "75003")
        make_store("Lyon Centre", 45.764, 4.835, "Lyon", "69002", opening_hours="Tue-Sat 10-19")
        make_store("Closed shop", 48.86, 2.36, "Paris", "75004", active=False)
        make_user("owner@example.com", "owner")
        make_user("staff@example.com", "staff")
    return app


def test_nearest_first_by_shared_location(town):
    page = town.test_client().get("/stores?lat=45.75&lng=4.85")
    assert page.status_code == 200
    assert _names(page.text) == ["Lyon Centre", "Paris Bastille", "Paris Marais"]
    assert "km away" in page.text and "Closed shop" not in page.text
    assert "static/js/stores.js" in page.text and "data-geo-form" in page.text


def test_refusing_geolocation_still_finds_stores_by_city_or_postcode(town):
    client = town.test_client()
    plain = client.get("/stores")
    assert plain.status_code == 200 and _names(plain.text) == ["Lyon Centre", "Paris Bastille", "Paris Marais"]
    assert 'name="q"' in plain.text and '<label for="store-q">' in plain.text
    by_city = client.get("/stores?q=lyon").text
    assert _names(by_city)[0] == "Lyon Centre" and "km from lyon" in by_city
    assert 'id="q" name="q" type="search" maxlength="100" placeholder="Search" value=""' in by_city, (
        "not the product search"
    )
    assert _names(client.get("/stores?q=75003").text)[0] == "Paris Marais"
    unknown = client.get("/stores?q=Atlantis")
    assert unknown.status_code == 200 and "Atlantis" in unknown.text and len(_names(unknown.text)) == 3


def test_bad_locations_get_a_message_not_a_500(town):
    client = town.test_client()
    for query in ("lat=abc&lng=1", "lat=91&lng=0", "lat=0&lng=200", "lat=nan&lng=0", "lat=1", "lng=1", "lat=&lng="):
        response = client.get(f"/stores?{query}")
        assert response.status_code == 400, query
        assert 'role="alert"' in response.text and len(_names(response.text)) == 3, query
    assert client.get("/stores?q=" + "x" * 5000).status_code == 200


def test_choosing_a_store_sets_the_cookie(town):
    shop = ShopClient(town.test_client())
    with town.app_context():
        lyon = db.session.scalars(select(Store).where(Store.name == "Lyon Centre")).one().id
        closed = db.session.scalars(select(Store).where(Store.name == "Closed shop")).one().id
    response = shop.post("/stores/choose", {"store_id": lyon})
    assert response.status_code == 303
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("store="))
    assert f"store={lyon}" in cookie and "HttpOnly" in cookie
    page = shop.client.get("/stores")
    assert "Your store" in page.text and "Lyon Centre is now your store." in page.text
    for bad in (closed, 99999, "abc", ""):
        assert shop.post("/stores/choose", {"store_id": bad}).status_code == 404, bad
    assert shop.client.post("/stores/choose", data={"store_id": lyon}).status_code == 400, "CSRF"


def test_owner_manages_stores_shares_and_reads_the_report(town):
    owner = ShopClient(town.test_client())
    owner.login("owner@example.com")
    assert owner.client.get("/admin/stores/").status_code == 200
    created = owner.post(
        "/admin/stores/new",
        {
            "name": "Nice Port",
            "city": "Nice",
            "postcode": "06300",
            "latitude": "43.6959",
            "longitude": "7.2858",
            "opening_hours": "Daily 9-20",
            "pickup": "y",
            "active": "y",
        },
    )
    assert created.status_code == 303
    with town.app_context():
        store = db.session.scalars(select(Store).where(Store.name == "Nice Port")).one()
        assert (store.latitude, store.pickup, store.active) == (43.6959, True, True)
    form = owner.client.get(f"/admin/stores/{store.id}")
    assert form.status_code == 200 and 'value="43.695900"' in form.text
    assert (
        owner.post(
            f"/admin/stores/{store.id}", {"name": "Nice Port", "latitude": "43.7", "longitude": "7.28"}
        ).status_code
        == 303
    )
    with town.app_context():
        store = db.session.get(Store, store.id)
        assert (store.active, store.pickup) == (False, False), "unchecked boxes close the store"
    for bad in (
        {"name": "", "latitude": "1", "longitude": "1"},
        {"name": "X", "latitude": "95", "longitude": "1"},
        {"name": "X", "latitude": "1", "longitude": "east"},
        {"name": "X", "latitude": "", "longitude": ""},
    ):
        response = owner.post("/admin/stores/new", bad)
        assert response.status_code == 422 and 'class="error"' in response.text, bad
    assert owner.client.get("/admin/stores/9999").status_code == 404
    assert owner.post("/admin/stores/shares", {"store_share": "60", "seller_share": "50"}).status_code == 422
    assert owner.post("/admin/stores/shares", {"store_share": "abc", "seller_share": "5"}).status_code == 422
    assert owner.post("/admin/stores/shares", {"store_share": "5", "seller_share": "2.5"}).status_code == 303
    with town.app_context():
        assert db.session.scalars(select(RevenueShare)).one().seller_bp == 250
    report = owner.client.get("/admin/stores/report?from=2026-01-01&to=2026-12-31")
    assert report.status_code == 200 and "Store share 5 %, seller share 2.5 %." in report.text
    assert owner.client.get("/admin/stores/report?from=yesterday").status_code == 400
    assert owner.client.get("/admin/stores/report?from=2026-05-01&to=2026-01-01").status_code == 400
    exported = owner.client.get("/admin/stores/report.csv?from=2026-01-01&to=2026-12-31")
    assert exported.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(exported.text)))[0] == [
        "table",
        "key",
        "label",
        "orders",
        "turnover",
        "share",
        "commission",
    ]


def test_staff_and_sellers_cannot_open_store_admin(town):
    staff = ShopClient(town.test_client())
    staff.login("staff@example.com")
    for url in ("/admin/stores/", "/admin/stores/new", "/admin/stores/shares", "/admin/stores/report"):
        assert staff.client.get(url).status_code == 403, url
    assert town.test_client().get("/admin/stores/").status_code == 302
