"""Report read models: each section's figures for a date range, read from the rollups.

Reports never scan the raw events: traffic, funnel, products and interest come from the
rollup_* tables (one row per day, day x product ...), sales from report_orders (one row per
order, with shop-time day/hour and a customer key). Order figures count sale orders only
(orders.rules.SALE_STATUSES): unpaid card orders and cancelled ones are not sales.
"""

from __future__ import annotations

import gc
import heapq
from array import array
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    LargeBinary,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from ..analytics import interest_totals
from ..analytics import rollup_rules as rr
from ..analytics.models import (
    ReportOrder,
    RollupDay,
    RollupInterest,
    RollupInterestTotal,
    RollupProduct,
    RollupSource,
    RollupState,
)
from ..catalog.models import Product
from ..orders.models import OrderLine
from ..reviews.service import ratings_for
from ..sellers.models import CommissionEntry
from ..stores.models import OrderStore, Store
from . import filtered, rules
from .filters import Scope
from .rules import DateRange

DAY_FIELDS = ("sessions", "visitors", "page_views", "product_views", "orders", "revenue", "items", "refunds")


@dataclass(frozen=True)
class Freshness:
    """How far the rollups have got (shown above every report)."""

    complete_through: date | None
    today_refreshed_at: object | None


def freshness(session: Session) -> Freshness:
    """The rollup watermark and the last refresh of today."""
    state = session.get(RollupState, 1)
    return Freshness(state.complete_through, state.today_refreshed_at) if state else Freshness(None, None)


@dataclass
class Overview:
    """Totals over the range and one row per day for the trend."""

    totals: dict
    daily: list[dict]

    @property
    def conversion(self) -> float | None:
        """Sale orders per session."""
        return rules.rate(self.totals["orders"], self.totals["sessions"])

    @property
    def net_revenue(self) -> int:
        """Revenue less the money given back in the range (minor units)."""
        return self.totals["revenue"] - self.totals["refunds"]

    @property
    def average_order(self) -> int | None:
        """Average order value (minor units)."""
        return rules.per(self.totals["revenue"], self.totals["orders"])


def overview(session: Session, span: DateRange, scope: Scope | None = None) -> Overview:
    """Visitors, sessions, orders and revenue over the range, and per day (missing days are zero).

    Filtered: sessions and views of the matching sessions, the matching orders and their amounts,
    and the refunds of those orders.
    """
    if scope is not None:
        return _overview_filtered(session, span, scope)
    rows = session.execute(
        select(RollupDay.day, *(getattr(RollupDay, f) for f in DAY_FIELDS)).where(
            RollupDay.day.between(span.start, span.end)
        )
    ).all()
    by_day = {row.day: row for row in rows}
    daily = []
    for day in span.dates():
        row = by_day.get(day)
        daily.append({"day": day, **{f: (getattr(row, f) if row else 0) for f in DAY_FIELDS}})
    totals = {f: sum(d[f] for d in daily) for f in DAY_FIELDS}
    return Overview(totals, daily)


def _overview_filtered(session: Session, span: DateRange, scope: Scope) -> Overview:
    """The overview of the matching sessions and orders."""
    orders, amount, units = matched_orders(scope)
    sales = {
        day: (int(n), int(money), int(items))
        for day, n, money, items in session.execute(
            select(ReportOrder.day, func.count(), _whole(func.sum(amount)), _whole(func.sum(units)))
            .select_from(orders)
            .where(*_sales(span))
            .group_by(ReportOrder.day)
        )
    }
    behaviour = filtered.behaviour(session, span, scope, orders, amount)
    refunds = filtered.refunds(session, span, scope, orders)
    daily = []
    for day in span.dates():
        n, money, items = sales.get(day, (0, 0, 0))
        seen = behaviour.days.get(day, {})
        traffic = {f: seen.get(f, 0) for f in ("sessions", "visitors", "page_views", "product_views")}
        daily.append({"day": day, **traffic, "orders": n, "revenue": money, "items": items})
        daily[-1]["refunds"] = refunds.get(day, 0)
    totals = {f: sum(d[f] for d in daily) for f in DAY_FIELDS}
    return Overview(totals, daily)


