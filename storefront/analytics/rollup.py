"""Rollup use-cases: project orders for the reports, recompute whole days, and the catch-up.

`catch_up` is a generator: it flushes one unit of work (the orders projection, then one day)
and yields, and the caller commits there (the CLI after every day, the reports page too), so
a long first run keeps its progress and never holds one huge transaction. Every unit starts
by touching the rollup_state row: on PostgreSQL a row lock, on SQLite the write lock, so two
runs (cron and a report page, two workers) take turns instead of racing. A final day is deleted
and inserted again whole, so running twice changes nothing; the open day moves by what is new.

What is recomputed, and when:
- *final* days (ended more than GRACE ago, shop time zone) once, in order, behind the
  `complete_through` watermark; the events of a final day never change (server timestamps);
- days an order of which changed (new order, status change, payment), found through
  orders.updated_at since the `orders_seen_until` watermark, queued in rollup_pending_days;
- the *open* day (today) when `refresh_every` has passed since its last run: incrementally,
  folding in only the events not folded yet (open_day.py); once final it folds in its last
  events and closes from its fold when that counted every event of the day, else it is
  recomputed whole;
- a final day whose order changed: its orders re-attributed among the sessions that carried
  a cart, kept from its final recompute (open_day.refresh_day_orders), else recomputed whole.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..catalog.models import Product, Variant
from ..db import refresh_planner_statistics
from ..orders.models import Order, OrderLine
from ..orders.rules import SALE_STATUSES
from . import rollup_rules as rr
from .models import (
    Event,
    ReportOrder,
    RollupDay,
    RollupInterest,
    RollupOpenCart,
    RollupOpenDay,
    RollupOpenSession,
    RollupPendingDay,
    RollupProduct,
    RollupSource,
    RollupState,
)

STATE_ID = 1
GRACE = timedelta(minutes=5)  # a request that straddles midnight commits its events a little late
ORDERS_OVERLAP = timedelta(minutes=10)  # orders committed out of updated_at order are still seen
CHUNK = 500
EVENT_BATCH = 20_000  # events fetched at a time by a day's full recompute
OPEN_BATCH = 1_000_000  # the open day's new events folded in per unit of work, at most
DAY_TABLES = (RollupDay, RollupSource, RollupProduct, RollupInterest)
OPEN_TABLES = (RollupOpenDay, RollupOpenSession, RollupOpenCart)  # the open day's fold state (open_day.py)
# The tables whose statistics steer the rollup's joins (SQLite has none until it is told to ANALYZE).
PLANNED_TABLES = ("report_orders", "order_lines", "rollup_interest", "events")


@dataclass
class Progress:
    """What one unit of work did (the caller commits after each)."""

    step: str  # "orders" or "day"
    day: date | None = None
    orders: int = 0
    remaining: int = 0


@dataclass
class Plan:
    """The days a catch-up will recompute, in order, and whether each is final."""

    days: list[tuple[date, bool]] = field(default_factory=list)


# The event fields the rollup rules read, in their order (reports' filtered pages read the same).
EVENT_COLUMNS = (
    Event.created_at,
    Event.name,
    Event.visitor_id,
    Event.session_id,
    Event.cart_hash,
    Event.product_slug,
    Event.variant_id,
    Event.quantity,
    Event.dwell_ms,
    Event.source,
    Event.ref,
    Event.value,
    Event.id,
)


def zone_name(tz: tzinfo) -> str:
    """The IANA name of a zone (what rollup_state remembers)."""
    return getattr(tz, "key", None) or str(tz)


def lock_state(session: Session, now: datetime, tz: tzinfo) -> RollupState:
    """Take the rollup lock (touch the state row first), creating the row on first use.

    A change of shop time zone cuts days differently: every rollup is dropped and rebuilt.
    """
    stmt = update(RollupState).where(RollupState.id == STATE_ID).values(locked_at=now)
    if session.execute(stmt).rowcount != 1:
        _create_state(session, now, tz)
        session.execute(stmt)
    state = session.scalars(
        select(RollupState).where(RollupState.id == STATE_ID).execution_options(populate_existing=True)
    ).one()
    if state.timezone != zone_name(tz):
        for table in (*DAY_TABLES, *OPEN_TABLES, RollupPendingDay, ReportOrder):
            session.execute(delete(table))
        state.timezone = zone_name(tz)
        state.complete_through = state.orders_seen_until = state.today_refreshed_at = None
    return state


def _create_state(session: Session, now: datetime, tz: tzinfo) -> None:
    """Insert the state row unless a concurrent first run just did (then keep theirs)."""
    row = {"id": STATE_ID, "timezone": zone_name(tz), "customer_salt": secrets.token_hex(32), "locked_at": now}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        session.execute(module.insert(RollupState).values(**row).on_conflict_do_nothing(index_elements=["id"]))
        return
    try:
        with session.begin_nested():
            session.execute(insert(RollupState).values(**row))
    except IntegrityError:
        pass


def reset(session: Session, now: datetime, tz: tzinfo, since: date | None = None) -> None:
    """Make the next catch-up recompute every day from `since` (all days when None)."""
    state = lock_state(session, now, tz)
    for table in OPEN_TABLES:  # the open day is rebuilt from its events too
        session.execute(delete(table).where(table.day >= since) if since else delete(table))
    if since is None:
        state.complete_through = state.orders_seen_until = None
    elif state.complete_through is not None and state.complete_through >= since:
        # Never before the first day with data (a reset to 2020 must not roll up empty years).
        first = first_data_day(session, tz)
        state.complete_through = max(since, first or since) - timedelta(days=1)
    state.today_refreshed_at = None
    session.flush()


def needs_catch_up(session: Session, now: datetime, tz: tzinfo, refresh_every: timedelta = timedelta(0)) -> bool:
    """True when a catch-up has work to do; reads only (a report page checks this first, so most
    page views never take the rollup lock; end this read transaction before calling catch_up)."""
    state = session.get(RollupState, STATE_ID, populate_existing=True)
    if state is None or state.timezone != zone_name(tz):
        return True
    if changed_orders(session, state)[0]:
        return True
    return bool(plan_days(session, state, now, tz, refresh_every).days)


def catch_up(
    session: Session,
    now: datetime,
    tz: tzinfo,
    *,
    max_days: int | None = None,
    refresh_every: timedelta = timedelta(0),
) -> Iterator[Progress]:
    """Bring the rollups up to date, yielding after each flushed unit (commit there)."""
    state = lock_state(session, now, tz)
    projected = refresh_orders(session, state, tz)
    plan = plan_days(session, state, now, tz, refresh_every)
    todo = plan.days[:max_days] if max_days is not None else plan.days
    if todo:
        refresh_planner_statistics(session, *PLANNED_TABLES)
    slugs = variant_slugs(session)
    yield Progress("orders", orders=projected, remaining=len(plan.days))
    for index, (day, final) in enumerate(todo, 1):
        # The lock first, again: on SQLite a transaction that read first could not write later.
        state = lock_state(session, now, tz)
        # Imported here: open_day builds on this module's helpers.
        from .open_day import advance_open_day, close_open_day, is_open, keep_carriers, refresh_day_orders

        if not final or is_open(session, day):
            # A big backlog (the first run of a busy day) is folded a batch per unit: the caller
            # commits each, and memory holds one batch of events. A day just final folds in its
            # last events too, and closes from its fold when it missed none.
            while advance_open_day(session, day, tz, now, slugs) == OPEN_BATCH:
                session.flush()
                yield Progress("day", day=day, remaining=len(plan.days) - index + 1)
                state = lock_state(session, now, tz)
        closed = not final or (_was_final(state, day) and refresh_day_orders(session, day))
        if not (closed or close_open_day(session, day, tz)):
            keep_carriers(session, day, recompute_day(session, day, tz, slugs).carriers)
        session.execute(delete(RollupPendingDay).where(RollupPendingDay.day == day))
        if final and (state.complete_through is None or day == state.complete_through + timedelta(days=1)):
            state.complete_through = day
        if not final:
            state.today_refreshed_at = now
        session.flush()
        yield Progress("day", day=day, remaining=len(plan.days) - index)


def _was_final(state: RollupState, day: date) -> bool:
    """The day was recomputed as final before (only a changed order brings it back)."""
    return state.complete_through is not None and day <= state.complete_through


def plan_days(session: Session, state: RollupState, now: datetime, tz: tzinfo, refresh_every: timedelta) -> Plan:
    """Final days past the watermark, then days with changed orders, then the open day(s) if due."""
    today = rr.shop_day(now, tz)
    final_through = rr.shop_day(now - GRACE, tz) - timedelta(days=1)
    pending = set(session.scalars(select(RollupPendingDay.day)))
    # The first day with data is looked up only before the first run: on PostgreSQL the events'
    # time index is a BRIN, which cannot answer min() without reading the table.
    if state.complete_through is not None:
        start: date | None = state.complete_through + timedelta(days=1)
    else:
        start = first_data_day(session, tz)
    days: list[tuple[date, bool]] = []
    if start is not None:
        day = start
        while day <= final_through:
            days.append((day, True))
            pending.discard(day)
            day += timedelta(days=1)
    days += [(day, True) for day in sorted(pending) if day <= final_through]
    refresh_due = state.today_refreshed_at is None or now - state.today_refreshed_at >= refresh_every
    day = final_through + timedelta(days=1)
    while day <= today:
        if refresh_due or day in pending:
            days.append((day, False))
        day += timedelta(days=1)
    return Plan(days)


def first_data_day(session: Session, tz: tzinfo) -> date | None:
    """The first shop day with an event or an order, or None when there is neither."""
    firsts = [session.scalar(select(func.min(Event.created_at))), session.scalar(select(func.min(ReportOrder.day)))]
    days = [rr.shop_day(firsts[0], tz) if firsts[0] else None, firsts[1]]
    known = [d for d in days if d is not None]
    return min(known) if known else None


def variant_slugs(session: Session) -> dict[int, str]:
    """Every variant's product slug (add_to_cart events may carry only the variant)."""
    return dict(session.execute(select(Variant.id, Product.slug).join(Product, Variant.product_id == Product.id)).all())


