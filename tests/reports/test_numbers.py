"""Acceptance: every report figure equals a brute-force recomputation from the raw events and orders.

The data set is the seed-events generator's (sessions, funnel, dwell, repeat customers, cities,
pickups, cancelled and untracked orders) plus hand-made edge cases, in a shop on New York time;
checked after one rollup, after a second one, and after a full rebuild, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from storefront.analytics import interest_totals, rollup
from storefront.analytics.models import RollupInterest, RollupInterestTotal
from storefront.extensions import db
from storefront.reports import rules, service
from tests.reports import brute
from tests.reports.helpers import ZONE, run_rollup, snapshot

pytestmark = pytest.mark.clock_sensitive  # report ranges end "today", across a local midnight


def _ranges(now):
    today = rollup.rr.shop_day(now, ZONE)
    return [
        rules.DateRange(today - timedelta(days=30), today),  # everything
        rules.DateRange(today - timedelta(days=4), today - timedelta(days=2)),  # a slice, midnight edge inside
    ]


def assert_reports_match(now) -> None:
    world = brute.load(ZONE)
    assert world.refunds  # the net revenue check below has refunds to subtract
    for span in _ranges(now):
        check_overview_and_funnel(world, span)
        check_products(world, span)
        check_interest(world, span)
        check_when_and_where(world, span)
        check_customers(world, span)
        check_sources(world, span)


def check_overview_and_funnel(world, span) -> None:
    expected = brute.overview(world, span.start, span.end)
    report = service.overview(db.session, span)
    assert {k: report.totals[k] for k in expected} == expected
    assert expected["orders"] > 0 and expected["sessions"] > 0
    assert report.conversion == expected["orders"] / expected["sessions"]
    assert report.average_order == round(expected["revenue"] / expected["orders"])
    assert report.net_revenue == expected["revenue"] - expected["refunds"]
    assert [d["day"] for d in report.daily] == span.dates()
    steps = service.funnel(db.session, span)
    assert [s.count for s in steps] == brute.funnel(world, span.start, span.end)
    assert steps[0].count > steps[1].count > steps[2].count > steps[3].count > 0
    assert steps[1].drop_off == pytest.approx(1 - steps[1].count / steps[0].count)


def check_products(world, span) -> None:
    expected = brute.products(world, span.start, span.end)
    report = {p.slug: p for p in service.products(db.session, span)}
    assert set(report) == set(expected)
    for slug, figures in expected.items():
        p = report[slug]
        for key in ("views", "viewers", "view_sessions", "cart_sessions", "checkout_sessions", "orders", "units"):
            assert getattr(p, key) == figures.get(key, 0), (slug, key)
        assert p.revenue == figures.get("revenue", 0), slug
        assert p.dwell_total_ms == figures.get("dwell_total_ms", 0), slug
        assert p.median_dwell_ms == figures.get("median"), slug  # a true median over every session
        if figures.get("dwell_sessions"):
            assert p.average_dwell_ms == round(figures["dwell_total_ms"] / figures["dwell_sessions"])
    assert any(f.get("dwell_sessions", 0) >= 2 for f in expected.values())


def check_interest(world, span) -> None:
    expected = brute.interest(world, span.start, span.end)
    report = {i.slug: i for i in service.interest(db.session, span)}
    assert set(report) == set(expected)
    for slug, figures in expected.items():
        row = report[slug]
        assert (row.sessions, row.long_dwell, row.carted, row.cart_units, row.dwell_total_ms) == (
            figures["sessions"],
            figures["long_dwell"],
            figures["carted"],
            figures["cart_units"],
            figures["dwell_total_ms"],
        ), slug
        listed = service.interest_sessions(db.session, span, slug)
        assert len(listed) == figures["sessions"]


def check_when_and_where(world, span) -> None:
    orders, _revenue = service.orders_heatmap(db.session, span)
    assert orders == brute.heatmap(world, span.start, span.end)
    countries, cities, pickups, stores = brute.places(world, span.start, span.end)
    places = service.places(db.session, span)
    assert Counter({r["country"]: r["orders"] for r in places.countries}) == countries
    assert Counter({(r["country"], r["region"], r["city"]): r["orders"] for r in places.cities}) == cities
    assert (places.pickups["orders"], places.pickups["revenue"]) == pickups
    assert Counter({r["store"]: r["revenue"] for r in places.stores}) == stores


def check_customers(world, span) -> None:
    expected = brute.customers(world, span.start, span.end)
    report = service.customers(db.session, span)
    assert report.count == len(expected)
    assert report.orders == sum(n for n, _r, _d in expected.values())
    repeaters = sum(1 for n, _r, _d in expected.values() if n >= 2)
    assert report.repeat_rate == pytest.approx(repeaters / len(expected))
    # The same customers, whatever their (salted) keys: compare what each one did.
    assert Counter((r.orders, r.revenue, span.end - timedelta(days=r.recency_days)) for r in report.scored) == Counter(
        expected.values()
    )
    frequency = Counter(min(n, 5) for n, _r, _d in expected.values())
    assert [n for _label, n in report.frequency] == [frequency.get(i, 0) for i in range(1, 6)]
    assert sum(b.count for b in report.order_values) == report.orders
    stats = [rules.CustomerStats(who, n, revenue, last) for who, (n, revenue, last) in expected.items()]
    segments = Counter(r.segment for r in rules.rfm(stats, span.end))
    assert {key: n for key, n, _rev in report.segments if n} == dict(segments)


def check_sources(world, span) -> None:
    expected = brute.sources(world, span.start, span.end)
    report = {r["source"]: (r["sessions"], r["orders"], r["revenue"]) for r in service.sources(db.session, span)}
    assert report == expected


def test_reports_equal_a_brute_force_recomputation_even_after_rollup_runs_twice(report_app, rich_history):
    history = rich_history
    with report_app.app_context():
        assert_reports_match(history)
        world = brute.load(ZONE)
        # The edge cases are in there: one customer behind three phone spellings, an unpaid card
        # order from a tracked session that is neither a sale nor a paid session.
        assert any(
            n == 3
            for n, _r, _d in brute.customers(
                world, _ranges(history)[0].start, history.date() + timedelta(days=1)
            ).values()
        )
        assert any(o["status"] == "awaiting_payment" and o["id"] in world.owners for o in world.orders)
        full = _ranges(history)[0]
        assert brute.interest(world, full.start, full.end) and brute.places(world, full.start, full.end)[2][0] > 0
        assert {"untracked", "ref", "pwa", "social"} <= set(brute.sources(world, full.start, full.end))
        assert "Harbour Street shop" in brute.places(world, full.start, full.end)[3]
        assert any(o["status"] == "cancelled" for o in world.orders)

        before = snapshot()
        steps = run_rollup(history)  # the second run recomputes only the open day, to the same rows
        assert [s.step for s in steps] == ["orders", "day"] and steps[0].orders == 0
        assert snapshot() == before
        assert_reports_match(history)

        rollup.reset(db.session, history, ZONE)  # a full rebuild gives the same rows
        db.session.commit()
        assert len(run_rollup(history)) > 5
        assert snapshot() == before
        assert_reports_match(history)


def test_interest_from_the_day_totals_equals_summing_the_sessions(report_app, rich_history):
    """The built days' totals (less their bought rows) give the figures summing every session gives."""
    with report_app.app_context():
        spans = _ranges(rich_history)
        live = {span: service.interest(db.session, span) for span in spans}
        assert interest_totals.fill(db.session, limit=1000)
        db.session.commit()
        assert interest_totals.missing_days(db.session) == []
        bought = select(func.count()).select_from(RollupInterest).where(RollupInterest.bought.is_(True))
        assert db.session.scalar(bought) > 0  # the subtraction is exercised
        world = brute.load(ZONE)
        for span in spans:
            assert service.interest(db.session, span) == live[span]
            check_interest(world, span)

        # An order from a cart after the totals were built: those rows turn bought, the totals stay.
        db.session.execute(
            update(RollupInterest)
            .where(RollupInterest.cart_units > 0, RollupInterest.bought.is_(False))
            .values(bought=True)
        )
        db.session.commit()
        now_from_totals = {span: service.interest(db.session, span) for span in spans}
        db.session.execute(delete(RollupInterestTotal))
        db.session.commit()
        assert {span: service.interest(db.session, span) for span in spans} == now_from_totals
        assert all(row.carted == 0 for span in spans for row in now_from_totals[span])


def test_a_recomputed_day_loses_its_interest_totals_until_built_again(report_app, rich_history):
    with report_app.app_context():
        interest_totals.fill(db.session, limit=1000)
        db.session.commit()
        today = rollup.rr.shop_day(rich_history, ZONE)
        db.session.execute(update(RollupInterestTotal).where(RollupInterestTotal.day == today).values(sessions=10**6))
        db.session.commit()
        steps = run_rollup(rich_history)  # the open day is recomputed
        assert [s.day for s in steps if s.step == "day"] == [today]
        assert interest_totals.missing_days(db.session) == [today]  # the foreign key deleted them
        world = brute.load(ZONE)
        for span in _ranges(rich_history):
            check_interest(world, span)  # not the stale (doctored) totals
        assert interest_totals.fill(db.session) == [today]
        db.session.commit()
        for span in _ranges(rich_history):
            check_interest(world, span)