def funnel(session: Session, span: DateRange, scope: Scope | None = None) -> list[rules.FunnelStep]:
    """Sessions that viewed a product -> added to cart -> began checkout -> placed a sale order."""
    keys = ("view_sessions", "cart_sessions", "checkout_sessions", "paid_sessions")
    if scope is not None:
        orders, amount, _units = matched_orders(scope)
        totals = filtered.behaviour(session, span, scope, orders, amount).totals
        return rules.funnel([(key, totals.get(key, 0)) for key in keys])
    row = session.execute(
        select(*(func.coalesce(func.sum(getattr(RollupDay, k)), 0) for k in keys)).where(
            RollupDay.day.between(span.start, span.end)
        )
    ).one()
    return rules.funnel([(key, int(value)) for key, value in zip(keys, row)])


@dataclass
class ProductFigures:
    """One product over the range."""

    slug: str
    title: str
    views: int
    viewers: int
    view_sessions: int
    dwell_sessions: int
    dwell_total_ms: int
    median_dwell_ms: int | None
    cart_adds: int
    cart_sessions: int
    checkout_sessions: int
    orders: int
    units: int
    revenue: int
    rating: Decimal | None = None  # the published reviews' average (reviews.service), None without any
    reviews: int = 0  # how many published reviews

    @property
    def average_dwell_ms(self) -> int | None:
        return rules.per(self.dwell_total_ms, self.dwell_sessions)

    @property
    def cart_rate(self) -> float | None:
        """Sessions that added it to the cart, per session that viewed it."""
        return rules.rate(self.cart_sessions, self.view_sessions)

    @property
    def conversion(self) -> float | None:
        """Sale orders with it, per session that viewed it."""
        return rules.rate(self.orders, self.view_sessions)


SUMMED = (
    "views",
    "viewers",
    "view_sessions",
    "dwell_sessions",
    "dwell_total_ms",
    "cart_adds",
    "cart_sessions",
    "checkout_sessions",
    "orders",
    "units",
    "revenue",
)


def products(session: Session, span: DateRange, scope: Scope | None = None) -> list[ProductFigures]:
    """Every product seen or sold in the range, most viewed first; medians over every session.

    Filtered by a product or category: that product's / the category's rollup rows (a product's
    figures are its own sessions' anyway). By a seller: recomputed from the seller's sessions
    and orders (filtered.behaviour).
    """
    titles = product_titles(session)
    if scope is not None and not scope.by_lines:
        result = _seller_products(session, span, scope, titles)
        _add_ratings(session, result)
        return sorted(result, key=lambda p: (-p.views, -p.revenue, p.slug))
    in_range = [RollupProduct.day.between(span.start, span.end)]
    if scope is not None:
        in_range.append(RollupProduct.product_slug.in_(scope.slugs))
    sums = session.execute(
        select(RollupProduct.product_slug, *(func.sum(getattr(RollupProduct, f)) for f in SUMMED))
        .where(*in_range)
        .group_by(RollupProduct.product_slug)
    ).all()
    medians = _dwell_medians(session, in_range)
    result = []
    for slug, *summed in sums:
        n = [int(v or 0) for v in summed]
        result.append(ProductFigures(slug, titles.get(slug, slug), *n[:5], medians.get(slug), *n[5:]))
    _add_ratings(session, result)
    return sorted(result, key=lambda p: (-p.views, -p.revenue, p.slug))


