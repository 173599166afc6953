"""Per day x product interest totals (rollup_interest_totals), built from the rollup's interest rows.

The interest report over a month would read every session's row (visitors x products x days:
millions a day at scale); these totals are products x days. They sum every row of the day,
bought or not, because `bought` changes after the day (an order from that cart, a
cancellation): the report subtracts the bought rows, which are few, read live.

A day's totals are built once its rollup exists and deleted by the database when the rollup
recomputes the day (the foreign key to rollup_days cascades), so they are never stale; a day
without totals is summed live by the report. `fill` runs after the rollup (the job, the
report page's catch-up), on the primary; it never commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import RollupDay, RollupInterest, RollupInterestTotal
from .rollup_rules import LONG_DWELL_MS

MARKER = ""  # the product_slug of the row that marks a day as built
DAYS_PER_FILL = 31  # a first fill over years of history goes on at the next run
FIGURES = ("sessions", "visitors", "long_dwell", "carted", "cart_units", "dwell_total_ms")


def sums(table=RollupInterest):
    """The totals' figures as aggregates over interest rows (sessions, visitors per day, ...)."""
    return (
        func.count(),
        func.count(func.distinct(table.visitor_id)),
        func.coalesce(func.sum(case((table.dwell_ms >= LONG_DWELL_MS, 1), else_=0)), 0),
        func.coalesce(func.sum(case((table.cart_units > 0, 1), else_=0)), 0),
        func.coalesce(func.sum(table.cart_units), 0),
        func.coalesce(func.sum(table.dwell_ms), 0),
    )


def _insert(session: Session):
    """INSERT .. ON CONFLICT DO NOTHING: two fills at once (job and page) add each row once."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(RollupInterestTotal).on_conflict_do_nothing(index_elements=["day", "product_slug"])


def missing_days(session: Session, limit: int = DAYS_PER_FILL) -> list[date]:
    """Days that have a rollup but no totals yet, newest first (the reports read recent days most)."""
    built = exists().where(RollupInterestTotal.day == RollupDay.day, RollupInterestTotal.product_slug == MARKER)
    return list(session.scalars(select(RollupDay.day).where(~built).order_by(RollupDay.day.desc()).limit(limit)))


def fill(session: Session, limit: int = DAYS_PER_FILL) -> list[date]:
    """Build the totals of up to `limit` days that lack them; the days built. Flushes, never commits.

    On PostgreSQL the days' rollup_days rows are locked (FOR KEY SHARE) before the interest
    rows are read: a recompute of one of them either committed before (its rows are read) or
    waits for this transaction (and then deletes these totals); a day being recomputed right
    now is skipped and built next time.
    """
    days = missing_days(session, limit)
    if not days:
        return []
    locked = select(RollupDay.day).where(RollupDay.day.in_(days)).with_for_update(key_share=True)
    days = sorted(session.scalars(locked))
    if not days:
        return []
    rows = select(RollupInterest.day, RollupInterest.product_slug, *sums()).where(RollupInterest.day.in_(days))
    columns = ["day", "product_slug", *FIGURES]
    session.execute(
        _insert(session).from_select(columns, rows.group_by(RollupInterest.day, RollupInterest.product_slug))
    )
    session.execute(
        _insert(session), [{"day": day, "product_slug": MARKER, **dict.fromkeys(FIGURES, 0)} for day in days]
    )
    session.flush()
    return days