def day_events_query(start: datetime, end: datetime) -> Select:
    """A shop day's events; bounded on created_at so PostgreSQL reads only that day's partitions.

    No ORDER BY: the fold is order-free (rollup_rules._apply), and sorting tens of millions of
    rows would spill to disk.
    """
    return select(*EVENT_COLUMNS).where(Event.created_at >= start, Event.created_at < end)


def recompute_day(session: Session, day: date, tz: tzinfo, slugs: dict[int, str]) -> rr.DayRollup:
    """Delete and rebuild every rollup row of one shop day; flushes."""
    start, end = rr.day_bounds(day, tz)
    # Core: tuples straight from the driver, no ORM rows, streamed in batches (PostgreSQL: a
    # server-side cursor), so a day of tens of millions of events is never held in memory at once.
    events = session.connection().execute(day_events_query(start, end).execution_options(yield_per=EVENT_BATCH))
    rollup = rr.roll_up_day(
        day, map(rr.EventRow._make, events), day_orders(session, day), day_lines(session, day), slugs
    )
    for table in DAY_TABLES:
        session.execute(delete(table).where(table.day == day))
    set_bought(session, rollup.interest)
    session.execute(insert(RollupDay.__table__), [rollup.day])
    for table, rows in (
        (RollupSource, rollup.sources),
        (RollupProduct, rollup.products),
        (RollupInterest, rollup.interest),
    ):
        insert_rows(session, table, rows)
    session.flush()
    return rollup


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert plain rows (dicts with every column): PostgreSQL through COPY, else Core inserts.

    A day holds hundreds of thousands of interest rows: COPY writes them several times faster
    than multi-row INSERTs (the rollup's biggest cost before).
    """
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        for index in range(0, len(rows), CHUNK):
            session.execute(insert(table.__table__), rows[index : index + CHUNK])
        return
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.__tablename__)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def set_bought(session: Session, interest: list[dict]) -> None:
    """Set each new rollup_interest row's `bought` (mark_bought's rule) before it is written.

    One read of the sale orders of the rows' carts instead of an UPDATE of every row afterwards
    (which rewrote every row with a cart, bought or not).
    """
    carts = sorted({row["cart_hash"] for row in interest if row["cart_hash"]})
    latest: dict[tuple[str, str], datetime] = {}
    for index in range(0, len(carts), CHUNK * 4):
        rows = session.execute(
            select(ReportOrder.cart_hash, OrderLine.product_slug, func.max(ReportOrder.created_at))
            .join(OrderLine, OrderLine.order_id == ReportOrder.order_id)
            .where(ReportOrder.cart_hash.in_(carts[index : index + CHUNK * 4]), ReportOrder.is_sale.is_(True))
            .group_by(ReportOrder.cart_hash, OrderLine.product_slug)
        )
        latest.update(((cart, slug), at) for cart, slug, at in rows)
    for row in interest:
        placed = latest.get((row["cart_hash"], row["product_slug"])) if row["cart_hash"] else None
        row["bought"] = placed is not None and placed >= row["first_seen"]


def mark_bought(session: Session, *where) -> None:
    """Set rollup_interest.bought, for the rows matching `where`, from the sale orders of their cart.

    Bought: a sale order of the same cart, placed at or after the session first showed interest,
    has a line with the product. Called for a rebuilt day and for the carts of changed orders,
    so the flag always reflects the current orders (and recomputing it changes nothing).
    """
    interest = RollupInterest.__table__
    bought = (
        select(ReportOrder.order_id)
        .join(OrderLine, OrderLine.order_id == ReportOrder.order_id)
        .where(
            ReportOrder.cart_hash == interest.c.cart_hash,
            ReportOrder.is_sale.is_(True),
            ReportOrder.created_at >= interest.c.first_seen,
            OrderLine.product_slug == interest.c.product_slug,
        )
        .exists()
    )
    session.execute(update(interest).where(interest.c.cart_hash.is_not(None), *where).values(bought=bought))


def day_orders(session: Session, day: date) -> list[rr.OrderRow]:
    """The day's orders (any status) from the projection, in time order."""
    rows = session.execute(
        select(
            ReportOrder.order_id,
            ReportOrder.created_at,
            ReportOrder.is_sale,
            ReportOrder.total,
            ReportOrder.items,
            ReportOrder.cart_hash,
        )
        .where(ReportOrder.day == day)
        .order_by(ReportOrder.created_at, ReportOrder.order_id)
    )
    return [rr.OrderRow(*row) for row in rows]


