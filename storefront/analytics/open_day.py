"""The open day's rollup, kept up incrementally: each run folds in only the events not yet folded.

A full recompute reads all of a day's events: at 10,000 events/s a day holds tens of millions,
and recomputing it every few minutes cannot keep up. So the open (not yet final) day keeps, in
rollup_open_sessions, every session's fold state so far; a run reads the day's events above its
watermark (rollup_open_days: a floor id and the ranges folded above it), folds them into the
sessions they touch, and moves the day's rollup rows by the difference (open_day_rules).

Closing a day: once it is final (GRACE after midnight), catch_up folds in its last events and
counts the day's events. When the fold counted as many (`close_open_day`), its rows already are
the full recompute's (folding is order-free), so the day closes without reading its tens of
millions of events again; else (an event committed too late for the open day, a fold from before
the count existed, no fold at all) it is recomputed whole. Either way only its sessions that
carried a cart are kept; an order of that day that changes later re-attributes the day's orders
among them (refresh_day_orders) instead of recomputing the day from its events.

Late commits: ids come from one sequence in insert order, but a transaction may commit after a
later id was folded. The id it leaves missing is read again on every run (the watermark keeps the
ranges above the gap) until the events after the gap are GRACE old: then it is given up, and the
day's final recompute (which waits GRACE after midnight for the same reason) counts it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import and_, delete, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from . import open_day_rules as odr
from . import rollup_rules as rr
from .models import (
    Event,
    RollupDay,
    RollupInterest,
    RollupOpenCart,
    RollupOpenDay,
    RollupOpenSession,
    RollupProduct,
    RollupSource,
)
from .rollup import (
    CHUNK,
    DAY_TABLES,
    EVENT_COLUMNS,
    GRACE,
    OPEN_BATCH,
    OPEN_TABLES,
    day_lines,
    day_orders,
    insert_rows,
    set_bought,
)

KEEP_CARRIERS = timedelta(days=90)  # orders change status (delivered, refunded) within weeks


def advance_open_day(session: Session, day: date, tz: tzinfo, now: datetime, slugs: dict[int, str]) -> int:
    """Fold the open day's new events into its rollup rows; returns how many events were folded. Flushes."""
    state = session.get(RollupOpenDay, day, populate_existing=True)
    if state is None or state.final:
        # First run of this day (or after a reset): start from nothing, every event of the day is new.
        for table in OPEN_TABLES:
            session.execute(delete(table).where(table.day == day))
        for table in DAY_TABLES:
            session.execute(delete(table).where(table.day == day))
        state = RollupOpenDay(day=day, events_floor=0, folded_ranges="", final=False)
        session.add(state)
        session.flush()
    ranges = odr.load_ranges(state.folded_ranges)
    events = new_events(session, day, tz, state.events_floor, ranges)
    rows = load_day_rows(session, day)
    before_products = {slug: dict(row) for slug, row in rows.products.items()}
    before, after, refunds = _fold(session, day, events, slugs)
    neighbours = _neighbours(session, day, before, after)
    odr.apply_sessions(rows, before, after, neighbours)
    rows.day["refunds"] += refunds
    _write_sessions(session, day, before, after)
    orders = day_orders(session, day)
    carts = sorted({o.cart_hash for o in orders if o.cart_hash})
    odr.apply_orders(rows, _carriers(session, day, carts), orders, day_lines(session, day))
    _write_day_rows(session, day, rows, before_products)
    ranges = odr.merge_ranges(ranges, ((e.id, e.created_at) for e in events))
    state.events_folded += len(events)
    state.events_floor, ranges = odr.advance_floor(state.events_floor, ranges, now - GRACE)
    state.folded_ranges = odr.dump_ranges(ranges)
    session.flush()
    return len(events)


def is_open(session: Session, day: date) -> bool:
    """The day has a fold state that is not final yet (it was folded while open)."""
    return session.scalar(select(RollupOpenDay.final).where(RollupOpenDay.day == day)) is False


