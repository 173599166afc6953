"""What each report page shows (headline figures, charts, tables) and every CSV export.

One builder per page turns the service's figures into translated stats, SVG charts and
tables; EXPORTS maps each CSV name to the same table builders, so a CSV always has exactly
the page's rows (all of them: pages show the first rows of long tables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.numbers import format_compact_currency
from flask import current_app, url_for
from flask_babel import format_number, format_percent, get_locale, get_timezone
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from ..analytics.rollup_rules import day_bounds
from ..campaigns import service as campaigns
from ..core.templating import money
from ..money import minor_digits
from ..promotions import codes
from . import charts, rules, service, tables
from .filters import Scope
from .rules import DateRange

ACCENT = "#b4531a"
TOP = 10


@dataclass(frozen=True)
class Stat:
    """A headline figure."""

    label: str
    value: str
    hint: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart with its visible caption."""

    svg: Markup
    caption: str


def count(value: float) -> str:
    return format_number(round(value))


def cash(value: float) -> str:
    return money(round(value))


def cash_tick(value: float) -> str:
    """Short money for axis ticks ($1.2K)."""
    currency = current_app.config["SHOP_CURRENCY"]
    major = value / 10 ** minor_digits(currency)
    return format_compact_currency(major, currency, locale=get_locale(), fraction_digits=1)


def seconds(value: float) -> str:
    return tables.cell(value, "ms")


def percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value, "#,##0.0%")


def summary(points: list[tuple[str, float]], fmt: Callable[[float], str]) -> str:
    """A one-sentence description of a series for screen readers."""
    if not points:
        return _("No data in this period.")
    label, peak = max(points, key=lambda p: p[1])
    return _(
        "Total %(total)s; highest %(peak)s (%(label)s).",
        total=fmt(sum(v for _l, v in points)),
        peak=fmt(peak),
        label=label,
    )


def ranking(points: list[tuple[str, float]], fmt: Callable[[float], str]) -> str:
    """A description of a ranking for screen readers."""
    if not points:
        return _("No data in this period.")
    return "; ".join(f"{label}: {fmt(value)}" for label, value in points[:TOP])


def _discounts(session: Session, span: DateRange, scope: Scope | None = None) -> int:
    """Discount codes' amounts on the period's sale orders (revenue above is after them), the scope's orders only."""
    start, end = _instants(span)
    return codes.discount_given(session, start, end, service.scoped_order_ids(scope))


def _instants(span: DateRange) -> tuple:
    """The range's first and last shop day as naive UTC instants [start, end)."""
    zone = ZoneInfo(str(get_timezone()))
    return day_bounds(span.start, zone)[0], day_bounds(span.end, zone)[1]


def promotions_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    """Codes used in the period: redemptions, orders, revenue and discount given (on the scope's orders)."""
    rows = codes.codes_in_period(session, *_instants(span), service.scoped_order_ids(scope))
    given = sum(row[4] for row in rows)
    stats = [
        Stat(_("Redemptions"), count(sum(row[1] for row in rows))),
        Stat(_("Orders"), count(sum(row[2] for row in rows)), _("sale orders with a code")),
        Stat(_("Revenue"), cash(sum(row[3] for row in rows)), _("after discounts")),
        Stat(_("Discounts"), cash(given)),
    ]
    note = _("Campaign figures are for the whole shop.") if scope is not None else None
    return {
        "stats": stats,
        "tables": [(promotions_table(rows), None), (campaigns_table(session, *_instants(span)), note)],
    }


def campaigns_table(session: Session, start, end) -> tables.Table:
    """Campaigns started in the period with their figures (reached ... discount given), newest first."""
    keys = ("campaign", "channel", "reached", "delivered", "opened", "clicked", "orders", "revenue", "discount")
    columns = [
        tables.Column("campaign", _("Campaign"), "text"),
        tables.Column("channel", _("Channel"), "text"),
        tables.Column("reached", _("Reached")),
        tables.Column("delivered", _("Delivered"), wide_only=True),
        tables.Column("opened", _("Opened"), wide_only=True),
        tables.Column("clicked", _("Clicked")),
        tables.Column("orders", _("Orders")),
        tables.Column("revenue", _("Revenue"), "money"),
        tables.Column("discount", _("Discount given"), "money", wide_only=True),
    ]
    rows = []
    for campaign in campaigns.started_between(session, start, end):
        f = campaigns.figures(session, campaign)
        values = (campaign.name, campaign.channel, f.reached, f.delivered, f.opened, f.clicked, f.orders)
        rows.append(dict(zip(keys, (*values, f.revenue, f.discount), strict=True)))
    return tables.Table("campaigns", _("Campaigns"), columns, rows)