def day_lines(session: Session, day: date) -> list[rr.LineRow]:
    """The lines of the day's sale orders."""
    rows = session.execute(
        select(
            OrderLine.order_id,
            OrderLine.product_slug,
            OrderLine.quantity,
            OrderLine.unit_price * OrderLine.quantity - OrderLine.discount,  # after its share of a discount code
        )
        .join(ReportOrder, ReportOrder.order_id == OrderLine.order_id)
        .where(ReportOrder.day == day, ReportOrder.is_sale.is_(True))
        .order_by(OrderLine.id)
    )
    return [rr.LineRow(*row) for row in rows]


def changed_orders(session: Session, state: RollupState) -> tuple[list[int], datetime | None]:
    """Ids of orders new or changed since the watermark (and the latest updated_at seen).

    Two narrow reads instead of one wide one: (id, updated_at) of the orders updated lately,
    then the projection's updated_at of those ids. Only what differs is loaded in full.
    """
    since = state.orders_seen_until - ORDERS_OVERLAP if state.orders_seen_until else None
    stmt = select(Order.id, Order.updated_at)
    recent = dict(session.execute(stmt.where(Order.updated_at >= since) if since else stmt).all())
    if not recent:
        return [], None
    known: dict[int, datetime] = {}
    ids = list(recent)
    for index in range(0, len(ids), CHUNK * 4):
        chunk = ids[index : index + CHUNK * 4]
        known.update(
            session.execute(
                select(ReportOrder.order_id, ReportOrder.updated_at).where(ReportOrder.order_id.in_(chunk))
            ).all()
        )
    changed = [order_id for order_id, updated in recent.items() if known.get(order_id) != updated]
    return changed, max(recent.values())


