"""The open day's incremental rollup gives exactly the rows a full recompute of the same events gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from storefront.analytics import open_day_rules as odr
from storefront.analytics import rollup, rules
from storefront.analytics.models import Event, RollupDay, RollupInterest, RollupOpenDay, RollupOpenSession
from storefront.analytics.rollup_rules import day_bounds, shop_day
from storefront.analytics.seed import BLANK_EVENT
from storefront.catalog.models import Variant
from storefront.extensions import db
from storefront.orders.models import Order
from tests.reports.helpers import ZONE, _order, catalogue, snapshot

# Noon in New York on an ordinary day: the open day is the 9th, the history before it is final.
NOON = datetime(2026, 12, 9, 17, 0)
DAY = shop_day(NOON, ZONE)
A, B, C, D = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)  # sessions
V1, V2, V3 = ("1" * 32, "2" * 32, "3" * 32)  # visitors: V1 comes back in session C
CART_A, CART_B = rules.cart_hash("cart-a-token-0001"), rules.cart_hash("cart-b-token-0001")


def _events(rows: list[tuple]) -> None:
    """Insert (id, minutes before NOON, name, session, visitor, fields) rows with explicit ids."""
    db.session.execute(
        Event.__table__.insert(),
        [
            {
                **BLANK_EVENT,
                "id": event_id,
                "created_at": NOON - timedelta(minutes=minutes),
                "name": name,
                "session_id": sid,
                "visitor_id": visitor,
                **fields,
            }
            for event_id, minutes, name, sid, visitor, fields in rows
        ],
    )
    db.session.commit()


def _of_day(tables: dict) -> dict:
    """The snapshot's rows of DAY (and every projected order)."""
    return {name: [r for r in rows if name == "report_orders" or r[0] == str(DAY)] for name, rows in tables.items()}


def _step(now: datetime) -> None:
    """One catch-up at `now` (the open day folds in what is new), committed."""
    for _progress in rollup.catch_up(db.session, now, ZONE):
        db.session.commit()


def _assert_same_as_full_recompute() -> dict:
    """Every rollup table as the incremental path left it equals a full recompute of the day."""
    incremental = snapshot()
    rollup.recompute_day(db.session, DAY, ZONE, rollup.variant_slugs(db.session))
    db.session.flush()
    full = snapshot()
    db.session.rollback()  # keep the incremental rows for the next batch
    assert incremental == full
    return incremental