def promotions_table(rows: list[tuple[str, int, int, int, int]]) -> tables.Table:
    """The promotions page's table (and its CSV)."""
    keys = ("code", "redemptions", "orders", "revenue", "discount")
    columns = [
        tables.Column("code", _("Code"), "text"),
        tables.Column("redemptions", _("Redemptions")),
        tables.Column("orders", _("Orders")),
        tables.Column("revenue", _("Revenue"), "money"),
        tables.Column("discount", _("Discount given"), "money"),
    ]
    return tables.Table("promotions", _("Discount codes"), columns, [dict(zip(keys, row, strict=True)) for row in rows])


def overview_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    data = service.overview(session, span, scope)
    labels = [tables.short_day(d["day"]) for d in data.daily]
    revenue = [(label, d["revenue"]) for label, d in zip(labels, data.daily)]
    totals = data.totals
    stats = [
        Stat(_("Visitors"), count(totals["visitors"]), _("unique per day, added up")),
        Stat(_("Sessions"), count(totals["sessions"])),
        Stat(_("Orders"), count(totals["orders"])),
        Stat(_("Revenue"), cash(totals["revenue"]), _("sale orders placed")),
        Stat(_("Discounts"), cash(_discounts(session, span, scope)), _("taken off by discount codes")),
        Stat(_("Refunds"), cash(totals["refunds"]), _("money given back in this period")),
        Stat(_("Net revenue"), cash(data.net_revenue), _("revenue less refunds")),
        Stat(_("Conversion rate"), percent(data.conversion), _("orders per session")),
        Stat(_("Average order value"), cash(data.average_order) if data.average_order is not None else "–"),
    ]
    sessions = [d["sessions"] for d in data.daily]
    visitors = [d["visitors"] for d in data.daily]
    figures = [
        Figure(
            charts.column_chart(
                "trend-revenue", _("Revenue per day"), summary(revenue, cash), revenue, cash, cash_tick
            ),
            _("Revenue per day (sale orders)"),
        ),
        Figure(
            charts.line_chart(
                "trend-traffic",
                _("Sessions and visitors per day"),
                summary(list(zip(labels, sessions)), count),
                labels,
                [(_("Sessions"), sessions, charts.BRAND), (_("Visitors"), visitors, ACCENT)],
                count,
            ),
            _("Sessions and visitors per day"),
        ),
        Figure(
            charts.column_chart(
                "trend-orders",
                _("Orders per day"),
                summary([(lb, d["orders"]) for lb, d in zip(labels, data.daily)], count),
                [(lb, d["orders"]) for lb, d in zip(labels, data.daily)],
                count,
            ),
            _("Orders per day"),
        ),
    ]
    return {"stats": stats, "figures": figures, "tables": [(tables.daily_page_table(data), None)]}


def funnel_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    steps = service.funnel(session, span, scope)
    rows = [(str(tables.FUNNEL_LABELS[s.key]), s.count) for s in steps]
    stats = [
        Stat(str(tables.FUNNEL_LABELS[s.key]), count(s.count), _("%(share)s of viewers", share=percent(s.of_first)))
        for s in steps
    ]
    chart = charts.bar_chart("funnel", _("Funnel"), ranking(rows, count), rows, count, _("No sessions in this period."))
    figure = Figure(chart, _("Sessions at each step; the table gives the drop-off between steps."))
    return {"stats": stats, "figures": [figure], "tables": [(tables.funnel_table(steps), None)]}


def products_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    items = service.products(session, span, scope)
    views = [(p.title, p.views) for p in items[:TOP]]
    by_revenue = sorted(items, key=lambda p: -p.revenue)[:TOP]
    revenue = [(p.title, p.revenue) for p in by_revenue if p.revenue]
    by_dwell = sorted((p for p in items if p.median_dwell_ms is not None), key=lambda p: -p.median_dwell_ms)[:TOP]
    dwell = [(p.title, p.median_dwell_ms) for p in by_dwell]
    empty = _("No data in this period.")
    figures = [
        Figure(
            charts.bar_chart("top-views", _("Most viewed"), ranking(views, count), views, count, empty),
            _("Most viewed"),
        ),
        Figure(
            charts.bar_chart("top-dwell", _("Longest median dwell"), ranking(dwell, seconds), dwell, seconds, empty),
            _("Longest median dwell (half the sessions stayed longer)"),
        ),
        Figure(
            charts.bar_chart("top-revenue", _("Best sellers"), ranking(revenue, cash), revenue, cash, empty),
            _("Best sellers by revenue"),
        ),
    ]
    table = tables.products_table(items)
    ids = service.product_ids(session)
    for row in table.rows:  # each product drills down to every report page filtered by it
        if row["slug"] in ids:
            row["href"] = url_for(
                "reports.overview",
                filter=f"product:{ids[row['slug']]}",
                **{"from": span.start.isoformat(), "to": span.end.isoformat()},
            )
    return {"figures": figures, "tables": [(table, 100)], "link_column": "title"}


