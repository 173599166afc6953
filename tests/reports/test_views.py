"""/admin/reports: who may see it, the date range, the pages, the charts and every CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from storefront.analytics.rollup_rules import shop_day
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.reports import sections, service
from storefront.reports.rules import DateRange
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product
from tests.reports.helpers import ZONE, signed_in

pytestmark = pytest.mark.clock_sensitive  # reports show ranges ending "today"


PAGES = ("", "funnel", "products", "interest", "when", "customers", "where", "sources")
URLS = [f"/admin/reports/{page}" for page in PAGES] + [f"/admin/reports/{name}.csv" for name in sections.EXPORTS]


def test_anonymous_visitors_are_sent_to_login(report_sqlite_app):
    client = report_sqlite_app.test_client()
    for url in URLS:
        response = client.get(url + "?from=2026-01-01")
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login" and parse_qs(location.query)["next"] == [url + "?from=2026-01-01"], url


@pytest.mark.parametrize("role", ["staff", "owner"])
def test_staff_and_owners_see_every_page_even_with_no_data(report_sqlite_app, role):
    shop = signed_in(report_sqlite_app, role)
    for url in URLS:
        response = shop.client.get(url + ("?product=wool-coat" if "interest_sessions" in url else ""))
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert "/admin/reports/" in shop.client.get("/admin/").text  # the admin menu links to the reports


def test_every_page_has_accessible_charts_tables_and_the_range(report_app, history):
    shop = signed_in(report_app)
    today = shop_day(history, ZONE)
    for page in PAGES:
        html = shop.client.get(f"/admin/reports/{page}?from={today - timedelta(days=9)}&to={today}").text
        assert f'value="{today - timedelta(days=9)}"' in html and f'value="{today}"' in html, page
        svgs = re.findall(r"<svg [^>]*>", html)
        assert svgs, page
        for svg in svgs:
            assert 'role="img"' in svg and "viewBox=" in svg and "aria-labelledby=" in svg, page
        assert html.count("<title id=") == len(svgs), page
        assert "<figcaption>" in html and '<th scope="col"' in html, page
        assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert re.search(r'<label>From <input type="date" name="from"', html), page
        for link in re.findall(r'href="(/admin/reports/[a-z_]+\.csv[^"]*)"', html):
            assert shop.client.get(link.replace("&amp;", "&")).status_code == 200, link
    # "Interested but did not buy" links each product to its sessions.
    with report_app.app_context():
        top = service.interest(db.session, DateRange(today - timedelta(days=29), today))[0]
    assert f"product={top.slug}" in shop.client.get("/admin/reports/interest").text
    detail = shop.client.get(f"/admin/reports/interest?product={top.slug}").text
    assert 'id="sessions"' in detail and "interest_sessions.csv" in detail
    assert detail.count('<tr><th scope="row">') >= top.sessions


BAD_DATES = [
    ("from=2026-02-30", "Dates must look like 2026-01-31"),
    ("from=yesterday", "Dates must look like 2026-01-31"),
    ("to=20260101", "Dates must look like 2026-01-31"),
    ("from=1999-12-31", "Dates must look like 2026-01-31"),
    ("from=2026-03-02&to=2026-03-01", "must not be after"),
    ("from=2020-01-01&to=2026-01-01", "at most 731 days"),
    ("from=2026-01-01&to=" + "9" * 300, "Dates must look like"),
    ("from=%00", ""),  # refused by the shop-wide NUL guard, still a 400
]


def test_bad_dates_are_a_400_with_a_message(report_sqlite_app):
    shop = signed_in(report_sqlite_app, "staff")
    for query, message in BAD_DATES:
        for page in ("products", "when"):
            response = shop.client.get(f"/admin/reports/{page}?{query}")
            assert response.status_code == 400 and message in response.text, query
            assert 'role="alert"' in response.text or not message, query
        export = shop.client.get(f"/admin/reports/products.csv?{query}")
        assert export.status_code == 400 and message in export.text, query


def test_reports_catch_up_by_themselves_when_an_order_arrives(report_app, history):
    shop = ShopClient(report_app.test_client())
    with report_app.app_context():
        variant = make_product("Rain jacket", 9900, (("M", 5),)).variants[0].id
        span = DateRange(shop_day(history, ZONE), shop_day(history, ZONE))
        before = service.overview(db.session, span).totals
    shop.add(variant, 1)
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303  # a real order, through checkout
    owner = signed_in(report_app)
    assert owner.client.get("/admin/reports/").status_code == 200  # the page rolls up first
    with report_app.app_context():
        after = service.overview(db.session, span).totals
        assert (after["orders"], after["revenue"]) == (before["orders"] + 1, before["revenue"] + 9900 + 500)
        london = [c for c in service.places(db.session, span).cities if c["city"] == "London"]
        assert london and london[0]["revenue"] >= 10400


def test_a_page_rolls_up_at_most_the_configured_days_and_says_what_is_left(report_sqlite_app, sqlite_history):
    report_app = report_sqlite_app
    report_app.config["REPORTS_CATCHUP_DAYS"] = 2
    with report_app.app_context():
        from storefront.analytics import rollup
        from storefront.clock import utcnow

        rollup.reset(db.session, utcnow(), ZONE)
        db.session.commit()
    shop = signed_in(report_app)
    html = shop.client.get("/admin/reports/").text
    assert "more days are waiting to be rolled up" in html and "flask --app wsgi rollup" in html


def _csv(shop: ShopClient, name: str, query: str = "") -> list[list[str]]:
    response = shop.client.get(f"/admin/reports/{name}.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv", name
    assert "attachment" in response.headers["Content-Disposition"] and name in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.text)))


def test_every_table_exports_as_csv_with_the_page_figures(report_app, history):
    shop = signed_in(report_app)
    today = shop_day(history, ZONE)
    query = f"from={today - timedelta(days=20)}&to={today}"
    span = DateRange(today - timedelta(days=20), today)
    with report_app.app_context():
        slug = service.products(db.session, span)[0].slug
        figures = {p.slug: p for p in service.products(db.session, span)}
        customers = service.customers(db.session, span)
    for name in sections.EXPORTS:
        rows = _csv(shop, name, query + (f"&product={slug}" if name == "interest_sessions" else ""))
        assert rows and all(len(row) == len(rows[0]) for row in rows), name
    products = _csv(shop, "products", query)
    header = products[0]
    assert header[:2] == ["Product", "Views"] and "Revenue (USD)" in header and "Median dwell (s)" in header
    for row in products[1:]:
        record = dict(zip(header, row))
        p = figures[record["Web address"]]
        assert int(record["Views"]) == p.views
        assert record["Revenue (USD)"] == f"{p.revenue / 100:.2f}"
        assert record["Median dwell (s)"] == ("" if p.median_dwell_ms is None else f"{p.median_dwell_ms / 1000:.1f}")
    daily = _csv(shop, "daily", query)
    assert [row[0] for row in daily[1:]] == [d.isoformat() for d in span.dates()]
    people = _csv(shop, "customers", query)
    assert len(people) - 1 == customers.count  # every customer, not only the 50 on the page
    assert all(re.fullmatch(r"[0-9a-f]{16}", row[0]) for row in people[1:])  # pseudonymous ids only
    revenues = [float(row[2]) for row in people[1:]]
    assert revenues == sorted(revenues, reverse=True)  # biggest customers first
    assert not any("@" in cell or "+1" in cell for row in people for cell in row)
    when = _csv(shop, "when", query)
    assert len(when) == 1 + 7 * 24 and sum(int(r[2]) for r in when[1:]) == customers.orders
    # Text from owners and shoppers cannot run as a spreadsheet formula.
    with report_app.app_context():
        db.session.execute(update(Product).where(Product.slug == slug).values(title='=HYPERLINK("http://evil")'))
        db.session.commit()
    rows = _csv(shop, "products", query)
    assert '\'=HYPERLINK("http://evil")' in [row[0] for row in rows[1:]]
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in rows for cell in row)


def test_unknown_exports_are_404(report_sqlite_app):
    shop = signed_in(report_sqlite_app)
    assert shop.client.get("/admin/reports/nope.csv").status_code == 404
    assert shop.client.get("/admin/reports/interest_sessions.csv").status_code == 404  # needs ?product=


def test_the_interest_page_builds_the_day_totals_it_reads(report_app, history):
    from storefront.analytics import interest_totals

    shop = signed_in(report_app)
    today = shop_day(history, ZONE)
    span = DateRange(today - timedelta(days=29), today)
    with report_app.app_context():
        shop.client.get("/admin/reports/")  # the rollup caught up; other pages build no totals
        assert interest_totals.missing_days(db.session)
        live = service.interest(db.session, span)
        db.session.rollback()
    assert live
    html = shop.client.get(f"/admin/reports/interest?from={span.start}&to={span.end}").text
    with report_app.app_context():
        assert interest_totals.missing_days(db.session) == []
        assert service.interest(db.session, span) == live  # the same figures from the totals
    for row in live[:3]:
        assert row.title in html