def test_batches_folded_in_one_by_one_equal_a_full_recompute(app, monkeypatch):
    with app.app_context():
        catalogue()
        coat_variant = db.session.scalar(select(Variant.id).order_by(Variant.id))
        _events(
            [
                (1001, 50, "page_view", A, V1, {"source": "social", "referrer_host": "t.co"}),
                (1002, 49, "view_item", A, V1, {"product_slug": "wool-coat"}),
                (1003, 48, "engagement", A, V1, {"product_slug": "wool-coat", "dwell_ms": 20_000}),
                (1004, 47, "page_view", B, V2, {"source": "internal"}),
                (1005, 46, "view_item", B, V2, {"product_slug": "ceramic-vase"}),
                (1006, 45, "add_to_cart", B, V2, {"product_slug": "ceramic-vase", "quantity": 2, "cart_hash": CART_B}),
                (1007, 44, "page_view", None, V3, {"source": "search"}),  # no session id: the visitor's
            ]
        )
        _step(NOON - timedelta(minutes=40))
        first = _assert_same_as_full_recompute()
        assert [r[1:3] for r in first["rollup_days"]] == [("3", "3")]  # sessions, visitors

        # Session A goes on (now interested, cart, checkout), B gets a source, V1 comes back as C,
        # and A's cart becomes a paid order. Event 1011 is still in flight: it commits later.
        order = _order(NOON - timedelta(minutes=3.2), "placed", "+1 212 555 0101", "", ("US", "NY", "New York"))
        db.session.commit()
        _events(
            [
                (1008, 4.8, "engagement", A, V1, {"product_slug": "wool-coat", "dwell_ms": 15_000}),
                (1009, 4.6, "add_to_cart", A, V1, {"variant_id": coat_variant, "cart_hash": CART_A}),
                (1010, 4.4, "page_view", B, V2, {"source": "utm", "utm_source": "mail"}),
                (1012, 3.4, "begin_checkout", A, V1, {"cart_hash": CART_A}),
                (1013, 3.2, "purchase", None, None, {"order_id": order.id, "value": order.total, "cart_hash": CART_A}),
                (1014, 3, "page_view", C, V1, {"source": "direct"}),
                (1015, 2, "view_item", C, V1, {"product_slug": "wool-coat"}),
                (1016, 1, "refund", None, None, {"order_id": order.id, "value": 700}),
            ]
        )
        _step(NOON)
        second = _assert_same_as_full_recompute()
        assert second["rollup_interest"] and second["report_orders"]

        # The late commit: created before 1012 (its id is lower), committed after 1012 was folded in.
        # And V1 comes back once more (D), while its other sessions rest: still one visitor, one viewer.
        _events(
            [
                (1011, 3.6, "engagement", B, V2, {"product_slug": "ceramic-vase", "dwell_ms": 31_000}),
                (1017, 0.5, "view_item", D, V1, {"product_slug": "wool-coat", "source": "pwa"}),
            ]
        )
        _step(NOON + timedelta(minutes=1))
        third = _assert_same_as_full_recompute()
        assert third != second  # it counted
        db.session.expire_all()
        assert db.session.get(RollupOpenDay, DAY).events_floor == 1017

        # The order is cancelled (its day's orders are recomputed), and C buys nothing.
        db.session.execute(
            update(Order).where(Order.id == order.id).values(status="cancelled", updated_at=NOON + timedelta(minutes=2))
        )
        db.session.commit()
        _step(NOON + timedelta(minutes=3))
        fourth = _assert_same_as_full_recompute()
        assert fourth["rollup_days"] != third["rollup_days"]

        # After midnight (and the grace minutes) the day is final. Its fold counted every event of
        # the day, so it closes from its fold without reading them again (one more comes in just
        # before midnight and is folded in first), and only the sessions that carried a cart are kept.
        _events([(1018, -1, "view_item", D, V1, {"product_slug": "ceramic-vase"})])
        after_midnight = day_bounds(DAY, ZONE)[1] + rollup.GRACE + timedelta(minutes=1)
        with monkeypatch.context() as patch:
            patch.setattr(rollup, "recompute_day", _must_not_recompute)
            _step(after_midnight)
        closed = snapshot()
        rollup.recompute_day(db.session, DAY, ZONE, rollup.variant_slugs(db.session))
        assert snapshot() == closed != fourth  # exactly a full recompute, with event 1018
        db.session.rollback()
        assert db.session.get(RollupOpenDay, DAY).final
        kept = db.session.scalars(select(RollupOpenSession.session_key).where(RollupOpenSession.day == DAY))
        assert sorted(kept) == [A, B]

        # The order of the final day is placed again: its orders are re-attributed among the kept
        # carriers, without reading the day's events, and still equal a full recompute.
        db.session.execute(update(Order).where(Order.id == order.id).values(status="placed", updated_at=after_midnight))
        db.session.commit()
        with monkeypatch.context() as patch:
            patch.setattr(rollup, "recompute_day", _must_not_recompute)
            _step(after_midnight + timedelta(minutes=1))
        fifth = _assert_same_as_full_recompute()
        assert _of_day(fifth)["rollup_days"] != _of_day(closed)["rollup_days"]  # the order counts again


def _must_not_recompute(*args, **kwargs):
    raise AssertionError("a final day was recomputed from its events")


def test_a_day_whose_fold_missed_an_event_closes_by_a_full_recompute(app):
    with app.app_context():
        catalogue()
        _events([(4001, 30, "page_view", A, V1, {}), (4003, 20, "view_item", A, V1, {"product_slug": "wool-coat"})])
        _step(NOON)
        # Event 4002 commits more than GRACE after 4003: the open day gave its gap up.
        _step(NOON + rollup.GRACE + timedelta(minutes=1))
        assert db.session.get(RollupOpenDay, DAY).events_floor == 4003
        _events([(4002, 25, "engagement", A, V1, {"product_slug": "wool-coat", "dwell_ms": 50_000})])
        _step(NOON + rollup.GRACE + timedelta(minutes=2))
        assert db.session.scalars(select(RollupInterest.dwell_ms)).all() == []  # never folded in
        recomputed = []
        real = rollup.recompute_day

        def recompute(*args):
            recomputed.append(args[1])
            return real(*args)

        after_midnight = day_bounds(DAY, ZONE)[1] + rollup.GRACE + timedelta(minutes=1)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rollup, "recompute_day", recompute)
            _step(after_midnight)
        assert recomputed == [DAY]
        assert db.session.scalar(select(RollupInterest.dwell_ms)) == 50_000  # the full recompute counted it
        assert db.session.get(RollupOpenDay, DAY).final