def close_open_day(session: Session, day: date, tz: tzinfo) -> bool:
    """Make a final day's fold its final rollup when it folded every event of the day; flushes.

    False when the day holds events the fold never read (a commit later than GRACE, a fold
    begun before the count was kept): the caller recomputes the day whole. The fold reads only
    the day's events and never one twice, so equal counts mean the same events, and the same
    rows as a full recompute. Then, as after one, only the sessions that carried a cart are kept.
    """
    state = session.get(RollupOpenDay, day, populate_existing=True)
    if state is None or state.final:
        return False
    start, end = rr.day_bounds(day, tz)
    held = select(func.count()).select_from(Event).where(Event.created_at >= start, Event.created_at < end)
    if session.scalar(held) != state.events_folded:
        return False
    carriers = select(RollupOpenCart.session_key).where(RollupOpenCart.day == day)
    session.execute(
        delete(RollupOpenSession).where(RollupOpenSession.day == day, RollupOpenSession.session_key.not_in(carriers))
    )
    _forget_old(session, day)
    state.final, state.events_floor, state.folded_ranges = True, 0, ""
    session.flush()
    return True


def _forget_old(session: Session, day: date) -> None:
    """Drop the fold state of final days older than KEEP_CARRIERS before `day`."""
    for table in OPEN_TABLES:
        session.execute(delete(table).where(table.day < day - KEEP_CARRIERS))


def keep_carriers(session: Session, day: date, carriers: list[rr.SessionDay]) -> None:
    """After a day's full recompute: keep only its sessions that carried a cart (see refresh_day_orders).

    Final days older than KEEP_CARRIERS are forgotten: an order that changes later than that
    recomputes its day whole again.
    """
    for table in OPEN_TABLES:
        session.execute(delete(table).where(table.day == day))
    _forget_old(session, day)
    session.add(RollupOpenDay(day=day, events_floor=0, folded_ranges="", final=True))
    session.flush()
    insert_rows(session, RollupOpenSession, [_state_row(day, s) for s in carriers])
    carts = [{"day": day, "cart_hash": cart, "session_key": s.key} for s in carriers for cart in sorted(s.cart_hashes)]
    insert_rows(session, RollupOpenCart, carts)


def refresh_day_orders(session: Session, day: date) -> bool:
    """Re-attribute a final day's orders (one changed) among its kept carriers; False when none are kept.

    The events of a final day never change, so only the orders' figures can move: the same
    rows as a full recompute, without reading the day's events (tens of millions at scale).
    """
    state = session.get(RollupOpenDay, day, populate_existing=True)
    if state is None or not state.final:
        return False
    rows = load_day_rows(session, day)
    before_products = {slug: dict(row) for slug, row in rows.products.items()}
    orders = day_orders(session, day)
    carts = sorted({o.cart_hash for o in orders if o.cart_hash})
    odr.apply_orders(rows, _carriers(session, day, carts), orders, day_lines(session, day))
    _write_day_rows(session, day, rows, before_products)
    session.flush()
    return True


def new_events(session: Session, day: date, tz: tzinfo, floor: int, ranges: list[list]) -> list[rr.EventRow]:
    """The day's events not folded yet (OPEN_BATCH at most): ids above the floor outside the folded ranges.

    The gaps are id intervals, so PostgreSQL reads each from the day partition's primary key.
    """
    start, end = rr.day_bounds(day, tz)
    gaps, low = [], floor
    for first, last, _at in ranges:
        gaps.append(and_(Event.id > low, Event.id < first))
        low = last
    gaps.append(Event.id > low)
    # In id order, OPEN_BATCH at most: the ids left unread all lie above the last one read.
    stmt = (
        select(*EVENT_COLUMNS)
        .where(Event.created_at >= start, Event.created_at < end, or_(*gaps))
        .order_by(Event.id)
        .limit(OPEN_BATCH)
    )
    return [rr.EventRow._make(row) for row in session.connection().execute(stmt).all()]


def _fold(
    session: Session, day: date, events: list[rr.EventRow], slugs: dict[int, str]
) -> tuple[dict[str, rr.SessionDay | None], dict[str, rr.SessionDay], int]:
    """The touched sessions before (None: new) and after folding the events, and the refunds."""
    keys = {k for e in events if (k := rr.session_key(e.session_id, e.visitor_id))}
    stored = _stored_sessions(session, day, RollupOpenSession.session_key, sorted(keys))
    before: dict[str, rr.SessionDay | None] = dict.fromkeys(keys)
    before.update({key: odr.load_session(key, text) for key, text in stored.items()})
    after = {key: odr.load_session(key, text) for key, text in stored.items()}
    _touched, refunds = rr.fold_events(after, events, slugs)
    return before, after, refunds


def _stored_sessions(session: Session, day: date, column, values: list) -> dict[str, str]:
    """session_key -> stored state, for the day's sessions whose `column` is in `values`."""
    found: dict[str, str] = {}
    for index in range(0, len(values), CHUNK * 4):
        rows = session.execute(
            select(RollupOpenSession.session_key, RollupOpenSession.state).where(
                RollupOpenSession.day == day, column.in_(values[index : index + CHUNK * 4])
            )
        )
        found.update((key, state) for key, state in rows)
    return found