def _dwell_medians(session: Session, in_range: list) -> dict[str, int]:
    """Each product's true median dwell over the rows in range: the median of every session's value.

    A product with one day in range: that day's stored median. With several: each day's
    histogram (a short row's values instead) is read first; the buckets that hold the middle of
    all the days' values (rules.median_buckets) are the only slice of each day's values then
    read (substr, by offset; one query for all the products), and rules.merged_median picks the
    middle from those slices.
    """
    first = case(
        (RollupProduct.dwell_sessions > rr.HISTOGRAM_FROM, RollupProduct.dwell_histogram),
        else_=RollupProduct.dwell_values,
    )
    read = select(
        RollupProduct.product_slug,
        RollupProduct.day,
        RollupProduct.dwell_sessions,
        RollupProduct.dwell_median_ms,
        first,
    ).where(*in_range, RollupProduct.dwell_sessions > 0)
    days: dict[str, dict[date, rules.DwellDay]] = defaultdict(dict)
    medians = {}
    for slug, day, count, median, blob in session.execute(read):
        medians[slug] = median  # the answer for a product with one day in range
        decoded = rr.decode_values(blob)
        days[slug][day] = (
            rules.DwellDay(count, histogram=decoded)
            if count > rr.HISTOGRAM_FROM
            else rules.DwellDay(count, values=decoded)
        )
    several = {slug: dwell for slug, dwell in days.items() if len(dwell) > 1}
    bounds = {}  # (slug, day) -> the day's values in the product's middle buckets: (from, to)
    for slug, dwell in several.items():
        first_bucket, last_bucket = rules.median_buckets(list(dwell.values()))
        for day, d in dwell.items():
            bounds[slug, day] = (d.below(first_bucket), d.below(last_bucket + 1))
    stored = {key: (low, high) for key, (low, high) in bounds.items() if several[key[0]][key[1]].values is None}
    sliced = _stored_slices(session, {key: b for key, b in stored.items() if b[1] > b[0]})
    for slug, dwell in several.items():
        parts = [
            sliced.get((slug, day), ()) if d.values is None else d.values[slice(*bounds[slug, day])]
            for day, d in dwell.items()
        ]
        skipped = sum(bounds[slug, day][0] for day in dwell)
        medians[slug] = rules.merged_median(parts, total=sum(d.count for d in dwell.values()), skipped=skipped)
    return medians


SLICES_AT_ONCE = 1000  # rows a query slices (its parameters: a few per row)


def _stored_slices(session: Session, wanted: dict[tuple[str, date], tuple[int, int]]) -> dict[tuple[str, date], array]:
    """Values from..to of these (product, day) rows' stored dwell values: substr() by offset, in a few queries."""
    result = {}
    keys = sorted(wanted)
    for index in range(0, len(keys), SLICES_AT_ONCE):
        chunk = {key: wanted[key] for key in keys[index : index + SLICES_AT_ONCE]}
        by_product: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
        for (slug, day), bounds in chunk.items():
            by_product[slug][day] = bounds
        start = _per_row(by_product, lambda low, _high: low * rr.DWELL_WIDTH + 1)
        length = _per_row(by_product, lambda low, high: (high - low) * rr.DWELL_WIDTH)
        query = select(
            RollupProduct.product_slug,
            RollupProduct.day,
            func.substr(RollupProduct.dwell_values, start, length, type_=LargeBinary),
        ).where(tuple_(RollupProduct.product_slug, RollupProduct.day).in_(list(chunk)))
        result.update({(slug, day): rr.decode_values(blob) for slug, day, blob in session.execute(query)})
    return result


def _per_row(by_product: dict[str, dict[date, tuple[int, int]]], offset) -> ColumnElement:
    """CASE product WHEN .. THEN (CASE day WHEN .. THEN offset(from, to) ..) ..: a number per row."""
    per_day = {
        slug: case({day: offset(*bounds) for day, bounds in days.items()}, value=RollupProduct.day)
        for slug, days in by_product.items()
    }
    return cast(case(per_day, value=RollupProduct.product_slug), Integer)


def _add_ratings(session: Session, figures: list[ProductFigures]) -> None:
    """Each product's published rating and review count, read from the reviews (today's, not the range's)."""
    ids = dict(session.execute(select(Product.slug, Product.id)).all())
    ratings = ratings_for(session, [ids[f.slug] for f in figures if f.slug in ids])
    for item in figures:
        rating = ratings.get(ids.get(item.slug, -1))
        if rating is not None:
            item.rating, item.reviews = rating.average, rating.count


