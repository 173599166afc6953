"""purge-events also removes the reports' per-session interest rows of the purged days, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.analytics.models import RollupDay, RollupInterest
from storefront.clock import utcnow
from storefront.extensions import db

pytestmark = pytest.mark.clock_sensitive  # retention counts days back from today


def test_purge_keeps_daily_figures_and_drops_old_session_rows(app, runner):
    today = utcnow().date()
    with app.app_context():
        for age in (500, 402, 10):
            day = today - timedelta(days=age)
            db.session.add(RollupDay(day=day, sessions=age))
            row = {"product_slug": "coat", "session_key": f"s{age}", "source": "direct", "first_seen": utcnow()}
            db.session.add(RollupInterest(day=day, **row))
        db.session.commit()
    assert runner.invoke(args=["purge-events", "--older-than", "400d"]).exit_code == 0
    with app.app_context():
        assert sorted(db.session.scalars(select(RollupInterest.session_key))) == ["s10"]
        assert sorted(db.session.scalars(select(RollupDay.sessions))) == [10, 402, 500]
