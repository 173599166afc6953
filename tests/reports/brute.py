"""Brute force: every report figure recomputed straight from the raw events and orders tables.

Written from the definitions (README, analytics/rollup_rules.py docstring), not from the
rollup code: plain loops over every row, no rollup table read. The reports must agree.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storefront.analytics.models import Event
from storefront.catalog.models import Product, Variant
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.stores.models import OrderStore, Store

SALE = {"placed", "confirmed", "packed", "shipped", "ready_for_pickup", "delivered", "collected"}
LONG_DWELL_MS = 30_000


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(zone)


@dataclass
class Visit:
    """One session on one shop day."""

    key: str
    day: date
    first: datetime
    visitor: str | None = None
    source: str | None = None
    ref: str | None = None
    carts: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    viewed: Counter = field(default_factory=Counter)
    dwell: dict = field(default_factory=dict)  # slug -> total ms (present once an engagement was seen)
    added: Counter = field(default_factory=Counter)
    added_units: Counter = field(default_factory=Counter)


@dataclass
class World:
    """The raw tables, read once, and what the brute force derives from them."""

    zone: ZoneInfo
    visits: list[Visit]
    orders: list[dict]  # every order with its local day, hour, weekday, cart hash and lines
    owners: dict[int, Visit]  # order id -> the session that placed it
    refunds: list[tuple[date, int]]  # (local day, amount) of every refund event
    refund_orders: list[tuple[date, int, int]] = field(default_factory=list)  # (local day, amount, order id)

    def sales(self, start: date, end: date) -> list[dict]:
        return [o for o in self.orders if o["status"] in SALE and start <= o["day"] <= end]

    def visits_in(self, start: date, end: date) -> list[Visit]:
        return [v for v in self.visits if start <= v.day <= end]


def load(zone: ZoneInfo) -> World:
    """Read every event and order and rebuild sessions, order owners and lines by hand."""
    slug_of_variant = dict(db.session.execute(select(Variant.id, Product.slug).join(Product)).all())
    visits: dict[tuple[date, str], Visit] = {}
    rows = db.session.execute(select(Event).order_by(Event.created_at, Event.id)).scalars().all()
    for e in rows:
        key = e.session_id or (f"v:{e.visitor_id}" if e.visitor_id else None)
        if key is None:
            continue
        day = local(e.created_at, zone).date()
        visit = visits.get((day, key))
        if visit is None:
            visit = visits[(day, key)] = Visit(key, day, e.created_at)
        visit.names.append(e.name)
        visit.visitor = visit.visitor or e.visitor_id
        if e.cart_hash:
            visit.carts.append(e.cart_hash)
        if visit.source is None and e.source not in (None, "internal"):
            visit.source, visit.ref = e.source, e.ref
        slug = e.product_slug or slug_of_variant.get(e.variant_id)
        if not slug:
            continue
        if e.name == "view_item":
            visit.viewed[slug] += 1
        elif e.name == "engagement":
            visit.dwell[slug] = visit.dwell.get(slug, 0) + (e.dwell_ms or 0)
        elif e.name == "add_to_cart":
            visit.added[slug] += 1
            visit.added_units[slug] += e.quantity or 1
    carts = {}
    for e in sorted((e for e in rows if e.name == "purchase"), key=lambda e: -e.id):
        carts[e.order_id] = e.cart_hash
    orders = []
    lines = defaultdict(list)
    for line in db.session.scalars(select(OrderLine)):
        lines[line.order_id].append(line)
    for o in db.session.scalars(select(Order).order_by(Order.id)):
        when = local(o.created_at, zone)
        orders.append(
            {
                "id": o.id,
                "status": o.status,
                "created_at": o.created_at,
                "day": when.date(),
                "hour": when.hour,
                "weekday": when.weekday(),
                "total": o.total,
                "items": sum(line.quantity for line in lines[o.id]),
                "who": _identity(o.phone, o.email, o.id),
                "delivery": o.delivery_method,
                "place": (o.country, _tidy(o.region), _tidy(o.city)),
                "cart": carts.get(o.id),
                "lines": [
                    (line.product_slug, line.quantity, line.unit_price * line.quantity - line.discount)
                    for line in lines[o.id]
                ],
            }
        )
    refunds = [(local(e.created_at, zone).date(), e.value) for e in rows if e.name == "refund"]
    world = World(zone, list(visits.values()), orders, {}, refunds)
    world.refund_orders = [(local(e.created_at, zone).date(), e.value, e.order_id) for e in rows if e.name == "refund"]
    for order in orders:
        candidates = [
            v
            for v in world.visits
            if v.day == order["day"]
            and order["cart"] in v.carts
            and v.first <= order["created_at"] + timedelta(seconds=60)
        ]
        if candidates:
            world.owners[order["id"]] = max(candidates, key=lambda v: ("begin_checkout" in v.names, v.first, v.key))
    return world


def _identity(phone: str, email: str, order_id: int) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if 6 <= len(digits) <= 15:
        return "tel:" + digits
    return "mail:" + email.strip().lower() if email and email.strip() else f"order:{order_id}"


def _tidy(text: str) -> str:
    words = " ".join((text or "").split())
    return words.title() if words and (words.islower() or words.isupper()) else words


def overview(world: World, start: date, end: date) -> dict:
    visits = world.visits_in(start, end)
    per_day_visitors = defaultdict(set)
    for v in visits:
        if v.visitor:
            per_day_visitors[v.day].add(v.visitor)
    sales = world.sales(start, end)
    return {
        "sessions": len(visits),
        "visitors": sum(len(s) for s in per_day_visitors.values()),
        "page_views": sum(v.names.count("page_view") for v in visits),
        "orders": len(sales),
        "revenue": sum(o["total"] for o in sales),
        "items": sum(o["items"] for o in sales),
        "refunds": sum(amount for day, amount in world.refunds if start <= day <= end),
    }


def funnel(world: World, start: date, end: date) -> list[int]:
    visits = world.visits_in(start, end)
    paid = {id(world.owners[o["id"]]) for o in world.sales(start, end) if o["id"] in world.owners}
    return [
        sum(1 for v in visits if v.viewed),
        sum(1 for v in visits if v.added),
        sum(1 for v in visits if "begin_checkout" in v.names),
        len(paid),
    ]


def products(world: World, start: date, end: date) -> dict[str, dict]:
    result: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    dwell_values = defaultdict(list)
    viewers = defaultdict(set)
    for v in world.visits_in(start, end):
        for slug, n in v.viewed.items():
            result[slug]["views"] += n
            result[slug]["view_sessions"] += 1
            if v.visitor:
                viewers[slug].add((v.day, v.visitor))
        for slug, ms in v.dwell.items():
            dwell_values[slug].append(ms)
        for slug in v.added:
            result[slug]["cart_sessions"] += 1
            result[slug]["checkout_sessions"] += "begin_checkout" in v.names
    for slug, values in dwell_values.items():
        result[slug]["dwell_total_ms"] = sum(values)
        result[slug]["dwell_sessions"] = len(values)
        result[slug]["median"] = round(statistics.median(values))
    for slug, who in viewers.items():
        result[slug]["viewers"] = len(who)
    for order in world.sales(start, end):
        for slug in {s for s, _q, _t in order["lines"]}:
            result[slug]["orders"] += 1
        for slug, quantity, total in order["lines"]:
            result[slug]["units"] += quantity
            result[slug]["revenue"] += total
    return {slug: dict(values) for slug, values in result.items()}


def interest(world: World, start: date, end: date) -> dict[str, dict]:
    result: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for v in world.visits_in(start, end):
        cart = v.carts[-1] if v.carts else None
        for slug in set(v.dwell) | set(v.added_units):
            dwell, units = v.dwell.get(slug, 0), v.added_units.get(slug, 0)
            if dwell < LONG_DWELL_MS and not units:
                continue
            bought = cart is not None and any(
                o["cart"] == cart
                and o["status"] in SALE
                and o["created_at"] >= v.first
                and slug in {s for s, _q, _t in o["lines"]}
                for o in world.orders
            )
            if bought:
                continue
            result[slug]["sessions"] += 1
            result[slug]["long_dwell"] += dwell >= LONG_DWELL_MS
            result[slug]["carted"] += units > 0
            result[slug]["cart_units"] += units
            result[slug]["dwell_total_ms"] += dwell
    return {slug: dict(values) for slug, values in result.items()}


def heatmap(world: World, start: date, end: date) -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    for order in world.sales(start, end):
        grid[order["weekday"]][order["hour"]] += 1
    return grid


def customers(world: World, start: date, end: date) -> dict[str, tuple[int, int, date]]:
    """identity -> (orders, revenue, last order day)."""
    result: dict[str, list] = {}
    for order in world.sales(start, end):
        entry = result.setdefault(order["who"], [0, 0, order["day"]])
        entry[0] += 1
        entry[1] += order["total"]
        entry[2] = max(entry[2], order["day"])
    return {who: tuple(values) for who, values in result.items()}


def places(world: World, start: date, end: date) -> tuple[Counter, Counter, tuple[int, int], Counter]:
    """Orders per country and per (country, region, city) for deliveries; pickups (orders, revenue),
    and pickup revenue per store name (None: no store recorded)."""
    store_of = dict(
        db.session.execute(select(OrderStore.order_id, Store.name).join(Store, Store.id == OrderStore.store_id)).all()
    )
    countries, cities, stores = Counter(), Counter(), Counter()
    pickups = [0, 0]
    for order in world.sales(start, end):
        if order["delivery"] == "pickup":
            pickups[0] += 1
            pickups[1] += order["total"]
            stores[store_of.get(order["id"])] += order["total"]
            continue
        countries[order["place"][0]] += 1
        cities[order["place"]] += 1
    return countries, cities, tuple(pickups), stores


def sources(world: World, start: date, end: date) -> dict[str, tuple[int, int, int]]:
    """source -> (sessions, orders, revenue)."""
    result: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for v in world.visits_in(start, end):
        result[v.source or "direct"][0] += 1
    for order in world.sales(start, end):
        owner = world.owners.get(order["id"])
        label = (owner.source or "direct") if owner else "untracked"
        result[label][1] += 1
        result[label][2] += order["total"]
    return {label: tuple(values) for label, values in result.items()}


# --- Filtered reports: one product, one category or one seller (reports/filters.py) -------------


@dataclass(frozen=True)
class Pick:
    """A report filter as the brute force reads it: product slugs, or a seller's code and credited orders."""

    slugs: frozenset[str] = frozenset()
    code: str | None = None
    credited: frozenset[int] = frozenset()

    @property
    def by_lines(self) -> bool:
        return self.code is None

    def wants(self, slug: str) -> bool:
        return slug in self.slugs if self.by_lines else True

    def order(self, order: dict) -> bool:
        if self.by_lines:
            return any(slug in self.slugs for slug, _q, _t in order["lines"])
        return order["id"] in self.credited

    def amount(self, order: dict) -> int:
        """The matching lines' amounts (product, category), or the whole total (seller)."""
        return sum(t for s, _q, t in order["lines"] if s in self.slugs) if self.by_lines else order["total"]

    def units(self, order: dict) -> int:
        return sum(q for s, q, _t in order["lines"] if s in self.slugs) if self.by_lines else order["items"]

    def visit(self, v: Visit) -> bool:
        if self.by_lines:
            return bool(self.slugs & (set(v.viewed) | set(v.dwell) | set(v.added)))
        return v.ref == self.code


