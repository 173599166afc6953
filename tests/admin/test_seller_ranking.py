"""Admin > Sellers as the owner's ranking (issue 21 item 6): period, sort, CSV, hiding a seller's page, access."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storefront.analytics.rollup_rules import shop_day
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import service
from storefront.sellers.models import Seller, SellerClick
from tests.builders import ShopClient, make_product, make_user
from tests.sellers.builders import make_order, make_seller, touched

NEW_YORK = ZoneInfo("America/New_York")


def _signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


@pytest.fixture
def world(app):
    """ANNA24: 2 orders yesterday (200.00), BEN99: 1 order 10 days ago (400.00) and 3 clicks yesterday."""
    app.extensions["babel"].default_timezone = "America/New_York"  # as SHOP_TIMEZONE would set it
    with app.app_context():
        make_user("owner@example.com", "owner")
        make_user("staff@example.com", "staff")
        coat = make_product("Wool coat", price=10000)
        anna = make_seller("ANNA24", email="anna@sellers.example", rate_bp=1000)
        ben = make_seller("BEN99", rate_bp=500)
        now = utcnow()
        yesterday, ten_days = now - timedelta(days=1), now - timedelta(days=10)
        credits = [("ANNA24", yesterday, 1), ("ANNA24", yesterday, 1), ("BEN99", ten_days, 4)]
        credits.append(("BEN99", now - timedelta(days=40), 9))
        for n, (code, when, quantity) in enumerate(credits):
            order = make_order([(coat, quantity)], email=f"buyer{n}@example.com")
            service.credit_order(db.session, order, touched((code, when)), when)
        db.session.add_all(SellerClick(seller_id=ben.id, created_at=yesterday) for _ in range(3))
        db.session.add(SellerClick(seller_id=anna.id, created_at=ten_days))
        db.session.commit()
        ids = {"anna": anna.id, "ben": ben.id, "today": shop_day(now, NEW_YORK)}
    return ids


def _order(page: str) -> list[str]:
    return re.findall(r'<tr class="rank-row[^"]*" data-seller="([^"]+)"', page)


def _cell(page: str, code: str, name: str) -> str:
    row = page.split(f'data-seller="{code}"')[1].split("</tr>")[0]
    return re.search(rf"data-{name}>(.*?)</td>", row, re.S).group(1)


@pytest.mark.clock_sensitive  # "the last 7 days" and custom dates around the shop's today
def test_the_owner_ranks_sellers_over_a_period_and_sorts_them(app, world):
    owner = _signed_in(app, "owner@example.com")
    page = owner.client.get("/admin/sellers/")  # the last 30 days, by revenue
    assert page.status_code == 200
    assert _order(page.text) == ["BEN99", "ANNA24"]
    assert (_cell(page.text, "BEN99", "revenue"), _cell(page.text, "BEN99", "commission")) == ("$400.00", "$20.00")
    assert (_cell(page.text, "ANNA24", "orders"), _cell(page.text, "ANNA24", "clicks")) == ("2", "1")
    week = owner.client.get("/admin/sellers/?period=7").text  # BEN99's order was 10 days ago
    assert _order(week) == ["ANNA24", "BEN99"]
    assert (_cell(week, "BEN99", "orders"), _cell(week, "BEN99", "clicks"), _cell(week, "ANNA24", "clicks")) == (
        "0",
        "3",
        "0",
    )
    assert _order(owner.client.get("/admin/sellers/?period=7&sort=clicks").text) == ["BEN99", "ANNA24"]
    assert _order(owner.client.get("/admin/sellers/?sort=orders").text) == ["ANNA24", "BEN99"]
    assert _order(owner.client.get("/admin/sellers/?period=365&sort=orders").text) == ["ANNA24", "BEN99"]
    assert _cell(owner.client.get("/admin/sellers/?period=365").text, "BEN99", "revenue") == "$1,300.00"
    today = world["today"]
    span = {"start": (today - timedelta(days=12)).isoformat(), "end": (today - timedelta(days=8)).isoformat()}
    custom = owner.client.get("/admin/sellers/", query_string={**span, "sort": "revenue"}).text
    assert _order(custom) == ["BEN99", "ANNA24"] and _cell(custom, "ANNA24", "orders") == "0"
    assert _cell(custom, "ANNA24", "clicks") == "1" and f'data-period="{span["start"]}/{span["end"]}"' in custom
    assert 'aria-sort="descending"' in custom


def test_each_row_links_to_the_sellers_page_and_edit_page(app, world):
    page = _signed_in(app, "owner@example.com").client.get("/admin/sellers/").text
    row = page.split('data-seller="ANNA24"')[1].split("</tr>")[0]
    assert 'href="/s/ANNA24"' in row and f'href="/admin/sellers/{world["anna"]}"' in row
    assert re.search(r"data-collections>(<a [^>]*>)?0", row)
    assert 'name="csrf_token"' in row and 'name="hidden" value="1"' in row


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("period=8", "7, 30, 90 or 365"),
        ("period=%3Cscript%3E", "7, 30, 90 or 365"),
        ("start=2026-13-01", "2026-01-31"),
        ("start=2026-05-10&end=2026-05-01", "must not be after"),
        ("start=2020-01-01&end=2026-01-01", "at most"),
        ("sort=name", "Sort by revenue"),
    ],
)
def test_bad_periods_and_sorts_answer_400_with_the_form_and_a_message(app, world, query, says):
    owner = _signed_in(app, "owner@example.com")
    page = owner.client.get(f"/admin/sellers/?{query}")
    assert page.status_code == 400 and says in page.text
    assert 'id="rank-period"' in page.text and "<script>" not in page.text
    exported = owner.client.get(f"/admin/sellers/export.csv?{query}")
    assert exported.status_code == 400 and exported.mimetype != "text/csv"


@pytest.mark.clock_sensitive
def test_the_csv_follows_the_period_and_sort(app, world):
    owner = _signed_in(app, "owner@example.com")
    link = re.search(r'href="([^"]+)" data-seller-csv', owner.client.get("/admin/sellers/?period=7&sort=clicks").text)
    assert link and "period=7" in link.group(1) and "sort=clicks" in link.group(1)
    exported = owner.client.get("/admin/sellers/export.csv?period=7&sort=clicks")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "sellers-" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    header = rows[0]
    assert header[:3] == ["code", "name", "email"] and header[-6:] == [
        "period_start",
        "period_end",
        "period_clicks",
        "period_orders",
        "period_revenue",
        "period_commission",
    ]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == ["BEN99", "ANNA24"]
    assert by_code["BEN99"]["period_clicks"] == "3" and by_code["BEN99"]["period_orders"] == "0"
    assert by_code["BEN99"]["orders"] == "2", "the all-time columns stay all-time"
    assert by_code["ANNA24"]["period_revenue"] == "200.00" and by_code["ANNA24"]["period_commission"] == "20.00"
    assert by_code["ANNA24"]["period_end"] == world["today"].isoformat()
    assert by_code["ANNA24"]["page_hidden"] == "no" and by_code["ANNA24"]["collections"] == "0"
    default = list(csv.reader(io.StringIO(owner.client.get("/admin/sellers/export.csv").text)))
    assert [row[0] for row in default[1:]] == ["BEN99", "ANNA24"], "by revenue over 30 days"


def test_the_owner_hides_a_sellers_page_and_shows_it_again(app, world):
    owner = _signed_in(app, "owner@example.com")
    shopper = app.test_client()
    assert shopper.get("/s/ANNA24").status_code == 200  # now cached under this catalog generation
    url = f"/admin/sellers/{world['anna']}/page"
    hidden = owner.post(url, {"hidden": "1", "period": "7", "sort": "clicks", "evil": "x"})
    assert hidden.status_code == 303
    assert hidden.headers["Location"] in (
        "/admin/sellers/?period=7&sort=clicks",
        "/admin/sellers/?sort=clicks&period=7",
    )
    assert shopper.get("/s/ANNA24").status_code == 404, "the cached page is not served any more"
    listed = owner.client.get("/admin/sellers/").text
    row = listed.split('data-seller="ANNA24"')[1].split("</tr>")[0]
    assert "data-page-hidden" in row and 'name="hidden" value="0"' in row
    assert "data-page-hidden" not in listed.split('data-seller="BEN99"')[1].split("</tr>")[0]
    assert shopper.get("/s/BEN99").status_code == 200, "other sellers' pages stay"
    assert owner.post(url, {"hidden": "0"}).status_code == 303
    assert shopper.get("/s/ANNA24").status_code == 200


@pytest.mark.parametrize("value", ["", "yes", "2", "true"])
def test_a_bad_hide_value_changes_nothing(app, world, value):
    owner = _signed_in(app, "owner@example.com")
    answer = owner.post(f"/admin/sellers/{world['anna']}/page", {"hidden": value})
    assert answer.status_code == 422 and "hide or show" in answer.text
    with app.app_context():
        assert db.session.get(Seller, world["anna"]).page_hidden is False


def test_hiding_needs_a_known_seller_and_the_csrf_token(app, world):
    owner = _signed_in(app, "owner@example.com")
    assert owner.post("/admin/sellers/999/page", {"hidden": "1"}).status_code == 404
    assert owner.client.post(f"/admin/sellers/{world['anna']}/page", data={"hidden": "1"}).status_code == 400
    with app.app_context():
        assert not db.session.scalars(select(Seller.page_hidden).where(Seller.page_hidden.is_(True))).first()


def test_only_the_owner_sees_the_ranking_and_hides_pages(app, world):
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get("/admin/sellers/?period=7").status_code == 302
    assert anonymous.post(f"/admin/sellers/{world['anna']}/page", {"hidden": "1"}).status_code == 302
    for email in ("staff@example.com", "anna@sellers.example"):
        someone = _signed_in(app, email)
        assert someone.client.get("/admin/sellers/?period=7").status_code == 403, email
        assert someone.client.get("/admin/sellers/export.csv").status_code == 403, email
        assert someone.post(f"/admin/sellers/{world['anna']}/page", {"hidden": "1"}).status_code == 403, email
    with app.app_context():
        assert db.session.get(Seller, world["anna"]).page_hidden is False