def _seller_products(session: Session, span: DateRange, scope: Scope, titles: dict) -> list[ProductFigures]:
    """Per product: the seller's sessions' views, dwell and carts, and the lines of the seller's orders."""
    orders, amount, _units = matched_orders(scope)
    behaviour = filtered.behaviour(session, span, scope, orders, amount)
    sold = session.execute(
        select(
            OrderLine.product_slug,
            func.count(func.distinct(OrderLine.order_id)),
            _whole(func.sum(OrderLine.quantity)),
            _whole(func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount)),  # after codes
        )
        .select_from(orders)
        .join(OrderLine, OrderLine.order_id == ReportOrder.order_id)
        .where(*_sales(span))
        .group_by(OrderLine.product_slug)
    ).all()
    sales = {slug: (int(n), int(u), int(r)) for slug, n, u, r in sold}
    result = []
    for slug in sorted(set(behaviour.products) | set(sales)):
        seen = behaviour.products.get(slug, {})
        dwell = seen.get("dwell", [])
        result.append(
            ProductFigures(
                slug,
                titles.get(slug, slug),
                *(seen.get(k, 0) for k in ("views", "viewers", "view_sessions")),
                len(dwell),
                sum(dwell),
                rules.merged_median([sorted(dwell)]),
                *(seen.get(k, 0) for k in ("cart_adds", "cart_sessions", "checkout_sessions")),
                *sales.get(slug, (0, 0, 0)),
            )
        )
    return result


def product_ids(session: Session) -> dict[str, int]:
    """slug -> id of every product (the products table links each row to its drill-down)."""
    return dict(session.execute(select(Product.slug, Product.id)).all())


def product_titles(session: Session) -> dict[str, str]:
    """slug -> current title of every product (rollups keep slugs only)."""
    return dict(session.execute(select(Product.slug, Product.title)).all())


@dataclass
class Interest:
    """Sessions interested in one product that did not buy it (in the same cart, later on)."""

    slug: str
    title: str
    sessions: int
    visitors: int
    long_dwell: int
    carted: int
    cart_units: int
    dwell_total_ms: int


def _not_bought():
    """True for an interest row whose cart never became a sale order with that product (later on).

    The rollup keeps the flag (analytics.rollup.mark_bought): one column test instead of a
    probe of the orders per row.
    """
    return RollupInterest.bought.is_(False)


def _interest_scope(scope: Scope | None) -> tuple:
    """Interest rows of the product / category's products, or of sessions from the seller's link."""
    if scope is None:
        return ()
    if scope.by_lines:
        return (RollupInterest.product_slug.in_(scope.slugs),)
    return (RollupInterest.source == "ref", RollupInterest.ref == scope.seller_code)


def interest(session: Session, span: DateRange, scope: Scope | None = None) -> list[Interest]:
    """Per product: sessions with a long dwell or a cart add on it and no purchase of it.

    Days with interest totals (analytics.interest_totals: products x days rows) are read from
    them, less their bought rows (few, read live); other days (not built yet, or a seller
    filter, which needs each session's source) sum the sessions' rows. Visitors are counted per
    day and added up (visitor ids rotate daily), as on the overview.
    """
    figures: dict[str, list[int]] = defaultdict(lambda: [0] * len(interest_totals.FIGURES))
    built = [] if scope is not None and not scope.by_lines else _built_days(session, span)
    live = [RollupInterest.day.between(span.start, span.end), *_interest_scope(scope)]
    if built:
        _add_rows(figures, session.execute(_totals(span, scope).group_by(RollupInterestTotal.product_slug)), 1)
        counted = interest_totals.sums()  # the visitors apart (below): a bought row may share its visitor
        bought = select(RollupInterest.product_slug, counted[0], literal(0), *counted[2:]).where(
            *live,
            RollupInterest.day.in_(built),
            RollupInterest.bought,  # bare, as the partial index says it
        )
        _add_rows(figures, session.execute(bought.group_by(RollupInterest.product_slug)), -1)
        for slug, visitors in session.execute(_visitors_only_bought(live, built)):
            figures[slug][1] += int(visitors)  # those counted in the totals but bought in every session
        rolled_up = select(RollupDay.day).where(RollupDay.day.between(span.start, span.end))
        rest = sorted(set(session.scalars(rolled_up)) - set(built))  # interest rows come with their day's rollup
        if not rest:
            return _interest_rows(session, figures)
        live.append(RollupInterest.day.in_(rest))
    per_day = (
        select(RollupInterest.product_slug, *interest_totals.sums())
        .where(*live, _not_bought())
        .group_by(RollupInterest.day, RollupInterest.product_slug)
    )
    _add_rows(figures, session.execute(per_day), 1)
    return _interest_rows(session, figures)


