"""The owner's sellers ranking (issue 21 item 6): its period parsing and its figures on both databases."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from storefront import demo
from storefront.extensions import db
from storefront.sellers import reports, service
from storefront.sellers.models import Seller, SellerClick
from storefront.sellers.reports import InvalidPeriod, Period, parse_period, parse_sort, ranking
from storefront.showcase.models import Collection, SellerPick
from tests.builders import make_product
from tests.sellers.builders import make_order, make_seller, touched

TODAY = date(2026, 5, 19)
SINCE, UNTIL = datetime(2026, 5, 5), datetime(2026, 5, 20)  # naive UTC, like the database's instants


# --- Period parsing (pure) ---


def test_the_default_period_is_the_last_30_days_up_to_today():
    assert parse_period(None, None, None, TODAY) == Period(date(2026, 4, 20), TODAY, 30)
    assert parse_period("", " ", "", TODAY).days == 30


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_a_preset_period_ends_today(days):
    period = parse_period(str(days), None, None, TODAY)
    assert (period.end, period.days, period.preset) == (TODAY, days, days)


def test_dates_win_over_the_preset_and_either_may_be_left_out():
    assert parse_period("7", "2026-05-01", "2026-05-03", TODAY) == Period(date(2026, 5, 1), date(2026, 5, 3))
    assert parse_period(None, "2026-05-01", None, TODAY) == Period(date(2026, 5, 1), TODAY)
    assert parse_period(None, None, "2026-05-03", TODAY) == Period(date(2026, 4, 4), date(2026, 5, 3))
    assert parse_period(None, "2026-05-03", "2026-05-03", TODAY).days == 1


@pytest.mark.parametrize(
    ("period", "start", "end", "says"),
    [
        ("8", None, None, "7, 30, 90 or 365"),
        ("abc", None, None, "7, 30, 90 or 365"),
        ("-7", None, None, "7, 30, 90 or 365"),
        (None, "2026-13-01", None, "2026-01-31"),
        (None, "yesterday", None, "2026-01-31"),
        (None, "1999-01-01", None, "2026-01-31"),
        (None, "2026-5-1", None, "2026-01-31"),
        (None, None, "2026-02-30", "2026-01-31"),
        (None, "2026-05-10", "2026-05-09", "must not be after"),
        (None, "2024-01-01", "2026-05-01", "at most"),
    ],
)
def test_unreadable_periods_are_refused_with_a_message(period, start, end, says):
    with pytest.raises(InvalidPeriod) as caught:
        parse_period(period, start, end, TODAY)
    assert caught.value.status_code == 400 and says in str(caught.value)


def test_sorts():
    assert parse_sort(None) == parse_sort("") == "revenue"
    assert [parse_sort(key) for key in ("orders", "clicks", "commission")] == ["orders", "clicks", "commission"]
    for bad in ("name", "REVENUE", "revenue; drop"):
        with pytest.raises(InvalidPeriod):
            parse_sort(bad)


def test_a_period_covers_whole_shop_days_in_the_shop_zone():
    new_york = ZoneInfo("America/New_York")
    since, until = Period(date(2026, 3, 7), date(2026, 3, 8)).bounds(new_york)
    # 7 March starts at 05:00 UTC (EST); 9 March at 04:00 UTC (EDT, after the spring change)
    assert (since, until) == (datetime(2026, 3, 7, 5), datetime(2026, 3, 9, 4))
    assert Period(TODAY, TODAY).bounds(ZoneInfo("UTC")) == (datetime(2026, 5, 19), datetime(2026, 5, 20))


# --- Figures over a period (both databases) ---


def _credit(order, code: str, at: datetime):
    entry = service.credit_order(db.session, order, touched((code, at)), at)
    db.session.commit()
    return entry


def _clicks(seller_id: int, *instants: datetime) -> None:
    db.session.add_all(SellerClick(seller_id=seller_id, created_at=at) for at in instants)
    db.session.commit()


@pytest.fixture
def ranked(app):
    """ANNA24 (10 %): two orders in the period (one half refunded), one before it, one cancelled in it.
    BEN99 (5 %): one big order in the period, one click too many outside it. CARL1 did nothing."""
    with app.app_context():
        coat = make_product("Wool coat", price=10000)
        anna = make_seller("ANNA24", rate_bp=1000)
        ben = make_seller("BEN99", rate_bp=500)
        carl = make_seller("CARL1", rate_bp=1000)
        _credit(make_order([(coat, 1)], email="a1@example.com"), "ANNA24", datetime(2026, 5, 10, 12))
        refunded = make_order([(coat, 2)], email="a2@example.com")
        _credit(refunded, "ANNA24", datetime(2026, 5, 12, 9))
        service.order_refunded(db.session, refunded.id, 5000, datetime(2026, 5, 25))  # after the period: still counts
        _credit(make_order([(coat, 3)], email="a3@example.com"), "ANNA24", datetime(2026, 5, 4, 23, 59))  # before
        cancelled = make_order([(coat, 5)], email="a4@example.com")
        _credit(cancelled, "ANNA24", datetime(2026, 5, 15))
        service.order_cancelled(db.session, cancelled.id, datetime(2026, 5, 16))
        _credit(make_order([(coat, 4)], email="b1@example.com"), "BEN99", SINCE)  # the first instant counts
        _credit(make_order([(coat, 1)], email="b2@example.com"), "BEN99", UNTIL)  # the first instant after: not
        db.session.commit()
        _clicks(anna.id, datetime(2026, 5, 6), datetime(2026, 5, 1))
        _clicks(ben.id, SINCE, datetime(2026, 5, 7), datetime(2026, 5, 19, 23, 59), UNTIL, datetime(2026, 4, 1))
        ids = {"anna": anna.id, "ben": ben.id, "carl": carl.id}
        db.session.commit()
    return ids


def _figures(rows):
    return {r.seller.code: (r.clicks, r.orders, r.revenue, r.commission) for r in rows}


def test_figures_count_only_the_period_net_of_refunds_and_without_reversed_orders(app, ranked):
    with app.app_context():
        rows = ranking(db.session, SINCE, UNTIL)
        assert _figures(rows) == {
            # 100.00 + (200.00 - 50.00 refunded); commission 10.00 + 15.00 (the refund took 5.00 back)
            "ANNA24": (1, 2, 25000, 2500),
            "BEN99": (3, 1, 40000, 2000),
            "CARL1": (0, 0, 0, 0),
        }
        wider = _figures(ranking(db.session, datetime(2026, 4, 1), datetime(2026, 6, 1)))
        assert wider["ANNA24"] == (2, 3, 55000, 5500) and wider["BEN99"] == (5, 2, 50000, 2500)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("revenue", ["BEN99", "ANNA24", "CARL1"]),
        ("orders", ["ANNA24", "BEN99", "CARL1"]),
        ("clicks", ["BEN99", "ANNA24", "CARL1"]),
        ("commission", ["ANNA24", "BEN99", "CARL1"]),
    ],
)
def test_sellers_are_ranked_highest_first_ties_by_code(app, ranked, sort, order):
    with app.app_context():
        assert [r.seller.code for r in ranking(db.session, SINCE, UNTIL, sort)] == order
        empty = ranking(db.session, datetime(2020, 1, 1), datetime(2020, 1, 2), sort)
        assert [r.seller.code for r in empty] == ["ANNA24", "BEN99", "CARL1"]


def test_an_unknown_sort_is_refused(app, ranked):
    with app.app_context(), pytest.raises(InvalidPeriod):
        ranking(db.session, SINCE, UNTIL, "name")


def _statements(app, run) -> int:
    seen = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    engine = db.engines[None]
    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_the_ranking_costs_the_same_few_queries_for_any_number_of_sellers(app, ranked):
    with app.app_context():
        db.session.expire_all()
        few = _statements(app, lambda: ranking(db.session, SINCE, UNTIL))
        for n in range(5):
            seller = make_seller(f"MORE{n}")
            _clicks(seller.id, datetime(2026, 5, 8))
        db.session.expire_all()
        many = _statements(app, lambda: ranking(db.session, SINCE, UNTIL))
        assert few == many <= 4, (few, many)


def test_the_owner_lists_all_time_figures_keep_working(app, ranked):
    with app.app_context():
        now = datetime(2026, 5, 20)
        rows = reports.ranking(db.session, SINCE, UNTIL)
        totals = reports.all_time(db.session, [r.seller for r in rows], now)
        assert [t.seller.code for t in totals] == [r.seller.code for r in rows]
        expected = {"BEN99": (5, 2), "ANNA24": (2, 3), "CARL1": (0, 0)}
        assert {t.seller.code: (t.clicks, t.orders) for t in totals} == expected
        assert len(reports.owner_list(db.session, now)) == 3


# --- The demo's sellers' pages (storefront/demo.py seed_seller_pages) ---


def test_the_demo_gives_sellers_a_page_picks_and_collections(sqlite_app):
    with sqlite_app.app_context():
        for n in range(12):
            make_product(f"Demo piece {n}", price=1000 + n)
        make_seller("DEMO10")
        demo.seed_seller_pages(db.session)
        db.session.commit()
        sellers = db.session.scalars(select(Seller).order_by(Seller.code)).all()
        assert [s.code for s in sellers] == ["DEMO10", "TOMAS8"]
        for seller in sellers:
            assert seller.bio and seller.whatsapp and seller.show_contact and seller.approved_at is not None
            positions = db.session.scalars(
                select(SellerPick.position).where(SellerPick.seller_id == seller.id).order_by(SellerPick.position)
            ).all()
            assert positions == list(range(6))
            mine = db.session.scalars(
                select(Collection).where(Collection.seller_id == seller.id).order_by(Collection.position)
            ).all()
            assert [c.position for c in mine] == [0, 1] and all(len(c.items) == 4 for c in mine)
            assert [i.position for i in mine[0].items] == [0, 1, 2, 3]
        shop = db.session.scalars(select(Collection).where(Collection.seller_id.is_(None))).one()
        assert shop.slug == "staff-picks" and len(shop.items) == 5
        assert db.session.scalar(select(func.count(SellerClick.id))) == 12 + 21
    client = sqlite_app.test_client()
    for url in ("/s/DEMO10", "/s/TOMAS8", "/collections/staff-picks", "/collections/tomas-new-this-week"):
        assert client.get(url).status_code == 200, url
