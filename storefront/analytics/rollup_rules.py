"""Pure rollup maths: one shop day's events and orders in, that day's rollup rows out.

No Flask and no session here. The definitions every report relies on live here, once:

- a *session* is the tracker's session id (or, without one, the day's visitor id); a session
  that crosses midnight counts on both days, like every web analytics tool does;
- a session's *source* is the first attribution it carries other than "internal" (a page
  opened from the shop's own page after the session timed out), else "direct";
- a session's *dwell* on a product is the sum of its engagement events for that product;
  medians are taken over those per-session sums;
- an *order belongs to* the session of that day that carried the order's cart (the cart
  hash of the server-side purchase event) and started before the order: one that began
  checkout first, then the most recent; orders no session carried are "untracked" (Do Not
  Track, JavaScript off, phone orders). Only sale orders (orders.rules.SALE_STATUSES) count.
"""

from __future__ import annotations

import bisect
import hashlib
import statistics
import sys
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from ..orders.rules import normalise_phone
from .rules import SOURCE_DIRECT, SOURCE_INTERNAL

SOURCE_UNTRACKED = "untracked"
LONG_DWELL_MS = 30_000  # a shopper who stays half a minute on a product is interested
ORDER_GRACE = timedelta(seconds=60)  # a session's first beacon may land just after the order


class EventRow(NamedTuple):
    """One stored event, as much of it as the rollup reads (rows come in time order; a tuple, as
    a day brings tens of thousands)."""

    created_at: datetime
    name: str
    visitor_id: str | None = None
    session_id: str | None = None
    cart_hash: str | None = None
    product_slug: str | None = None
    variant_id: int | None = None
    quantity: int | None = None
    dwell_ms: int | None = None
    source: str | None = None
    ref: str | None = None
    value: int | None = None  # minor units: a refund's amount
    id: int | None = None  # the stored row's id: orders events that share a created_at


@dataclass(frozen=True)
class OrderRow:
    """One order placed that day (any status) with the cart hash of its purchase event."""

    order_id: int
    created_at: datetime
    is_sale: bool
    total: int
    items: int
    cart_hash: str | None


@dataclass(frozen=True)
class LineRow:
    """One line of a sale order placed that day."""

    order_id: int
    product_slug: str
    quantity: int
    line_total: int


@dataclass
class SessionDay:
    """What one session did during the day."""

    key: str
    first_at: datetime
    visitor_id: str | None = None
    source: str | None = None
    ref: str | None = None
    cart_hash: str | None = None  # the latest one seen: a cart is made at the first add
    # The (created_at, id) of the event that set visitor_id, source and cart_hash: folding is then
    # order-free, so the open day's rollup can fold a late-committing event after later ones.
    visitor_at: tuple | None = None
    source_at: tuple | None = None
    cart_at: tuple | None = None
    cart_hashes: set[str] = field(default_factory=set)
    checkout: bool = False
    page_views: int = 0
    # Plain dicts (slug -> count): a day has thousands of sessions, and Counter() is slow to make.
    views: dict[str, int] = field(default_factory=dict)
    dwell: dict[str, int] = field(default_factory=dict)
    cart_adds: dict[str, int] = field(default_factory=dict)
    cart_units: dict[str, int] = field(default_factory=dict)


@dataclass
class DayRollup:
    """The rows of one day: the day, its sources, its products and its interest rows."""

    day: dict
    sources: list[dict]
    products: list[dict]
    interest: list[dict]
    carriers: list[SessionDay] = field(default_factory=list)  # the sessions that carried a cart


def session_key(session_id: str | None, visitor_id: str | None) -> str | None:
    """The session a browser event belongs to; server events (purchase) have none."""
    if session_id:
        return session_id
    return f"v:{visitor_id}" if visitor_id else None


def median_ms(values: list[int]) -> int | None:
    """The true median (the mean of the middle two for an even count), rounded to a millisecond."""
    return round(statistics.median(values)) if values else None


# A day x product's dwell values (each session's dwell on the product) are stored sorted as
# fixed-width binary: unsigned 32-bit little-endian, so a reader bisects them where they lie and
# fetches a slice by offset (bytes 4 * i .. 4 * j) without parsing anything. A session's dwell
# on one product counts at most DWELL_MAX ms (24 days: more is a forged beacon, not a shopper;
# and a median must fit the 32-bit signed dwell_median_ms column).
DWELL_MAX = 2**31 - 1
DWELL_WIDTH = 4
if array("I").itemsize != DWELL_WIDTH:  # pragma: no cover - every platform the shop runs on
    raise ImportError("array('I') must hold 32-bit values")