def picked_sales(world: World, pick: Pick, start: date, end: date) -> list[dict]:
    return [o for o in world.sales(start, end) if pick.order(o)]


def picked_visits(world: World, pick: Pick, start: date, end: date) -> list[Visit]:
    return [v for v in world.visits_in(start, end) if pick.visit(v)]


def picked_overview(world: World, pick: Pick, start: date, end: date) -> dict:
    visits = picked_visits(world, pick, start, end)
    sales = picked_sales(world, pick, start, end)
    matched = {o["id"] for o in world.orders if pick.order(o)}
    return {
        "sessions": len(visits),
        "visitors": len({(v.day, v.visitor) for v in visits if v.visitor}),
        "page_views": sum(v.names.count("page_view") for v in visits),
        "orders": len(sales),
        "revenue": sum(pick.amount(o) for o in sales),
        "items": sum(pick.units(o) for o in sales),
        "refunds": sum(a for day, a, order in world.refund_orders if start <= day <= end and order in matched),
    }


def picked_funnel(world: World, pick: Pick, start: date, end: date) -> list[int]:
    visits = picked_visits(world, pick, start, end)
    viewed = [v for v in visits if any(pick.wants(s) for s in v.viewed)]
    added = [v for v in visits if any(pick.wants(s) for s in v.added)]
    owners = {id(world.owners[o["id"]]) for o in picked_sales(world, pick, start, end) if o["id"] in world.owners}
    return [len(viewed), len(added), sum(1 for v in added if "begin_checkout" in v.names), len(owners)]