def interest_page(session: Session, span: DateRange, args: Mapping, scope: Scope | None = None) -> dict:
    items = service.interest(session, span, scope)
    table = tables.interest_table(items)
    for row in table.rows:
        row["href"] = url_for(
            "reports.interest",
            product=row["slug"],
            **{"from": span.start.isoformat(), "to": span.end.isoformat()},
            **({"filter": scope.arg} if scope else {}),
            _anchor="sessions",
        )
    rows = [(i.title, i.sessions) for i in items[:TOP]]
    chart = charts.bar_chart(
        "interest", _("Interested sessions"), ranking(rows, count), rows, count, _("No data in this period.")
    )
    context = {
        "figures": [Figure(chart, _("Sessions that stayed 30 s or more, or added to cart, and did not buy"))],
        "tables": [(table, 100)],
        "link_column": "title",
    }
    slug = (args.get("product") or "")[:120]
    if slug:
        context["tables"].append(
            (tables.interest_sessions_table(slug, service.interest_sessions(session, span, slug, scope=scope)), 200)
        )
    return context


def when_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    orders, revenue = service.orders_heatmap(session, span, scope)
    names = tables.day_names()

    def cell_title(row: int, hour: int, value: float) -> str:
        return _("%(day)s %(hour)s:00: %(orders)s orders", day=names[row], hour=f"{hour:02d}", orders=count(value))

    weekdays = [(names[d], sum(orders[d])) for d in range(7)]
    hours = [(f"{h:02d}", sum(orders[d][h] for d in range(7))) for h in range(24)]
    desc = summary(weekdays, count)
    figures = [
        Figure(
            charts.heatmap_chart("heatmap", _("Orders by weekday and hour"), desc, orders, names, cell_title),
            _("Orders by weekday and hour of the day (shop time); darker is more"),
        ),
        Figure(
            charts.column_chart("by-weekday", _("Orders by weekday"), desc, weekdays, count), _("Orders by weekday")
        ),
        Figure(
            charts.column_chart("by-hour", _("Orders by hour"), summary(hours, count), hours, count),
            _("Orders by hour of the day"),
        ),
    ]
    return {
        "figures": figures,
        "grid": {"rows": list(zip(names, orders)), "hours": [f"{h:02d}" for h in range(24)]},
        "tables": [(tables.heatmap_table(orders, revenue), 0)],
    }


def customers_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    data = service.customers(session, span, scope)
    stats = [
        Stat(_("Customers"), count(data.count), _("by phone number, else email")),
        Stat(_("Repeat-purchase rate"), percent(data.repeat_rate), _("customers with 2 or more orders")),
        Stat(_("Orders per customer"), format_number(round(data.orders / data.count, 2)) if data.count else "–"),
        Stat(_("Orders"), count(data.orders)),
    ]
    frequency = [(label, n) for label, n in data.frequency]
    values = [(f"{cash_tick(b.low)}+" if b.high is None else cash_tick(b.low), b.count) for b in data.order_values]
    labels = {key: label for key, label, _advice in rules.SEGMENTS}
    segments = [(_(labels[key]), n) for key, n, _revenue in data.segments]
    figures = [
        Figure(
            charts.column_chart("frequency", _("Orders per customer"), summary(frequency, count), frequency, count),
            _("Customers by number of orders in the period"),
        ),
        Figure(
            charts.column_chart("order-values", _("Order values"), summary(values, count), values, count),
            _("Orders by value (each bar from its amount up to the next)"),
        ),
        Figure(
            charts.bar_chart("segments", _("Segments"), ranking(segments, count), segments, count, _("No customers.")),
            _("Customers per RFM segment"),
        ),
    ]
    return {
        "stats": stats,
        "figures": figures,
        "tables": [
            (tables.segments_table(data), None),
            (tables.frequency_table(data), None),
            (tables.order_values_table(data), None),
            (tables.customers_table(data, limit=50), 50),
        ],
    }