def _interest_rows(session: Session, figures: dict[str, list[int]]) -> list[Interest]:
    """The products with an interested session that did not buy, most sessions first."""
    titles = product_titles(session)
    result = [Interest(slug, titles.get(slug, slug), *values) for slug, values in figures.items() if values[0] > 0]
    return sorted(result, key=lambda r: (-r.sessions, r.slug))


def _built_days(session: Session, span: DateRange) -> list[date]:
    """The days of the range whose interest totals are built."""
    total = RollupInterestTotal
    marked = select(total.day).where(
        total.product_slug == interest_totals.MARKER, total.day.between(span.start, span.end)
    )
    return list(session.scalars(marked))


def _totals(span: DateRange, scope: Scope | None):
    """The built days' totals per product (the marker rows left out)."""
    total = RollupInterestTotal
    where = [total.day.between(span.start, span.end), total.product_slug != interest_totals.MARKER]
    if scope is not None:
        where.append(total.product_slug.in_(scope.slugs))
    return select(total.product_slug, *(func.sum(getattr(total, f)) for f in interest_totals.FIGURES)).where(*where)


def _visitors_only_bought(live: list, built: list[date]):
    """Per product, minus the visitors of a built day all of whose sessions on it bought it.

    The totals count a visitor once per day and product; the report counts only those with a
    session that did not buy. Read from the bought rows only (few), probing the others by index.
    """
    other = aliased(RollupInterest)
    not_bought_too = exists().where(
        other.day == RollupInterest.day,
        other.product_slug == RollupInterest.product_slug,
        other.visitor_id == RollupInterest.visitor_id,
        other.bought.is_(False),
    )
    visitors = (
        select(RollupInterest.day, RollupInterest.product_slug, RollupInterest.visitor_id)
        .where(*live, RollupInterest.day.in_(built), RollupInterest.bought)
        .where(RollupInterest.visitor_id.is_not(None), ~not_bought_too)
        .distinct()
        .subquery()
    )
    return select(visitors.c.product_slug, -func.count()).group_by(visitors.c.product_slug)


def _add_rows(figures: dict[str, list[int]], rows, sign: int) -> None:
    """Add (or subtract) rows of (slug, *figures) into `figures`."""
    for slug, *values in rows:
        totals = figures[slug]
        for index, value in enumerate(values):
            totals[index] += sign * int(value or 0)


def interest_sessions(
    session: Session, span: DateRange, slug: str, limit: int = 500, scope: Scope | None = None
) -> list[dict]:
    """The interested-but-did-not-buy sessions of one product, longest dwell first."""
    rows = session.execute(
        select(
            RollupInterest.day,
            RollupInterest.session_key,
            RollupInterest.dwell_ms,
            RollupInterest.cart_units,
            RollupInterest.source,
            RollupInterest.ref,
        )
        .where(
            RollupInterest.day.between(span.start, span.end),
            RollupInterest.product_slug == slug[:120],
            _not_bought(),
            *_interest_scope(scope),
        )
        .order_by(RollupInterest.dwell_ms.desc(), RollupInterest.day, RollupInterest.session_key)
        .limit(limit)
    ).all()
    return [row._asdict() for row in rows]


def _sales(span: DateRange):
    """Sale orders of the range."""
    return (ReportOrder.is_sale.is_(True), ReportOrder.day.between(span.start, span.end))


def scoped_order_ids(scope: Scope | None):
    """A SELECT of the ids of the orders a filtered report counts (None without a filter)."""
    if scope is None:
        return None
    joined, _amount, _units = matched_orders(scope)
    return select(ReportOrder.order_id).select_from(joined)


def matched_orders(scope: Scope | None):
    """(FROM clause, amount, units) of the orders a report counts.

    No filter: report_orders with their totals. A product or category: the orders with a line
    of it, joined to the sum of those lines (amount, units: no shipping, no other products).
    A seller: the orders credited to them (commission_entries), with their totals.
    """
    if scope is None:
        return ReportOrder.__table__, ReportOrder.total, ReportOrder.items
    if not scope.by_lines:
        credited = select(CommissionEntry.order_id).where(CommissionEntry.seller_id == scope.id).subquery()
        joined = ReportOrder.__table__.join(credited, credited.c.order_id == ReportOrder.order_id)
        return joined, ReportOrder.total, ReportOrder.items
    lines = (
        select(
            OrderLine.order_id.label("order_id"),
            func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount).label("amount"),
            func.sum(OrderLine.quantity).label("units"),
        )
        .where(OrderLine.product_slug.in_(scope.slugs))
        .group_by(OrderLine.order_id)
        .subquery()
    )
    joined = ReportOrder.__table__.join(lines, lines.c.order_id == ReportOrder.order_id)
    return joined, lines.c.amount, lines.c.units