def refresh_orders(session: Session, state: RollupState, tz: tzinfo) -> int:
    """Re-project orders changed since the watermark; queue the days whose figures moved.

    Returns how many report_orders rows were written.
    """
    changed, latest = changed_orders(session, state)
    if latest is not None:
        state.orders_seen_until = max(latest, state.orders_seen_until) if state.orders_seen_until else latest
    rows, dirty, touched_carts = [], set(), set()
    sale_statuses = frozenset(str(s) for s in SALE_STATUSES)
    for index in range(0, len(changed), CHUNK * 4):
        chunk = changed[index : index + CHUNK * 4]
        orders = _order_rows(session, chunk)
        ids = chunk if len(chunk) <= CHUNK else None
        carts = purchase_carts(session, min(o["created_at"] for o in orders), ids) if orders else {}
        known = {}
        for r in session.execute(select(ReportOrder).where(ReportOrder.order_id.in_(chunk))).scalars():
            known[r.order_id] = r.day
            touched_carts.add(r.cart_hash)  # a cart that loses an order (rare) needs its flags again too
        for order in orders:
            row = rr.project_order(
                order, tz=tz, salt=state.customer_salt, cart_hash=carts.get(order["id"]), sale_statuses=sale_statuses
            )
            rows.append(row)
            dirty.add(row["day"])
            touched_carts.add(row["cart_hash"])
            if order["id"] in known:
                dirty.add(known[order["id"]])
    for index in range(0, len(rows), CHUNK):
        chunk_rows = rows[index : index + CHUNK]
        session.execute(delete(ReportOrder).where(ReportOrder.order_id.in_([r["order_id"] for r in chunk_rows])))
        session.execute(insert(ReportOrder), chunk_rows)
    hashes = sorted(cart for cart in touched_carts if cart)
    for index in range(0, len(hashes), CHUNK):
        mark_bought(session, RollupInterest.cart_hash.in_(hashes[index : index + CHUNK]))
    queue_days(session, dirty)
    session.flush()
    return len(rows)