def where_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    data = service.places(session, span, scope)
    countries = tables.countries_table(data)
    cities = tables.cities_table(data)
    by_country = [(r["name"], r["revenue"]) for r in countries.rows[:TOP]]
    by_city = [(r["city"] or _("Unknown"), r["orders"]) for r in cities.rows[:TOP]]
    empty = _("No deliveries in this period.")
    stats = [
        Stat(_("Delivered orders"), count(sum(r["orders"] for r in data.countries))),
        Stat(_("Revenue from deliveries"), cash(sum(r["revenue"] for r in data.countries))),
        Stat(_("Pickups in the shop"), count(data.pickups["orders"])),
        Stat(_("Revenue from pickups"), cash(data.pickups["revenue"])),
    ]
    figures = [
        Figure(
            charts.bar_chart("countries", _("Revenue by country"), ranking(by_country, cash), by_country, cash, empty),
            _("Revenue by country (deliveries)"),
        ),
        Figure(
            charts.bar_chart("cities", _("Orders by city"), ranking(by_city, count), by_city, count, empty),
            _("Orders by city (deliveries)"),
        ),
    ]
    pickups = tables.stores_table(data)
    return {"stats": stats, "figures": figures, "tables": [(countries, None), (cities, 100), (pickups, None)]}


def sources_page(session: Session, span: DateRange, _args: Mapping, scope: Scope | None = None) -> dict:
    table = tables.sources_table(service.sources(session, span, scope))
    sessions = [(r["label"], r["sessions"]) for r in table.rows if r["sessions"]]
    revenue = [(r["label"], r["revenue"]) for r in sorted(table.rows, key=lambda r: -r["revenue"]) if r["revenue"]]
    empty = _("No data in this period.")
    figures = [
        Figure(
            charts.bar_chart(
                "source-sessions", _("Sessions by source"), ranking(sessions, count), sessions, count, empty
            ),
            _("Sessions by source"),
        ),
        Figure(
            charts.bar_chart("source-revenue", _("Revenue by source"), ranking(revenue, cash), revenue, cash, empty),
            _("Revenue by source (orders counted for the session that placed them)"),
        ),
    ]
    return {"figures": figures, "tables": [(table, None)]}


PAGES: dict[str, Callable[..., dict]] = {
    "overview": overview_page,
    "funnel": funnel_page,
    "products": products_page,
    "interest": interest_page,
    "when": when_page,
    "customers": customers_page,
    "where": where_page,
    "sources": sources_page,
    "promotions": promotions_page,
}


def build(name: str, session: Session, span: DateRange, args: Mapping, scope: Scope | None = None) -> dict | None:
    """The template context of one report page (restricted to the scope's orders and sessions, if any)."""
    page = PAGES.get(name)
    return page(session, span, args, scope) if page else None


def _interest_sessions(session: Session, span: DateRange, args: Mapping, scope: Scope | None) -> tables.Table | None:
    slug = (args.get("product") or "")[:120]
    if not slug:
        return None
    return tables.interest_sessions_table(slug, service.interest_sessions(session, span, slug, 100_000, scope))


EXPORTS: dict[str, Callable[..., tables.Table | None]] = {
    "daily": lambda s, span, _a, sc: tables.daily_table(service.overview(s, span, sc)),
    "funnel": lambda s, span, _a, sc: tables.funnel_table(service.funnel(s, span, sc)),
    "products": lambda s, span, _a, sc: tables.products_table(service.products(s, span, sc)),
    "interest": lambda s, span, _a, sc: tables.interest_table(service.interest(s, span, sc)),
    "interest_sessions": _interest_sessions,
    "when": lambda s, span, _a, sc: tables.heatmap_table(*service.orders_heatmap(s, span, sc)),
    "segments": lambda s, span, _a, sc: tables.segments_table(service.customers(s, span, sc)),
    "frequency": lambda s, span, _a, sc: tables.frequency_table(service.customers(s, span, sc)),
    "order_values": lambda s, span, _a, sc: tables.order_values_table(service.customers(s, span, sc)),
    "customers": lambda s, span, _a, sc: tables.customers_table(service.customers(s, span, sc)),
    "countries": lambda s, span, _a, sc: tables.countries_table(service.places(s, span, sc)),
    "cities": lambda s, span, _a, sc: tables.cities_table(service.places(s, span, sc)),
    "pickups": lambda s, span, _a, sc: tables.stores_table(service.places(s, span, sc)),
    "sources": lambda s, span, _a, sc: tables.sources_table(service.sources(s, span, sc)),
    "campaigns": lambda s, span, _a, _sc: campaigns_table(s, *_instants(span)),
    "promotions": lambda s, span, _a, sc: promotions_table(
        codes.codes_in_period(s, *_instants(span), service.scoped_order_ids(sc))
    ),
}