def orders_heatmap(
    session: Session, span: DateRange, scope: Scope | None = None
) -> tuple[list[list[int]], list[list[int]]]:
    """Sale orders and revenue by weekday (Monday first) x hour, in the shop's time zone."""
    orders, amount, _units = matched_orders(scope)
    rows = session.execute(
        select(ReportOrder.weekday, ReportOrder.hour, func.count(), _whole(func.sum(amount)))
        .select_from(orders)
        .where(*_sales(span))
        .group_by(ReportOrder.weekday, ReportOrder.hour)
    ).all()
    return rules.heatmap((w, h, n) for w, h, n, _r in rows), rules.heatmap((w, h, r) for w, h, _n, r in rows)


@dataclass
class Customers:
    """How often and how much: customers, repeat rate, distributions and RFM segments."""

    count: int
    orders: int
    repeat_rate: float | None
    frequency: list[tuple[str, int]]
    order_values: list[rules.Bucket]
    segments: list[tuple[str, int, int]]
    stats: list[rules.CustomerStats] = field(default_factory=list)  # in no particular order
    as_of: date | None = None
    thresholds: tuple[int, int] = (0, 0)

    @cached_property
    def scored(self) -> list[rules.Rfm]:
        """Every customer's RFM scores (in no particular order; built only when asked for)."""
        return rules.rfm(self.stats, self.as_of, self.thresholds)

    def biggest(self, limit: int | None = None) -> list[rules.Rfm]:
        """Customers by revenue, biggest first (the first `limit` only: only those are scored)."""
        if limit:
            return rules.rfm(heapq.nsmallest(limit, self.stats, key=_by_revenue), self.as_of, self.thresholds)
        return sorted(self.scored, key=_by_revenue)


def _by_revenue(row: rules.CustomerStats | rules.Rfm) -> tuple:
    return (-row.revenue, row.key)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: building tens of thousands of plain tuples (which hold no
    cycles) otherwise triggers full collections that cost more than the tuples themselves."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _driver_rows(conn, stmt) -> list[tuple]:
    """Every row as the driver's plain tuple: no SQLAlchemy Row per row (tens of thousands here).

    Only for columns without result processing (ints, text, the raw day).
    """
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()  # fetchall: one row at a time is slow on psycopg
    finally:
        result.close()


def _as_date(value) -> date:
    """A date from the driver: a date already, or ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _whole(total):
    """A sum as an integer column: PostgreSQL's sum(bigint) is numeric (a Decimal per row otherwise)."""
    return cast(total, BigInteger)


def customers(session: Session, span: DateRange, scope: Scope | None = None) -> Customers:
    """Customers (by normalised phone, else email) of the range with their RFM scores.

    Tens of thousands of customers over 90 days: Core rows (no ORM loading), and the page's
    figures (segment counts, the top 50) without building an RFM row per customer.
    """
    with _cycle_collector_paused():  # tens of thousands of tuples, no cycles: no GC passes over them
        conn = session.connection()
        # The last day raw (SQLite's ISO text, PostgreSQL's date), converted once per distinct day:
        # SQLAlchemy's per-row date parsing on SQLite cost more than the query.
        last_day = type_coerce(func.max(ReportOrder.day), String)
        orders, amount, _units = matched_orders(scope)
        grouped = _driver_rows(
            conn,
            select(ReportOrder.customer_key, func.count(), _whole(func.sum(amount)), last_day)
            .select_from(orders)
            .where(*_sales(span))
            .group_by(ReportOrder.customer_key),
        )
        if grouped and isinstance(grouped[0][3], date):  # PostgreSQL: the driver made dates already
            stats = list(map(rules.CustomerStats._make, grouped))
        else:  # SQLite's ISO text, converted once per distinct day
            days: dict = {}
            stats = [
                rules.CustomerStats(key, n, revenue, days.get(day) or days.setdefault(day, _as_date(day)))
                for key, n, revenue, day in grouped
            ]
        histogram = rules.orders_histogram(stats)
        value = _whole(amount) if scope is not None else amount
        totals = dict(
            conn.execute(select(value, func.count()).select_from(orders).where(*_sales(span)).group_by(value)).all()
        )
        thresholds = rules.money_thresholds([c.revenue for c in stats])
        return Customers(
            count=len(stats),
            orders=sum(totals.values()),
            repeat_rate=rules.repeat_rate(histogram),
            frequency=rules.frequency_distribution(histogram),
            order_values=rules.histogram_of_counts(totals),
            segments=rules.rfm_segment_counts(stats, span.end, thresholds),
            stats=stats,
            as_of=span.end,
            thresholds=thresholds,
        )