def _neighbours(session: Session, day: date, before: dict, after: dict) -> list[rr.SessionDay]:
    """The day's other sessions sharing a visitor id with a touched one (distinct counts need them)."""
    visitors = sorted({s.visitor_id for s in (*before.values(), *after.values()) if s is not None and s.visitor_id})
    stored = _stored_sessions(session, day, RollupOpenSession.visitor_id, visitors)
    return [odr.load_session(key, text) for key, text in stored.items() if key not in after]


def _carriers(session: Session, day: date, carts: list[str]) -> dict[str, rr.SessionDay]:
    """The day's sessions that carried any of these carts, as stored now."""
    keys: set[str] = set()
    for index in range(0, len(carts), CHUNK * 4):
        keys.update(
            session.scalars(
                select(RollupOpenCart.session_key).where(
                    RollupOpenCart.day == day, RollupOpenCart.cart_hash.in_(carts[index : index + CHUNK * 4])
                )
            )
        )
    stored = _stored_sessions(session, day, RollupOpenSession.session_key, sorted(keys))
    return {key: odr.load_session(key, text) for key, text in stored.items()}


def _write_sessions(session: Session, day: date, before: dict, after: dict) -> None:
    """Store the touched sessions' new state, their new carts, and replace their interest rows."""
    known = sorted(key for key, old in before.items() if old is not None)
    for index in range(0, len(known), CHUNK * 4):
        chunk = known[index : index + CHUNK * 4]
        session.execute(
            delete(RollupOpenSession).where(RollupOpenSession.day == day, RollupOpenSession.session_key.in_(chunk))
        )
    stale = [(slug, key) for key, old in before.items() for slug in odr.interest_keys(old)]
    for index in range(0, len(stale), CHUNK):
        session.execute(
            delete(RollupInterest).where(
                RollupInterest.day == day,
                tuple_(RollupInterest.product_slug, RollupInterest.session_key).in_(stale[index : index + CHUNK]),
            )
        )
    states = [_state_row(day, s) for s in after.values()]
    carts = [
        {"day": day, "cart_hash": cart, "session_key": key}
        for key, s in after.items()
        for cart in sorted(s.cart_hashes - (before[key].cart_hashes if before[key] else set()))
    ]
    interest = rr._interest_rows(day, list(after.values()))
    set_bought(session, interest)
    insert_rows(session, RollupOpenSession, states)
    insert_rows(session, RollupOpenCart, carts)
    insert_rows(session, RollupInterest, interest)


def _state_row(day: date, s: rr.SessionDay) -> dict:
    """A rollup_open_sessions row."""
    return {"day": day, "session_key": s.key, "visitor_id": s.visitor_id, "state": odr.dump_session(s)}


def load_day_rows(session: Session, day: date) -> odr.DayRows:
    """The day's rollup_days, rollup_sources and rollup_products rows as dicts."""
    day_row = session.execute(select(RollupDay.__table__).where(RollupDay.day == day)).mappings().first()
    sources = session.execute(select(RollupSource.__table__).where(RollupSource.day == day)).mappings()
    products = session.execute(select(RollupProduct.__table__).where(RollupProduct.day == day)).mappings()
    return odr.DayRows(
        dict(day_row) if day_row else odr.empty_day(day),
        {row["source"]: dict(row) for row in sources},
        {row["product_slug"]: dict(row) for row in products},
    )


def _write_day_rows(session: Session, day: date, rows: odr.DayRows, before_products: dict[str, dict]) -> None:
    """Write the day row and its sources whole, and the product rows that changed."""
    session.execute(delete(RollupDay).where(RollupDay.day == day))
    session.execute(insert(RollupDay.__table__), [rows.day])
    session.execute(delete(RollupSource).where(RollupSource.day == day))
    insert_rows(session, RollupSource, [r for _k, r in sorted(rows.sources.items()) if odr.source_exists(r)])
    changed = sorted(slug for slug, row in rows.products.items() if before_products.get(slug) != row)
    for index in range(0, len(changed), CHUNK):
        session.execute(
            delete(RollupProduct).where(
                RollupProduct.day == day, RollupProduct.product_slug.in_(changed[index : index + CHUNK])
            )
        )
    kept = [rows.products[slug] for slug in changed if odr.product_exists(rows.products[slug])]
    insert_rows(session, RollupProduct, kept)