# Fixed bucket edges (ms) for the cumulative histogram stored beside the values: 0, then 1 s
# growing by 10 % a bucket up to DWELL_MAX (154 edges). histogram[i] = how many values are
# below DWELL_EDGES[i], which is also where bucket i starts among the sorted values: a report
# adds the days' counts up to find the bucket that holds the median, then reads only that
# bucket's slice of each day. A row with no more values than edges keeps no histogram (its
# values are no longer than one would be): readers count below an edge by bisecting them.
DWELL_EDGES: tuple[int, ...] = (0, *(round(1000 * 1.1**i) for i in range(153)))
HISTOGRAM_FROM = len(DWELL_EDGES)  # more values than this: a histogram is stored


def capped_dwell(ms: int) -> int:
    """A session's dwell on a product as stored: at most DWELL_MAX."""
    return min(ms, DWELL_MAX)


def _little_endian(values: array) -> array:
    if sys.byteorder != "little":  # pragma: no cover - the shop runs on little-endian machines
        values.byteswap()
    return values


def encode_values(values: Iterable[int]) -> bytes:
    """Dwell values (each within 0 .. DWELL_MAX), sorted, as uint32 little-endian."""
    return _pack(sorted(values))


def _pack(sorted_values: Sequence[int]) -> bytes:
    return _little_endian(array("I", sorted_values)).tobytes()


def decode_values(blob: bytes | None) -> array:
    """The inverse of encode_values: an array of the sorted values (bisect and insort work on it)."""
    return _little_endian(array("I", blob or b""))


def dwell_histogram(values: Sequence[int]) -> bytes:
    """Sorted values' cumulative counts at DWELL_EDGES (uint32 little-endian); none for a short row."""
    if len(values) <= HISTOGRAM_FROM:
        return b""
    return _pack([bisect.bisect_left(values, edge) for edge in DWELL_EDGES])


def sorted_median(values: Sequence[int]) -> int | None:
    """median_ms of values already sorted (without sorting millions of them again)."""
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else round((values[middle - 1] + values[middle]) / 2)


def dwell_fields(values: Sequence[int]) -> dict:
    """A product row's dwell columns from its sessions' (capped, sorted) dwell values."""
    return {
        "dwell_sessions": len(values),
        "dwell_total_ms": sum(values),
        "dwell_median_ms": sorted_median(values),
        "dwell_values": _pack(values),
        "dwell_histogram": dwell_histogram(values),
    }


def sessions_of(events: Iterable[EventRow], variant_slugs: Mapping[int, str]) -> dict[str, SessionDay]:
    """Group the day's browser events into sessions (in any order: see _apply)."""
    sessions: dict[str, SessionDay] = {}
    fold_events(sessions, events, variant_slugs)
    return sessions


def fold_events(
    sessions: dict[str, SessionDay], events: Iterable[EventRow], variant_slugs: Mapping[int, str]
) -> tuple[set[str], int]:
    """Fold events into the sessions they belong to (created when new), in one pass, in any order.

    Returns the keys of the sessions touched and the total of the refunds among the events
    (one pass, so a day's events can stream from the database instead of sitting in a list).
    """
    touched: set[str] = set()
    refunds = 0
    for event in events:
        if event.name == "refund":
            refunds += event.value or 0
        key = session_key(event.session_id, event.visitor_id)
        if key is None:
            continue
        session = sessions.get(key)
        if session is None:
            session = sessions[key] = SessionDay(key, event.created_at)
        _apply(session, event, variant_slugs)
        touched.add(key)
    return touched, refunds


def _apply(session: SessionDay, event: EventRow, variant_slugs: Mapping[int, str]) -> None:
    """Fold one event into its session, in any order: the first visitor id and attribution and
    the latest cart hash are chosen by (created_at, id), as a fold in time order would."""
    at = (event.created_at, event.id or 0)
    if event.created_at < session.first_at:
        session.first_at = event.created_at
    if event.visitor_id and (session.visitor_at is None or at < session.visitor_at):
        session.visitor_id, session.visitor_at = event.visitor_id, at
    if event.cart_hash:
        session.cart_hashes.add(event.cart_hash)
        if session.cart_at is None or at >= session.cart_at:
            session.cart_hash, session.cart_at = event.cart_hash, at
    if event.source and event.source != SOURCE_INTERNAL and (session.source_at is None or at < session.source_at):
        session.source, session.ref, session.source_at = event.source, event.ref, at
    slug = event.product_slug or (variant_slugs.get(event.variant_id) if event.variant_id else None)
    if event.name == "page_view":
        session.page_views += 1
    elif event.name == "view_item" and slug:
        session.views[slug] = session.views.get(slug, 0) + 1
    elif event.name == "engagement" and slug:
        session.dwell[slug] = session.dwell.get(slug, 0) + (event.dwell_ms or 0)
    elif event.name == "add_to_cart" and slug:
        session.cart_adds[slug] = session.cart_adds.get(slug, 0) + 1
        session.cart_units[slug] = session.cart_units.get(slug, 0) + (event.quantity or 1)
    elif event.name == "begin_checkout":
        session.checkout = True