def test_only_new_events_are_read_and_a_reset_rebuilds_the_open_day(app):
    with app.app_context():
        catalogue()
        _events([(2001, 10, "page_view", A, V1, {}), (2002, 9, "view_item", A, V1, {"product_slug": "wool-coat"})])
        _step(NOON)
        state = db.session.get(RollupOpenDay, DAY)
        assert rollup_new_events(state) == []
        _events([(2003, 1, "engagement", A, V1, {"product_slug": "wool-coat", "dwell_ms": 40_000})])
        assert [e.id for e in rollup_new_events(state)] == [2003]
        _step(NOON + timedelta(minutes=1))
        before = _assert_same_as_full_recompute()
        db.session.execute(update(RollupDay).values(sessions=99))  # damage, then a reset rebuilds
        db.session.commit()
        rollup.reset(db.session, NOON, ZONE, DAY)
        db.session.commit()
        _step(NOON + timedelta(minutes=2))
        assert snapshot() == before
        assert db.session.scalar(select(RollupInterest.dwell_ms)) == 40_000


def rollup_new_events(state: RollupOpenDay) -> list:
    from storefront.analytics.open_day import new_events

    return new_events(db.session, DAY, ZONE, state.events_floor, odr.load_ranges(state.folded_ranges))


def test_the_watermark_keeps_gaps_until_settled_then_gives_them_up():
    t0 = datetime(2026, 12, 9, 12, 0)
    ranges = odr.merge_ranges([], [(5, t0), (6, t0), (8, t0 + timedelta(minutes=1)), (9, t0)])
    assert ranges == [[5, 6, t0], [8, 9, t0 + timedelta(minutes=1)]]
    floor, left = odr.advance_floor(4, ranges, settled_before=t0 - timedelta(minutes=5))
    assert (floor, left) == (6, [[8, 9, t0 + timedelta(minutes=1)]])  # 7 may still commit
    assert odr.load_ranges(odr.dump_ranges(left)) == left
    assert odr.merge_ranges(left, [(7, t0)]) == [[7, 9, t0]]  # it did: one range again
    # Never filled: once the event after the gap is older than the grace, the gap is given up.
    assert odr.advance_floor(floor, left, settled_before=t0 + timedelta(minutes=2)) == (9, [])
    # The first run of a day: everything below its first event is another day's.
    assert odr.advance_floor(0, [[100, 200, t0]], settled_before=t0 + timedelta(seconds=1)) == (200, [])


def test_a_backlog_is_folded_a_batch_at_a_time(app, monkeypatch):
    from storefront.analytics import open_day

    monkeypatch.setattr(rollup, "OPEN_BATCH", 3)
    monkeypatch.setattr(open_day, "OPEN_BATCH", 3)
    with app.app_context():
        catalogue()
        _events(
            [
                (3001, 9, "page_view", A, V1, {"source": "social"}),
                (3002, 8, "view_item", A, V1, {"product_slug": "wool-coat"}),
                (3003, 7, "engagement", A, V1, {"product_slug": "wool-coat", "dwell_ms": 35_000}),
                (3004, 6, "page_view", B, V1, {}),
                (3005, 5, "view_item", B, V1, {"product_slug": "wool-coat"}),
                (3006, 4, "add_to_cart", A, V1, {"product_slug": "wool-coat", "cart_hash": CART_A}),
                (3007, 3, "page_view", C, V2, {"source": "search"}),
            ]
        )
        steps = [s.step for s in rollup.catch_up(db.session, NOON, ZONE)]
        db.session.commit()
        assert steps == ["orders", "day", "day", "day"]  # 3 + 3 + 1 events
        days = _assert_same_as_full_recompute()["rollup_days"]
        assert [r[1:4] for r in days] == [("3", "2", "3")]  # sessions, visitors, page views