def picked_heatmap(world: World, pick: Pick, start: date, end: date) -> tuple[list[list[int]], list[list[int]]]:
    orders, revenue = [[0] * 24 for _ in range(7)], [[0] * 24 for _ in range(7)]
    for order in picked_sales(world, pick, start, end):
        orders[order["weekday"]][order["hour"]] += 1
        revenue[order["weekday"]][order["hour"]] += pick.amount(order)
    return orders, revenue


def picked_customers(world: World, pick: Pick, start: date, end: date) -> dict[str, tuple[int, int, date]]:
    result: dict[str, list] = {}
    for order in picked_sales(world, pick, start, end):
        entry = result.setdefault(order["who"], [0, 0, order["day"]])
        entry[0] += 1
        entry[1] += pick.amount(order)
        entry[2] = max(entry[2], order["day"])
    return {who: tuple(values) for who, values in result.items()}


def picked_places(world: World, pick: Pick, start: date, end: date) -> tuple[Counter, Counter, tuple[int, int]]:
    """Revenue per country and orders per (country, region, city) of deliveries; pickups (orders, revenue)."""
    countries, cities, pickups = Counter(), Counter(), [0, 0]
    for order in picked_sales(world, pick, start, end):
        if order["delivery"] == "pickup":
            pickups[0] += 1
            pickups[1] += pick.amount(order)
            continue
        countries[order["place"][0]] += pick.amount(order)
        cities[order["place"]] += 1
    return countries, cities, tuple(pickups)


