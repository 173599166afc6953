"""Behaviour figures of a filtered report (sessions, funnel, sources, a seller's products), from raw events.

The rollups have no product or seller dimension for sessions, funnel and sources, and a
category's sessions cannot be added up from its products' rows (one session may view two of
them). So a filtered page reads the raw events, bounded: only the range's events of the
matching sessions (found with the (product_slug, created_at) index for products, the
created_at index otherwise), at most filters.MAX_FILTERED_DAYS days. Unfiltered pages never
come here and read the rollups as before.

The session rules are the rollup's own (analytics.rollup_rules: sessions_of,
attribute_orders), applied per shop day, so a filtered figure means what the unfiltered one
means, restricted:
- a matching session touched the product / a product of the category that day (viewed it,
  engaged with it, added it to the cart), or came through the seller's link (its ref code);
- funnel: matching sessions that viewed / added / added and began checkout (for a seller: any
  product), and the sessions that placed the matching sale orders;
- sources: matching sessions per source; the matching sale orders (with their amounts) by
  the source of the session that placed them, or "untracked".
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..analytics import rollup
from ..analytics import rollup_rules as rr
from ..analytics.models import Event, ReportOrder
from ..catalog.models import Product, Variant
from .filters import Scope
from .rules import DateRange

FUNNEL_KEYS = ("view_sessions", "cart_sessions", "checkout_sessions", "paid_sessions")


@dataclass
class Behaviour:
    """The matching sessions' figures: per day, per source and per product."""

    days: dict[date, dict[str, int]] = field(default_factory=dict)
    sources: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    products: dict[str, dict] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        """Every daily figure added up over the range."""
        result: dict[str, int] = defaultdict(int)
        for figures in self.days.values():
            for key, value in figures.items():
                result[key] += value
        return dict(result)

    def source_rows(self) -> list[tuple[str, int, int, int]]:
        """(source, sessions, orders, revenue) rows."""
        return [(source, *values) for source, values in sorted(self.sources.items())]


def _bounds(span: DateRange, scope: Scope) -> tuple:
    start, _end = rr.day_bounds(span.start, scope.zone)
    _start, end = rr.day_bounds(span.end, scope.zone)
    return Event.created_at >= start, Event.created_at < end


def _touching(scope: Scope):
    """The condition on an event that makes its session a matching one."""
    if not scope.by_lines:
        return Event.ref == scope.seller_code
    variants = select(Variant.id).join(Product, Variant.product_id == Product.id).where(Product.slug.in_(scope.slugs))
    return or_(Event.product_slug.in_(scope.slugs), Event.variant_id.in_(variants))


def _events(session: Session, span: DateRange, scope: Scope, orders) -> list:
    """Every event in the range of the sessions that touched the scope or carried a matching order's cart."""
    in_range = _bounds(span, scope)
    carts = (
        select(ReportOrder.cart_hash)
        .select_from(orders)
        .where(ReportOrder.is_sale.is_(True), ReportOrder.day.between(span.start, span.end))
        .where(ReportOrder.cart_hash.is_not(None))
    )
    # The carriers of a matching order's cart are loaded too: the order's owner is chosen among them.
    keyed = or_(_touching(scope), Event.cart_hash.in_(carts))
    sessions = select(Event.session_id).where(*in_range, keyed, Event.session_id.is_not(None))
    visitors = select(Event.visitor_id).where(*in_range, keyed, Event.session_id.is_(None))
    stmt = (
        select(*rollup.EVENT_COLUMNS)
        .where(
            *in_range,
            or_(
                Event.session_id.in_(sessions),
                and_(Event.session_id.is_(None), Event.visitor_id.in_(visitors)),
            ),
        )
        .order_by(Event.created_at, Event.id)
    )
    return [rr.EventRow._make(row) for row in session.connection().execute(stmt)]


def _sales(session: Session, span: DateRange, orders, amount) -> dict[date, list[tuple]]:
    """The matching sale orders per day: (OrderRow, amount)."""
    rows = session.execute(
        select(ReportOrder.order_id, ReportOrder.created_at, ReportOrder.cart_hash, ReportOrder.day, amount)
        .select_from(orders)
        .where(ReportOrder.is_sale.is_(True), ReportOrder.day.between(span.start, span.end))
        .order_by(ReportOrder.created_at, ReportOrder.order_id)
    )
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for order_id, created_at, cart, day, money in rows:
        by_day[day].append((rr.OrderRow(order_id, created_at, True, int(money), 0, cart), int(money)))
    return by_day


