"""Pure maths of the open day's incremental rollup: fold a batch of new events into the day's rows.

No Flask and no session here. The definitions stay rollup_rules' own (sessions, sources, dwell,
attribution, interest); this module only says how a day's rows move when some sessions change:

- additive figures (sessions, page views, funnel counts, views, cart adds, refunds) move by the
  changed sessions' new contribution minus their old one;
- distinct counts (visitors, a product's viewers) are recounted over the changed sessions and
  every other session sharing a visitor id with them (the rest of the day cannot change them);
- a product's dwell values are a multiset of per-session sums: the old sum out, the new one in;
- the orders' figures (paid sessions, orders, revenue, items, per source and per product) are
  recomputed whole every time from the day's orders and the sessions holding their carts.

So the rows after any sequence of batches equal a full recompute of the same events
(tests/analytics/test_open_day.py checks it table by table).
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from . import rollup_rules as rr
from .rules import SOURCE_DIRECT

# The funnel counts of rollup_days that are sums over sessions.
DAY_SUMS = ("sessions", "page_views", "product_views", "view_sessions", "cart_sessions", "checkout_sessions")
EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)
PRODUCT_SUMS = ("views", "view_sessions", "cart_adds", "cart_sessions", "checkout_sessions")


@dataclass
class DayRows:
    """A day's rollup rows, as loaded and as written back: the day, sources and products by key."""

    day: dict
    sources: dict[str, dict]
    products: dict[str, dict]


def empty_day(day: date) -> dict:
    """A rollup_days row with nothing counted."""
    return {
        "day": day,
        **dict.fromkeys((*DAY_SUMS, "visitors", "paid_sessions", "orders", "revenue", "items", "refunds"), 0),
    }


def _session_sums(s: rr.SessionDay) -> dict:
    """One session's share of the day row's sums."""
    return {
        "sessions": 1,
        "page_views": s.page_views,
        "product_views": sum(s.views.values()),
        "view_sessions": 1 if s.views else 0,
        "cart_sessions": 1 if s.cart_adds else 0,
        "checkout_sessions": 1 if s.checkout else 0,
    }


def _product_sums(s: rr.SessionDay) -> dict[str, dict]:
    """One session's share of each product row's sums."""
    shares: dict[str, dict] = {}
    for slug, count in s.views.items():
        shares.setdefault(slug, dict.fromkeys(PRODUCT_SUMS, 0)).update(views=count, view_sessions=1)
    for slug, count in s.cart_adds.items():
        share = shares.setdefault(slug, dict.fromkeys(PRODUCT_SUMS, 0))
        share.update(cart_adds=count, cart_sessions=1, checkout_sessions=1 if s.checkout else 0)
    return shares


def apply_sessions(
    rows: DayRows,
    before: Mapping[str, rr.SessionDay | None],
    after: Mapping[str, rr.SessionDay],
    neighbours: Iterable[rr.SessionDay],
) -> set[str]:
    """Move the rows from the changed sessions' old state (None: new) to their new state.

    `neighbours` are the day's other sessions that share a visitor id with a changed one (old
    or new). Returns the product slugs whose rows changed.
    """
    day = rows.day.get("day")
    changed: set[str] = set()
    dwell_moves: dict[str, Counter] = {}
    for key, new in after.items():
        old = before.get(key)
        for sign, s in ((-1, old), (1, new)):
            if s is None:
                continue
            for name, value in _session_sums(s).items():
                rows.day[name] += sign * value
            source = rows.sources.setdefault(s.source or SOURCE_DIRECT, _empty_source(day, s.source or SOURCE_DIRECT))
            source["sessions"] += sign
            for slug, share in _product_sums(s).items():
                product = rows.products.setdefault(slug, rr._empty_product(day, slug))
                for name, value in share.items():
                    product[name] += sign * value
                changed.add(slug)
            for slug, dwell in s.dwell.items():
                dwell_moves.setdefault(slug, Counter())[dwell] += sign
    for slug, moves in dwell_moves.items():
        if any(moves.values()):
            _move_dwell(rows.products.setdefault(slug, rr._empty_product(day, slug)), moves)
            changed.add(slug)
    changed |= _recount_visitors(rows, before, after, list(neighbours))
    return changed