def attribute_orders(sessions: Mapping[str, SessionDay], orders: Iterable[OrderRow]) -> dict[int, SessionDay]:
    """The session each order belongs to (see the module docstring); untracked orders are absent."""
    by_cart: dict[str, list[SessionDay]] = defaultdict(list)
    for session in sessions.values():
        for cart in session.cart_hashes:
            by_cart[cart].append(session)
    owners: dict[int, SessionDay] = {}
    for order in orders:
        candidates = [s for s in by_cart.get(order.cart_hash or "", ()) if s.first_at <= order.created_at + ORDER_GRACE]
        if candidates:
            owners[order.order_id] = max(candidates, key=lambda s: (s.checkout, s.first_at, s.key))
    return owners


def roll_up_day(
    day: date,
    events: Iterable[EventRow],
    orders: list[OrderRow],
    lines: list[LineRow],
    variant_slugs: Mapping[int, str] | None = None,
) -> DayRollup:
    """Every rollup row of `day` from its events (any order, read once), orders and sale-order lines."""
    sessions: dict[str, SessionDay] = {}
    _touched, refunds = fold_events(sessions, events, variant_slugs or {})
    owners = attribute_orders(sessions, orders)
    sales = [o for o in orders if o.is_sale]
    paid = {owners[o.order_id].key for o in sales if o.order_id in owners}
    values = list(sessions.values())
    day_row = {
        "day": day,
        "sessions": len(values),
        "visitors": len({s.visitor_id for s in values if s.visitor_id}),
        "page_views": sum(s.page_views for s in values),
        "product_views": sum(sum(s.views.values()) for s in values),
        "view_sessions": sum(1 for s in values if s.views),
        "cart_sessions": sum(1 for s in values if s.cart_adds),
        "checkout_sessions": sum(1 for s in values if s.checkout),
        "paid_sessions": len(paid),
        "orders": len(sales),
        "revenue": sum(o.total for o in sales),
        "items": sum(o.items for o in sales),
        "refunds": refunds,
    }
    return DayRollup(
        day_row,
        _source_rows(day, values, sales, owners),
        _product_rows(day, values, lines),
        _interest_rows(day, values),
        [s for s in values if s.cart_hashes],
    )


def _source_rows(day: date, sessions: list[SessionDay], sales: list[OrderRow], owners: dict) -> list[dict]:
    """Sessions per source, and the sale orders (and revenue) those sessions placed."""
    rows: dict[str, dict] = {}

    def row(source: str) -> dict:
        if source not in rows:
            rows[source] = {"day": day, "source": source, "sessions": 0, "orders": 0, "revenue": 0}
        return rows[source]

    for session in sessions:
        row(session.source or SOURCE_DIRECT)["sessions"] += 1
    for order in sales:
        owner = owners.get(order.order_id)
        target = row((owner.source or SOURCE_DIRECT) if owner else SOURCE_UNTRACKED)
        target["orders"] += 1
        target["revenue"] += order.total
    return sorted(rows.values(), key=lambda r: r["source"])


def _product_rows(day: date, sessions: list[SessionDay], lines: list[LineRow]) -> list[dict]:
    """Per product: views, viewers, dwell, cart adds, checkouts and sales."""
    rows: dict[str, dict] = {}
    viewers: dict[str, set[str]] = defaultdict(set)
    dwells: dict[str, list[int]] = defaultdict(list)

    def row(slug: str) -> dict:
        found = rows.get(slug)
        if found is None:
            found = rows[slug] = _empty_product(day, slug)
        return found

    for s in sessions:
        for slug, count in s.views.items():
            row(slug)["views"] += count
            row(slug)["view_sessions"] += 1
            if s.visitor_id:
                viewers[slug].add(s.visitor_id)
        for slug, total in s.dwell.items():
            dwells[slug].append(capped_dwell(total))
        for slug, count in s.cart_adds.items():
            row(slug)["cart_adds"] += count
            row(slug)["cart_sessions"] += 1
            row(slug)["checkout_sessions"] += 1 if s.checkout else 0
    for slug, values in dwells.items():
        row(slug).update(dwell_fields(sorted(values)))
    for slug, visitors in viewers.items():
        row(slug)["viewers"] = len(visitors)
    orders_with: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        target = row(line.product_slug)
        orders_with[line.product_slug].add(line.order_id)
        target["units"] += line.quantity
        target["revenue"] += line.line_total
    for slug, ids in orders_with.items():
        rows[slug]["orders"] = len(ids)
    return sorted(rows.values(), key=lambda r: r["product_slug"])


