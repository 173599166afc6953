"""The rollup is incremental (watermark, changed orders, throttled today) and idempotent."""

from __future__ import annotations

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from storefront.analytics import rollup
from storefront.analytics.models import Event, ReportOrder, RollupDay, RollupState
from storefront.analytics.rollup_rules import day_bounds, shop_day
from storefront.extensions import db
from storefront.orders.models import Order
from tests.reports.helpers import ZONE, run_rollup, snapshot
from tests.reports.test_numbers import assert_reports_match

pytestmark = pytest.mark.clock_sensitive  # "today", midnight and the grace minutes

HOUR = timedelta(hours=1)


def _day_row(day):
    db.session.expire_all()
    return db.session.get(RollupDay, day)


def test_a_second_run_does_nothing_and_lost_days_wait_for_a_reset(report_app, history):
    with report_app.app_context():
        assert [s.step for s in run_rollup(history, refresh_every=HOUR)] == ["orders"]
        state = db.session.get(RollupState, 1)
        yesterday = shop_day(history, ZONE) - timedelta(days=1)
        assert state.complete_through == yesterday and state.timezone == ZONE.key
        before = snapshot()
        lost = yesterday - timedelta(days=3)
        db.session.execute(delete(RollupDay).where(RollupDay.day == lost))
        db.session.commit()
        run_rollup(history, refresh_every=HOUR)
        assert _day_row(lost) is None  # behind the watermark: final days are never re-read
        rollup.reset(db.session, history, ZONE, since=lost)
        db.session.commit()
        days = [s.day for s in run_rollup(history, refresh_every=HOUR) if s.step == "day"]
        assert days == [lost + timedelta(days=i) for i in range((shop_day(history, ZONE) - lost).days + 1)]
        assert snapshot() == before


def test_a_changed_order_recomputes_its_day_only(report_app, history):
    with report_app.app_context():
        order = db.session.scalars(
            select(Order)
            .where(Order.status == "delivered", Order.created_at < history - timedelta(days=3))
            .order_by(Order.id)
            .limit(1)
        ).one()
        day, total = shop_day(order.created_at, ZONE), order.total
        revenue = _day_row(day).revenue
        later = history + timedelta(minutes=5)
        db.session.execute(update(Order).where(Order.id == order.id).values(status="cancelled", updated_at=later))
        db.session.commit()
        steps = run_rollup(later, refresh_every=HOUR)
        assert [(s.step, s.day) for s in steps] == [("orders", None), ("day", day)]
        assert steps[0].orders == 1
        assert _day_row(day).revenue == revenue - total
        assert db.session.get(ReportOrder, order.id).is_sale is False
        assert_reports_match(later)


def test_today_is_refreshed_when_due_then_final_after_midnight(report_app, history):
    with report_app.app_context():
        today = shop_day(history, ZONE)
        sessions = _day_row(today).sessions
        midnight = day_bounds(today, ZONE)[1]
        # The refresh interval fits in what is left of today, whenever the history was made
        # (at 23:30 a whole hour would already be tomorrow, which refreshes both days).
        every = min(HOUR, (midnight - history) / 3)
        at = min(history, midnight - timedelta(minutes=1))
        db.session.execute(
            Event.__table__.insert(),
            [{"created_at": at, "name": "page_view", "session_id": "9" * 32, "visitor_id": "8" * 32}],
        )
        db.session.commit()
        assert [s.step for s in run_rollup(history + every / 2, refresh_every=every)] == ["orders"]
        assert _day_row(today).sessions == sessions  # not due yet
        assert [s.day for s in run_rollup(history + 2 * every, refresh_every=every) if s.day] == [today]
        assert _day_row(today).sessions == sessions + 1
        # After midnight (and the grace minutes) today is final, and the new day is open.
        after_midnight = day_bounds(today, ZONE)[1] + rollup.GRACE + timedelta(minutes=1)
        steps = run_rollup(after_midnight)
        assert [s.day for s in steps if s.day] == [today, today + timedelta(days=1)]
        assert db.session.get(RollupState, 1).complete_through == today
        assert [s.step for s in run_rollup(after_midnight, refresh_every=HOUR)] == ["orders"]


def test_rebuilds_agree_after_a_time_zone_change_and_when_two_run_at_once(report_app, history):
    with report_app.app_context():
        before = snapshot()
        for _progress in rollup.catch_up(db.session, history, ZoneInfo("Asia/Tokyo")):
            db.session.commit()
        assert db.session.get(RollupState, 1).timezone == "Asia/Tokyo"
        tokyo = snapshot()
        assert tokyo != before and tokyo["rollup_days"] and tokyo["report_orders"]
        run_rollup(history)  # back to the shop's zone: the same rows as before
        assert snapshot() == before
        # Two full rebuilds at once (cron and a report page) take turns and agree.
        rollup.reset(db.session, history, ZONE)
        db.session.commit()
        barrier, errors, engine = threading.Barrier(2), [], db.engine

        def run() -> None:
            try:
                with Session(engine) as session:
                    barrier.wait()
                    for _progress in rollup.catch_up(session, history, ZONE):
                        session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert snapshot() == before


def test_the_rollup_command_is_idempotent(report_app, history):
    runner = report_app.test_cli_runner()
    with report_app.app_context():
        before = snapshot()
    for args in (["rollup"], ["rollup"], ["rollup", "--rebuild"], ["rollup", "--since", "2020-01-01"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert "Rolled up" in result.output
        with report_app.app_context():
            assert snapshot() == before, args
    bad = runner.invoke(args=["rollup", "--since", "2026-13-01"])
    assert bad.exit_code == 2 and "--since" in bad.output
    with report_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RollupDay)) >= 7


def test_the_did_they_buy_update_finds_orders_by_cart_on_sqlite(report_sqlite_app, sqlite_history):
    """A catch-up gives SQLite statistics first; without them its planner walked the sale-orders
    index for every interest row (every sale order read per row: seconds per day at scale).
    A rebuilt day reads the sale orders of its interest rows' carts (rollup.set_bought)."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        if statement.startswith("SELECT report_orders.cart_hash, order_lines.product_slug"):
            statements.append((statement, parameters))

    with report_sqlite_app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            rollup.reset(db.session, sqlite_history, ZONE, since=shop_day(sqlite_history, ZONE) - timedelta(days=2))
            db.session.commit()
            run_rollup(sqlite_history)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        assert statements
        statement, parameters = statements[-1]
        plan = " | ".join(
            row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    assert "report_orders USING INDEX ix_report_orders_cart_hash" in plan, plan