def behaviour(session: Session, span: DateRange, scope: Scope, orders, amount) -> Behaviour:
    """Sessions, funnel, sources and per-product views of the matching sessions, day by day."""
    events = _events(session, span, scope, orders)
    sales = _sales(session, span, orders, amount)
    slugs = rollup.variant_slugs(session)
    days = span.dates()
    starts = [rr.day_bounds(day, scope.zone)[0] for day in days]
    per_day: dict[int, list] = defaultdict(list)
    for event in events:
        per_day[bisect.bisect_right(starts, event.created_at) - 1].append(event)
    result = Behaviour()
    for index, day in enumerate(days):
        sessions = rr.sessions_of(per_day.get(index, ()), slugs)
        _fold_day(result, day, scope, sessions, sales.get(day, []))
    return result


def _wanted(scope: Scope):
    """Which product slugs count (all of them for a seller)."""
    chosen = frozenset(scope.slugs)
    return (lambda slug: slug in chosen) if scope.by_lines else (lambda _slug: True)


def _fold_day(result: Behaviour, day: date, scope: Scope, sessions: dict, sales: list[tuple]) -> None:
    """Add one day's matching sessions and orders to the result."""
    wanted = _wanted(scope)
    if scope.by_lines:
        matching = [s for s in sessions.values() if any(wanted(x) for x in (*s.views, *s.dwell, *s.cart_adds))]
    else:
        matching = [s for s in sessions.values() if s.ref == scope.seller_code]
    owners = rr.attribute_orders(sessions, [order for order, _money in sales])
    viewed = [s for s in matching if any(wanted(x) for x in s.views)]
    carted = [s for s in matching if any(wanted(x) for x in s.cart_adds)]
    result.days[day] = {
        "sessions": len(matching),
        "visitors": len({s.visitor_id for s in matching if s.visitor_id}),
        "page_views": sum(s.page_views for s in matching),
        "product_views": sum(n for s in viewed for x, n in s.views.items() if wanted(x)),
        "view_sessions": len(viewed),
        "cart_sessions": len(carted),
        "checkout_sessions": sum(1 for s in carted if s.checkout),
        "paid_sessions": len({owners[o.order_id].key for o, _m in sales if o.order_id in owners}),
    }
    for s in matching:
        result.sources[s.source or rr.SOURCE_DIRECT][0] += 1
    for order, money in sales:
        owner = owners.get(order.order_id)
        row = result.sources[(owner.source or rr.SOURCE_DIRECT) if owner else rr.SOURCE_UNTRACKED]
        row[1] += 1
        row[2] += money
    _fold_products(result, matching, wanted)


def _fold_products(result: Behaviour, matching: list, wanted) -> None:
    """Per product: views, viewers (unique per day, added up), dwell values and cart figures."""
    viewers: dict[str, set] = defaultdict(set)
    for s in matching:
        for slug, n in s.views.items():
            if wanted(slug):
                row = _product(result, slug)
                row["views"] += n
                row["view_sessions"] += 1
                if s.visitor_id:
                    viewers[slug].add(s.visitor_id)
        for slug, ms in s.dwell.items():
            if wanted(slug):
                _product(result, slug)["dwell"].append(ms)
        for slug, n in s.cart_adds.items():
            if wanted(slug):
                row = _product(result, slug)
                row["cart_adds"] += n
                row["cart_sessions"] += 1
                row["checkout_sessions"] += 1 if s.checkout else 0
    for slug, who in viewers.items():
        result.products[slug]["viewers"] += len(who)


def _product(result: Behaviour, slug: str) -> dict:
    row = result.products.get(slug)
    if row is None:
        keys = ("views", "viewers", "view_sessions", "cart_adds", "cart_sessions", "checkout_sessions")
        row = result.products[slug] = {**dict.fromkeys(keys, 0), "dwell": []}
    return row


def refunds(session: Session, span: DateRange, scope: Scope, orders) -> dict[date, int]:
    """Money given back on the matching orders, per shop day of the refund (whole refunds: a refund
    event does not say which lines it was for)."""
    matching = select(ReportOrder.order_id).select_from(orders)
    rows = session.execute(
        select(Event.created_at, Event.value).where(
            *_bounds(span, scope), Event.name == "refund", Event.order_id.in_(matching)
        )
    )
    result: dict[date, int] = defaultdict(int)
    for at, value in rows:
        result[rr.shop_day(at, scope.zone)] += value or 0
    return result