def _empty_product(day: date, slug: str) -> dict:
    return {
        "day": day,
        "product_slug": slug,
        "views": 0,
        "viewers": 0,
        "view_sessions": 0,
        "dwell_sessions": 0,
        "dwell_total_ms": 0,
        "dwell_median_ms": None,
        "dwell_values": b"",
        "dwell_histogram": b"",
        "cart_adds": 0,
        "cart_sessions": 0,
        "checkout_sessions": 0,
        "orders": 0,
        "units": 0,
        "revenue": 0,
    }


def _interest_rows(day: date, sessions: list[SessionDay]) -> list[dict]:
    """Sessions that lingered (LONG_DWELL_MS) on a product or put it in the cart."""
    rows = []
    for s in sessions:
        for slug in sorted(set(s.dwell) | set(s.cart_units)):
            dwell, units = s.dwell.get(slug, 0), s.cart_units.get(slug, 0)
            if dwell < LONG_DWELL_MS and not units:
                continue
            rows.append(
                {
                    "day": day,
                    "product_slug": slug,
                    "session_key": s.key,
                    "visitor_id": s.visitor_id,
                    "dwell_ms": dwell,
                    "cart_units": units,
                    "cart_hash": s.cart_hash,
                    "source": s.source or SOURCE_DIRECT,
                    "ref": s.ref,
                    "first_seen": s.first_at,
                }
            )
    return rows


# --- Orders as the reports see them (report_orders): shop-time parts, customer key, place. ---


def shop_day(moment: datetime, tz: tzinfo) -> date:
    """The shop's calendar day of a naive UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(tz).date()


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The naive UTC instants where the shop's `day` starts and the next one starts."""
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    return start, end


def customer_identity(phone: str | None, email: str | None) -> str | None:
    """Who ordered: the normalised phone number, else the lower-cased email, else unknown."""
    number = normalise_phone(phone or "")
    if number:
        return f"tel:{number.lstrip('+')}"
    mail = (email or "").strip().lower()
    return f"mail:{mail}" if mail else None


def customer_key(salt: str, identity: str | None, order_id: int) -> str:
    """A short keyed hash of the customer: stable for grouping, meaningless when shown or exported.

    An order without phone and email is a customer of its own.
    """
    text = identity or f"order:{order_id}"
    return hashlib.sha256(f"{salt}|{text}".encode()).hexdigest()[:16]


def tidy_place(text: str | None, limit: int = 100) -> str:
    """A city or region as typed, with spaces tidied, and 'LONDON'/'london' shown as 'London'."""
    words = " ".join((text or "").split())[:limit]
    if words and (words.islower() or words.isupper()):
        words = words.title()
    return words


def project_order(
    order: Mapping, *, tz: tzinfo, salt: str, cart_hash: str | None, sale_statuses: frozenset[str]
) -> dict:
    """The report_orders row of one order (a mapping of the orders columns plus `items`)."""
    local = order["created_at"].replace(tzinfo=UTC).astimezone(tz)
    delivered = order["delivery_method"] == "delivery"
    return {
        "order_id": order["id"],
        "created_at": order["created_at"],
        "day": local.date(),
        "hour": local.hour,
        "weekday": local.weekday(),
        "status": order["status"],
        "is_sale": order["status"] in sale_statuses,
        "total": order["total"],
        "items": int(order["items"] or 0),
        "customer_key": customer_key(salt, customer_identity(order["phone"], order["email"]), order["id"]),
        "delivery_method": order["delivery_method"],
        "country": (order["country"] or "").upper()[:2] if delivered else "",
        "region": tidy_place(order["region"]) if delivered else "",
        "city": tidy_place(order["city"]) if delivered else "",
        "cart_hash": cart_hash,
        "updated_at": order["updated_at"],
    }