def picked_sources(world: World, pick: Pick, start: date, end: date) -> dict[str, tuple[int, int, int]]:
    result: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for v in picked_visits(world, pick, start, end):
        result[v.source or "direct"][0] += 1
    for order in picked_sales(world, pick, start, end):
        owner = world.owners.get(order["id"])
        label = (owner.source or "direct") if owner else "untracked"
        result[label][1] += 1
        result[label][2] += pick.amount(order)
    return {label: tuple(values) for label, values in result.items()}


def picked_products(world: World, pick: Pick, start: date, end: date) -> dict[str, dict]:
    """Per product: the matching sessions' views, dwell and carts; the matching orders' lines."""
    result: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    viewers, dwell = defaultdict(set), defaultdict(list)
    for v in picked_visits(world, pick, start, end):
        for slug, n in v.viewed.items():
            if pick.wants(slug):
                result[slug]["views"] += n
                result[slug]["view_sessions"] += 1
                if v.visitor:
                    viewers[slug].add((v.day, v.visitor))
        for slug, ms in v.dwell.items():
            if pick.wants(slug):
                dwell[slug].append(ms)
        for slug in v.added:
            if pick.wants(slug):
                result[slug]["cart_sessions"] += 1
                result[slug]["checkout_sessions"] += "begin_checkout" in v.names
    for slug, values in dwell.items():
        result[slug]["dwell_total_ms"] = sum(values)
        result[slug]["median"] = round(statistics.median(values))
    for slug, who in viewers.items():
        result[slug]["viewers"] = len(who)
    for order in picked_sales(world, pick, start, end):
        for slug in {s for s, _q, _t in order["lines"] if pick.wants(s)}:
            result[slug]["orders"] += 1
        for slug, quantity, total in order["lines"]:
            if pick.wants(slug):
                result[slug]["units"] += quantity
                result[slug]["revenue"] += total
    return {slug: dict(values) for slug, values in result.items()}


def picked_interest(world: World, pick: Pick, start: date, end: date) -> dict[str, int]:
    """Interested-but-did-not-buy sessions per product: the product's / category's, or from the seller's link."""
    keep = {v.key for v in world.visits_in(start, end) if pick.by_lines or (v.source == "ref" and v.ref == pick.code)}
    result = Counter()
    for v in world.visits_in(start, end):
        if v.key not in keep:
            continue
        sub = World(world.zone, [v], world.orders, world.owners, [])
        for slug, figures in interest(sub, start, end).items():
            if pick.wants(slug):
                result[slug] += figures["sessions"]
    return dict(result)
