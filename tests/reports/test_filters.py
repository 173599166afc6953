"""Report filters: every figure for one product, one category or one seller equals a brute-force
recomputation over the raw orders, lines and events; bad filters are a 400/404 with a message;
the filter follows the pages, presets and CSV files; drill-downs offer "make a segment"."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from storefront.analytics import rollup
from storefront.analytics.models import Event, ReportOrder
from storefront.catalog.models import Category, Product
from storefront.extensions import db
from storefront.reports import filters, rules, sections, service
from storefront.sellers.models import CommissionEntry, Seller
from tests.reports import brute
from tests.reports.helpers import ZONE, signed_in
from tests.sellers.builders import make_seller

pytestmark = pytest.mark.clock_sensitive  # report ranges end "today", across a local midnight


def _ranges(now):
    today = rollup.rr.shop_day(now, ZONE)
    return [
        rules.DateRange(today - timedelta(days=30), today),
        rules.DateRange(today - timedelta(days=4), today - timedelta(days=2)),  # midnight edge inside
    ]


def credit_a_seller() -> Seller:
    """A seller whose code the generated sessions used most, credited with every third sale order."""
    code = db.session.execute(
        select(Event.ref, func.count()).where(Event.ref.is_not(None)).group_by(Event.ref).order_by(func.count().desc())
    ).first()[0]
    seller = make_seller(code=code)
    sales = db.session.scalars(
        select(ReportOrder.order_id).where(ReportOrder.is_sale.is_(True)).order_by(ReportOrder.order_id)
    ).all()
    db.session.add_all(
        CommissionEntry(order_id=order_id, seller_id=seller.id, currency="USD", base=0, original_amount=0, amount=0)
        for order_id in sales[::3]
    )
    db.session.commit()
    return seller


def picks(seller: Seller) -> list[tuple[filters.Scope, brute.Pick]]:
    """The three kinds of filter, as the app and as the brute force see them."""
    coat = db.session.scalars(select(Product).where(Product.slug == "wool-coat")).one()
    home = db.session.scalars(select(Category).where(Category.name == "Home")).one()
    credited = frozenset(
        db.session.scalars(select(CommissionEntry.order_id).where(CommissionEntry.seller_id == seller.id))
    )
    return [
        (filters.load(db.session, f"product:{coat.id}", ZONE), brute.Pick(slugs=frozenset({"wool-coat"}))),
        (
            filters.load(db.session, f"category:{home.id}", ZONE),
            brute.Pick(slugs=frozenset({"ceramic-vase", "scented-candle"})),
        ),
        (filters.load(db.session, f"seller:{seller.id}", ZONE), brute.Pick(code=seller.code, credited=credited)),
    ]


def check_scope(world, scope, pick, span) -> None:
    """Every figure of every page, filtered, against the brute force."""
    a, b = span.start, span.end
    label = (scope.arg, span)
    expected = brute.picked_overview(world, pick, a, b)
    report = service.overview(db.session, span, scope)
    assert {k: report.totals[k] for k in expected} == expected, label
    assert [s.count for s in service.funnel(db.session, span, scope)] == brute.picked_funnel(world, pick, a, b), label
    assert service.orders_heatmap(db.session, span, scope) == brute.picked_heatmap(world, pick, a, b), label
    countries, cities, pickups = brute.picked_places(world, pick, a, b)
    places = service.places(db.session, span, scope)
    assert Counter({r["country"]: r["revenue"] for r in places.countries}) == countries, label
    assert Counter({(r["country"], r["region"], r["city"]): r["orders"] for r in places.cities}) == cities, label
    assert (places.pickups["orders"], places.pickups["revenue"]) == pickups, label
    people = brute.picked_customers(world, pick, a, b)
    data = service.customers(db.session, span, scope)
    assert data.count == len(people), label
    assert Counter((r.orders, r.revenue, b - timedelta(days=r.recency_days)) for r in data.scored) == Counter(
        people.values()
    ), label
    values = Counter(pick.amount(o) for o in brute.picked_sales(world, pick, a, b))
    assert sum(bucket.count for bucket in data.order_values) == sum(values.values()), label
    got = {r["source"]: (r["sessions"], r["orders"], r["revenue"]) for r in service.sources(db.session, span, scope)}
    assert got == brute.picked_sources(world, pick, a, b), label
    check_products(world, scope, pick, span)
    interest = {i.slug: i.sessions for i in service.interest(db.session, span, scope)}
    assert interest == brute.picked_interest(world, pick, a, b), label


def check_products(world, scope, pick, span) -> None:
    expected = brute.picked_products(world, pick, span.start, span.end)
    report = {p.slug: p for p in service.products(db.session, span, scope)}
    assert set(report) == set(expected), scope.arg
    for slug, figures in expected.items():
        p = report[slug]
        for key in ("views", "viewers", "view_sessions", "cart_sessions", "checkout_sessions", "orders", "units"):
            assert getattr(p, key) == figures.get(key, 0), (scope.arg, slug, key)
        assert (p.revenue, p.dwell_total_ms) == (figures.get("revenue", 0), figures.get("dwell_total_ms", 0)), slug
        assert p.median_dwell_ms == figures.get("median"), (scope.arg, slug)


def test_filtered_figures_equal_a_brute_force_recomputation(report_app, rich_history):
    with report_app.app_context():
        seller = credit_a_seller()
        world = brute.load(ZONE)
        paid = 0
        for scope, pick in picks(seller):
            for span in _ranges(rich_history):
                check_scope(world, scope, pick, span)
            # The data set has something to filter: sessions, orders, a seller's sessions.
            full = _ranges(rich_history)[0]
            overview = brute.picked_overview(world, pick, full.start, full.end)
            assert overview["sessions"] > 0 and overview["orders"] > 0, scope.arg
            paid += brute.picked_funnel(world, pick, full.start, full.end)[3]
        assert paid > 0  # some filtered orders came from tracked sessions
        # A product's revenue is its lines' amounts: below the orders' totals when they hold more.
        coat = picks(seller)[0][0]
        full = _ranges(rich_history)[0]
        sales = brute.picked_sales(world, picks(seller)[0][1], full.start, full.end)
        assert service.overview(db.session, full, coat).totals["revenue"] < sum(o["total"] for o in sales)


def test_unfiltered_figures_are_unchanged(report_app, history):
    """No filter reads the rollups exactly as before (the brute-force acceptance test covers them)."""
    with report_app.app_context():
        world = brute.load(ZONE)
        span = _ranges(history)[0]
        whole = brute.Pick(code="", credited=frozenset(o["id"] for o in world.orders))
        assert (
            service.overview(db.session, span).totals["orders"] == brute.overview(world, span.start, span.end)["orders"]
        )
        assert (
            service.orders_heatmap(db.session, span)[0] == brute.picked_heatmap(world, whole, span.start, span.end)[0]
        )
        assert service.sources(db.session, span) == service.sources(db.session, span, None)


def _links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/admin/reports/[^"]*)"', html)]


def test_the_filter_follows_nav_presets_and_csv_and_drill_downs_offer_a_segment(report_app, history):
    shop = signed_in(report_app)
    today = rollup.rr.shop_day(history, ZONE)
    query = f"from={today - timedelta(days=20)}&to={today}"
    with report_app.app_context():
        seller_id = credit_a_seller().id
        coat = db.session.scalars(select(Product).where(Product.slug == "wool-coat")).one().id
        home = db.session.scalars(select(Category).where(Category.name == "Home")).one().id
    # The products table links each product to its drill-down.
    products = shop.client.get(f"/admin/reports/products?{query}").text
    assert f"/admin/reports/?filter=product%3A{coat}" in products.replace("product:", "product%3A")
    for arg, segment in (
        (f"product:{coat}", f"bought_products={coat}"),
        (f"category:{home}", f"bought_categories={home}"),
        (f"seller:{seller_id}", f"sellers={seller_id}"),
    ):
        for page in ("", "funnel", "products", "when", "customers", "where", "sources"):
            response = shop.client.get(f"/admin/reports/{page}?{query}&filter={arg}")
            assert response.status_code == 200, (arg, page)
            html = response.text
            assert f'href="/admin/segments/new?{segment}"' in html, (arg, page)
            assert f'<option value="{arg}" selected>' in html, (arg, page)
            links = _links(html)
            navigation = [link for link in links if ".csv" not in link and "filter=" in link]
            assert len(navigation) >= 8 + 4, (arg, page)  # every section tab and every preset keep it
            for link in links:
                if ".csv" in link:
                    assert parse_qs(urlsplit(link).query)["filter"] == [arg], link
    # The CSV carries the filter: its name says so and its rows are the filtered ones.
    scope_arg = f"product:{coat}"
    response = shop.client.get(f"/admin/reports/daily.csv?{query}&filter={scope_arg}")
    assert response.status_code == 200 and f"daily-product-{coat}-" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    with report_app.app_context():
        span = rules.DateRange(today - timedelta(days=20), today)
        scope = filters.load(db.session, scope_arg, ZONE)
        filtered = service.overview(db.session, span, scope).totals
        whole = service.overview(db.session, span).totals
    orders_column = next(k for k in rows[0] if k == "Orders")
    assert sum(int(r[orders_column]) for r in rows) == filtered["orders"] < whole["orders"]
    for name in sections.EXPORTS:
        extra = "&product=wool-coat" if name == "interest_sessions" else ""
        assert shop.client.get(f"/admin/reports/{name}.csv?{query}&filter={scope_arg}{extra}").status_code == 200
    # "Show the whole shop" drops the filter and keeps the range.
    html = shop.client.get(f"/admin/reports/when?{query}&filter={scope_arg}").text
    assert f'href="/admin/reports/when?from={today - timedelta(days=20)}&amp;to={today}"' in html


BAD_FILTERS = [
    ("filter=product:abc", 400, "Choose a product, a category or a seller"),
    ("filter=store:1", 400, "Choose a product, a category or a seller"),
    ("filter=product:1:2", 400, "Choose a product, a category or a seller"),
    ("filter=" + "9" * 300, 400, "Choose a product, a category or a seller"),
    ("filter=product:-1", 400, "Choose a product, a category or a seller"),
    ("filter=product:999999", 404, "That product does not exist"),
    ("filter=category:999999", 404, "That category does not exist"),
    ("filter=seller:999999", 404, "That seller does not exist"),
    ("filter=product:1&from=2026-01-01&to=2026-06-30", 400, "at most 92 days"),
]


def test_bad_filters_are_a_400_or_404_with_a_message(report_sqlite_app):
    with report_sqlite_app.app_context():
        from tests.reports.helpers import catalogue

        catalogue()
    shop = signed_in(report_sqlite_app, "staff")
    for query, status, message in BAD_FILTERS:
        for page in ("", "products", "sources"):
            response = shop.client.get(f"/admin/reports/{page}?{query}")
            assert response.status_code == status and message in response.text, (query, page)
            assert 'role="alert"' in response.text, query
        export = shop.client.get(f"/admin/reports/products.csv?{query}")
        assert export.status_code == status and message in export.text, query


def test_access_control_is_unchanged_with_a_filter(report_sqlite_app):
    client = report_sqlite_app.test_client()
    url = "/admin/reports/products?filter=product:1"
    response = client.get(url)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert client.get("/admin/reports/products.csv?filter=product:1").status_code == 302
    with report_sqlite_app.app_context():
        seller = make_seller(code="ANNA24")
        email = seller.user.email
    from tests.builders import ShopClient

    shop = ShopClient(report_sqlite_app.test_client())
    shop.login(email)
    assert shop.client.get(url).status_code == 403
    assert shop.client.get(f"/admin/reports/?filter=seller:{1}").status_code == 403


def test_filtered_behaviour_reads_only_the_matching_sessions_events(report_app, history):
    """The bound: a product's sessions are found by their product events; other sessions are not read."""
    with report_app.app_context():
        span = _ranges(history)[0]
        coat = db.session.scalars(select(Product.id).where(Product.slug == "wool-coat")).one()
        scope = filters.load(db.session, f"product:{coat}", ZONE)
        orders, _amount, _units = service.matched_orders(scope)
        from storefront.reports import filtered

        events = filtered._events(db.session, span, scope, orders)
        total = db.session.scalar(select(func.count()).select_from(Event))
        assert 0 < len(events) < total
