"""A seller's page and collections are seller links: clicks, the signed cookie, last touch wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.catalog import service as catalog
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import accounts, service, web
from storefront.sellers.models import SellerClick
from tests.builders import PASSWORD, make_product
from tests.sellers.builders import make_order, make_seller
from tests.showcase.public_helpers import PHONE, WHATSAPP_BOT, make_collection, set_picks


@pytest.fixture
def linked(app):
    """Anna's page and collection, Bob's seller account, and a collection of the shop's own."""
    with app.app_context():
        coat = make_product("Wool coat", price=5000)
        anna, _bob = make_seller("ANNA24"), make_seller("BOB777")
        set_picks(anna, [coat])
        make_collection(anna, "Eid gifts", "eid-gifts-k3f9q", [coat])
        make_collection(None, "New this week", "new-this-week-bbbbb", [coat])
    return app


def _clicks(app, code: str | None = None) -> int:
    with app.app_context():
        stmt = select(func.count(SellerClick.id))
        if code:
            stmt = stmt.where(SellerClick.seller_id == service_seller_id(code))
        return db.session.scalar(stmt)


def service_seller_id(code: str) -> int:
    return accounts.seller_by_code(db.session, code).id


def _ref_cookie(response) -> str | None:
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith("ref=")), None)


def _codes(app, client) -> list[str]:
    """The touches the order code would read from this browser, newest first."""
    cookie = client.get_cookie("ref")
    headers = {"Cookie": f"ref={cookie.value}"} if cookie else {}
    with app.test_request_context("/checkout", headers=headers):
        touches = web.attribution_from_request().touches
    return [t.code for t in sorted(touches, key=lambda t: t.at, reverse=True)]


def _credited(app, client) -> str | None:
    """Who an order placed now from this browser credits."""
    cookie = client.get_cookie("ref")
    headers = {"Cookie": f"ref={cookie.value}"} if cookie else {}
    with app.test_request_context("/checkout", headers=headers):
        attribution = web.attribution_from_request()
    with app.app_context():
        order = make_order([(catalog.product_by_slug(db.session, "wool-coat"), 1)])
        entry = service.credit_order(db.session, order, attribution, utcnow())
        db.session.commit()
        return entry.seller.code if entry else None


def _later(minutes: int):
    """Move the clock on (touches are kept to the second: an order of visits needs time between them)."""
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes), tick=True)


def test_a_sellers_page_attributes_like_their_link(linked):
    client = linked.test_client()
    page = client.get("/s/anna24", headers={"User-Agent": PHONE})
    cookie = _ref_cookie(page)
    assert page.status_code == 200 and cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert _clicks(linked, "ANNA24") == 1 and _codes(linked, client) == ["ANNA24"]
    client.get("/s/ANNA24", headers={"User-Agent": PHONE})
    assert _clicks(linked) == 1, "a reload within 30 minutes is the same click"
    assert _credited(linked, client) == "ANNA24"


def test_a_sellers_collection_attributes_to_them_whatever_ref_says(linked):
    client = linked.test_client()
    assert client.get("/collections/eid-gifts-k3f9q?ref=BOB777", headers={"User-Agent": PHONE}).status_code == 200
    assert _clicks(linked, "ANNA24") == 1 and _clicks(linked, "BOB777") == 0
    assert _codes(linked, client) == ["ANNA24"]
    assert _credited(linked, client) == "ANNA24"


def test_the_shops_own_collection_honours_ref(linked):
    client = linked.test_client()
    page = client.get("/collections/new-this-week-bbbbb", headers={"User-Agent": PHONE})
    assert _ref_cookie(page) is None and _clicks(linked) == 0, "no code: nobody is credited"
    client.get("/collections/new-this-week-bbbbb?ref=bob777", headers={"User-Agent": PHONE})
    assert _clicks(linked, "BOB777") == 1 and _codes(linked, client) == ["BOB777"]
    assert _credited(linked, client) == "BOB777"


def test_last_touch_wins_between_a_page_a_collection_and_a_product_link(linked):
    client = linked.test_client()
    client.get("/s/ANNA24", headers={"User-Agent": PHONE})
    with _later(5):
        client.get("/p/wool-coat?ref=BOB777", headers={"User-Agent": PHONE})
        assert _codes(linked, client) == ["BOB777", "ANNA24"]
        assert _credited(linked, client) == "BOB777", "the later product link of another seller wins"
    with _later(10):
        again = client.get("/collections/eid-gifts-k3f9q", headers={"User-Agent": PHONE})
        assert _ref_cookie(again), "Anna's collection after Bob's link re-sets the cookie"
        assert _clicks(linked, "ANNA24") == 1, "within 30 minutes of her page: the same visit"
        assert _codes(linked, client) == ["ANNA24", "BOB777"]
        assert _credited(linked, client) == "ANNA24", "her collection, opened last, wins"


def test_link_previews_unknown_hidden_and_the_seller_themself_get_no_credit(linked):
    client = linked.test_client()
    for url in ("/s/ANNA24", "/collections/eid-gifts-k3f9q"):
        page = client.get(url, headers={"User-Agent": WHATSAPP_BOT})
        assert page.status_code == 200 and _ref_cookie(page) is None
        assert 'property="og:image"' in page.text
    assert client.get("/s/NOPE99", headers={"User-Agent": PHONE}).status_code == 404
    assert client.get("/collections/new-this-week-bbbbb?ref=NOPE99", headers={"User-Agent": PHONE}).status_code == 200
    assert _clicks(linked) == 0 and _codes(linked, client) == []
    with linked.app_context():
        accounts.seller_by_code(db.session, "ANNA24").page_hidden = True
        db.session.commit()
    hidden = client.get("/s/ANNA24", headers={"User-Agent": PHONE})
    assert hidden.status_code == 404 and _ref_cookie(hidden) is None and _clicks(linked) == 0

    own = linked.test_client()
    token = own.get("/login").text.split('name="csrf-token" content="')[1].split('"')[0]
    own.post("/login", data={"csrf_token": token, "email": "bob777@sellers.example", "password": PASSWORD})
    page = own.get("/collections/new-this-week-bbbbb?ref=BOB777")
    assert page.status_code == 200 and _ref_cookie(page) is None and _clicks(linked) == 0
    assert 'value="http://localhost/collections/new-this-week-bbbbb?ref=BOB777" readonly' in page.text, (
        "a signed-in seller shares the shop's collection with their own code"
    )