def _move_dwell(product: dict, moves: Counter) -> None:
    """Take the old per-session dwell sums out of a product's values and put the new ones in.

    The stored values are sorted: a few bisects per changed session, instead of re-sorting
    every session's value of the day (millions on a busy day).
    """
    values = rr.decode_values(product["dwell_values"])
    for value, count in sorted(moves.items()):
        value = rr.capped_dwell(value)
        for _ in range(-count):
            del values[bisect.bisect_left(values, value)]
        for _ in range(count):
            bisect.insort(values, value)
    product.update(rr.dwell_fields(values))


def _recount_visitors(rows: DayRows, before: Mapping, after: Mapping, neighbours: list) -> set[str]:
    """Visitors and per-product viewers: distinct over the changed sessions and their neighbours."""
    old = [s for s in before.values() if s is not None] + neighbours
    new = list(after.values()) + neighbours
    rows.day["visitors"] += len(_visitors(new)) - len(_visitors(old))
    old_pairs, new_pairs = _viewer_pairs(old), _viewer_pairs(new)
    moved = Counter(slug for _v, slug in new_pairs - old_pairs)
    moved.subtract(slug for _v, slug in old_pairs - new_pairs)
    for slug, delta in moved.items():
        if delta:
            rows.products.setdefault(slug, rr._empty_product(rows.day.get("day"), slug))["viewers"] += delta
    return {slug for slug, delta in moved.items() if delta}


def _visitors(sessions: list[rr.SessionDay]) -> set[str]:
    return {s.visitor_id for s in sessions if s.visitor_id}


def _viewer_pairs(sessions: list[rr.SessionDay]) -> set[tuple[str, str]]:
    return {(s.visitor_id, slug) for s in sessions if s.visitor_id for slug in s.views}


def _empty_source(day: date | None, source: str) -> dict:
    return {"day": day, "source": source, "sessions": 0, "orders": 0, "revenue": 0}


def apply_orders(
    rows: DayRows,
    carriers: Mapping[str, rr.SessionDay],
    orders: list[rr.OrderRow],
    lines: list[rr.LineRow],
) -> None:
    """Recompute every orders figure of the day (rollup_rules' attribution over the sessions
    that carried the orders' carts), replacing the previous ones."""
    day = rows.day.get("day")
    owners = rr.attribute_orders(carriers, orders)
    sales = [o for o in orders if o.is_sale]
    rows.day.update(
        paid_sessions=len({owners[o.order_id].key for o in sales if o.order_id in owners}),
        orders=len(sales),
        revenue=sum(o.total for o in sales),
        items=sum(o.items for o in sales),
    )
    for source in rows.sources.values():
        source.update(orders=0, revenue=0)
    for order in sales:
        owner = owners.get(order.order_id)
        name = (owner.source or SOURCE_DIRECT) if owner else rr.SOURCE_UNTRACKED
        target = rows.sources.setdefault(name, _empty_source(day, name))
        target["orders"] += 1
        target["revenue"] += order.total
    for product in rows.products.values():
        product.update(orders=0, units=0, revenue=0)
    orders_with: dict[str, set[int]] = {}
    for line in lines:
        target = rows.products.setdefault(line.product_slug, rr._empty_product(day, line.product_slug))
        orders_with.setdefault(line.product_slug, set()).add(line.order_id)
        target["units"] += line.quantity
        target["revenue"] += line.line_total
    for slug, ids in orders_with.items():
        rows.products[slug]["orders"] = len(ids)


def source_exists(row: dict) -> bool:
    """A full recompute writes a source row only for a source with sessions or orders."""
    return bool(row["sessions"] or row["orders"])