@dataclass
class Places:
    """Sale orders and revenue by country and by city (deliveries), and pickups apart, by store."""

    countries: list[dict]
    cities: list[dict]
    pickups: dict
    stores: list[dict] = field(default_factory=list)


def places(session: Session, span: DateRange, scope: Scope | None = None) -> Places:
    """Where the orders went, from the delivery addresses; pickups counted apart."""
    delivered = (*_sales(span), ReportOrder.delivery_method == "delivery")
    orders, amount, _units = matched_orders(scope)
    count, revenue = func.count(), _whole(func.sum(amount))
    cities = [
        {"country": c, "region": r, "city": city, "orders": int(n), "revenue": int(m)}
        for c, r, city, n, m in session.execute(
            select(ReportOrder.country, ReportOrder.region, ReportOrder.city, count, revenue)
            .select_from(orders)
            .where(*delivered)
            .group_by(ReportOrder.country, ReportOrder.region, ReportOrder.city)
        )
    ]
    countries: dict[str, dict] = {}
    for row in cities:
        entry = countries.setdefault(row["country"], {"country": row["country"], "orders": 0, "revenue": 0})
        entry["orders"] += row["orders"]
        entry["revenue"] += row["revenue"]
    stores = [
        {"store": name, "country": "", "orders": int(n), "revenue": int(m)}
        for _id, name, n, m in session.execute(
            select(Store.id, Store.name, count, revenue)
            .select_from(orders)
            .outerjoin(OrderStore, OrderStore.order_id == ReportOrder.order_id)
            .outerjoin(Store, Store.id == OrderStore.store_id)
            .where(*_sales(span), ReportOrder.delivery_method == "pickup")
            .group_by(Store.id, Store.name)
        )
    ]
    pickups = {"orders": sum(r["orders"] for r in stores), "revenue": sum(r["revenue"] for r in stores)}
    return Places(
        sorted(countries.values(), key=_biggest_first),
        sorted(cities, key=_biggest_first),
        pickups,
        sorted(stores, key=lambda r: (-r["orders"], -r["revenue"], r["store"] or "")),
    )


def _biggest_first(row: dict) -> tuple:
    return (-row["orders"], -row["revenue"], row["country"], row.get("region", ""), row.get("city", ""))


def sources(session: Session, span: DateRange, scope: Scope | None = None) -> list[dict]:
    """Sessions, sale orders and revenue per traffic source (orders by the session that placed them)."""
    if scope is not None:
        orders, amount, _units = matched_orders(scope)
        rows = filtered.behaviour(session, span, scope, orders, amount).source_rows()
    else:
        rows = _source_sums(session, span)
    result = [
        {"source": s, "sessions": int(n), "orders": int(o), "revenue": int(r), "conversion": rules.rate(o, n)}
        for s, n, o, r in rows
    ]
    return sorted(result, key=lambda r: (-r["sessions"], -r["orders"], r["source"]))


def _source_sums(session: Session, span: DateRange) -> list:
    """(source, sessions, orders, revenue) summed from the rollup."""
    return session.execute(
        select(RollupSource.source, func.sum(RollupSource.sessions), func.sum(RollupSource.orders))
        .add_columns(func.sum(RollupSource.revenue))
        .where(RollupSource.day.between(span.start, span.end))
        .group_by(RollupSource.source)
    ).all()