def _order_rows(session: Session, ids: list[int]) -> list:
    """The orders columns the projection needs, with each order's item count."""
    return (
        session.execute(
            select(
                Order.id,
                Order.created_at,
                Order.updated_at,
                Order.status,
                Order.total,
                Order.phone,
                Order.email,
                Order.delivery_method,
                Order.country,
                Order.region,
                Order.city,
                func.coalesce(func.sum(OrderLine.quantity), 0).label("items"),
            )
            .outerjoin(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.id.in_(ids))
            .group_by(Order.id)
        )
        .mappings()
        .all()
    )


def purchase_carts(session: Session, since: datetime, order_ids: list[int] | None = None) -> dict[int, str]:
    """order id -> cart hash, from the server-side purchase events since `since` (of `order_ids`)."""
    stmt = select(Event.order_id, Event.cart_hash).where(
        Event.name == "purchase", Event.created_at >= since - timedelta(minutes=1)
    )
    if order_ids is not None:
        stmt = stmt.where(Event.order_id.in_(order_ids))
    rows = session.execute(stmt.order_by(Event.id.desc()))
    return {order_id: cart for order_id, cart in rows if order_id is not None and cart}


def queue_days(session: Session, days: set[date]) -> None:
    """Add days to the recompute queue (the caller holds the rollup lock)."""
    if not days:
        return
    queued = set(session.scalars(select(RollupPendingDay.day)))
    new = sorted(days - queued)
    if new:
        session.execute(insert(RollupPendingDay), [{"day": d} for d in new])