def product_exists(row: dict) -> bool:
    """A full recompute writes a product row only when something happened to the product."""
    return bool(row["views"] or row["dwell_sessions"] or row["cart_adds"] or row["orders"])


def interest_keys(s: rr.SessionDay | None) -> list[str]:
    """The products of a session's rollup_interest rows (what replacing them must delete)."""
    if s is None:
        return []
    return [r["product_slug"] for r in rr._interest_rows(None, [s])]


# --- A session's state, stored between batches (rollup_open_sessions.state) ---


def _at(value: tuple | None) -> list | None:
    return [value[0].isoformat(), value[1]] if value else None


def _from_at(value: list | None) -> tuple | None:
    return (datetime.fromisoformat(value[0]), value[1]) if value else None


def dump_session(s: rr.SessionDay) -> str:
    """A session's fold state as compact JSON."""
    return json.dumps(
        [
            s.first_at.isoformat(),
            s.visitor_id,
            _at(s.visitor_at),
            s.source,
            s.ref,
            _at(s.source_at),
            s.cart_hash,
            _at(s.cart_at),
            sorted(s.cart_hashes),
            s.checkout,
            s.page_views,
            s.views,
            s.dwell,
            s.cart_adds,
            s.cart_units,
        ],
        separators=(",", ":"),
    )


def load_session(key: str, text: str) -> rr.SessionDay:
    """The inverse of dump_session."""
    first, visitor, visitor_at, source, ref, source_at, cart, cart_at, carts, checkout, pages, *counts = json.loads(
        text
    )
    views, dwell, cart_adds, cart_units = counts
    return rr.SessionDay(
        key,
        datetime.fromisoformat(first),
        visitor_id=visitor,
        source=source,
        ref=ref,
        cart_hash=cart,
        cart_hashes=set(carts),
        checkout=checkout,
        page_views=pages,
        views=views,
        dwell=dwell,
        cart_adds=cart_adds,
        cart_units=cart_units,
        visitor_at=_from_at(visitor_at),
        source_at=_from_at(source_at),
        cart_at=_from_at(cart_at),
    )


# --- Which event ids are folded in: a floor, and ranges above it (late commits leave gaps) ---


def merge_ranges(ranges: list[list], ids_at: Iterable[tuple[int, datetime]]) -> list[list]:
    """Add folded event ids to sorted [low, high, created_at of the event `low`] ranges."""
    points = sorted(ids_at)
    runs: list[list] = []
    for event_id, at in points:
        if runs and event_id == runs[-1][1] + 1:
            runs[-1][1] = event_id
        else:
            runs.append([event_id, event_id, at])
    merged: list[list] = []
    for low, high, at in sorted([list(r) for r in ranges] + runs):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high, at])
    return merged


def advance_floor(floor: int, ranges: list[list], settled_before: datetime) -> tuple[int, list[list]]:
    """Raise the floor through the ranges, in order, while each starts right above it or the gap
    below it is settled: the event just above the gap was created before `settled_before`, so an
    id still missing there belongs to a transaction that rolled back or committed too late for
    the open day (the day's final recompute, after it ends, counts it). Returns the new floor
    and the ranges above it."""
    for low, high, at in ranges:
        if low > floor + 1 and at >= settled_before:
            break
        floor = max(floor, high)
    return floor, [r for r in ranges if r[1] > floor]


def dump_ranges(ranges: list[list]) -> str:
    """Ranges as text: 'low-high-microseconds_since_1970 ...' (created_at is naive UTC)."""
    return " ".join(f"{low}-{high}-{(at - EPOCH) // MICROSECOND}" for low, high, at in ranges)


def load_ranges(text: str | None) -> list[list]:
    """The inverse of dump_ranges."""
    out = []
    for part in (text or "").split():
        low, high, micros = (int(x) for x in part.split("-"))
        out.append([low, high, EPOCH + micros * MICROSECOND])
    return out
