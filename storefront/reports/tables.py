"""Report tables: one definition per table, shown as HTML and exported as CSV from the same rows.

A Table is columns (key, translated label, kind) and rows (dicts). The kind says how a cell is
shown (Babel numbers, money in the shop's locale) and how it is exported (plain numbers a
spreadsheet reads: amounts like 12.50, rates as percentages, dwell in seconds). Text cells
are defused against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from babel.dates import get_day_names
from flask import current_app
from flask_babel import format_date, format_decimal, format_number, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.csv import csv_safe
from ..core.templating import money
from ..money import format_amount_plain
from . import rules, service

SOURCE_LABELS = {
    "direct": _l("Direct (typed, bookmarks, apps)"),
    "social": _l("Social networks"),
    "ref": _l("Seller links (ref codes)"),
    "search": _l("Search engines"),
    "utm": _l("Campaigns (utm tags)"),
    "pwa": _l("Home-screen app"),
    "referral": _l("Other websites"),
    "internal": _l("This shop"),
    "untracked": _l("Not tracked (no events sent)"),
}
FUNNEL_LABELS = {
    "view_sessions": _l("Viewed a product"),
    "cart_sessions": _l("Added to cart"),
    "checkout_sessions": _l("Began checkout"),
    "paid_sessions": _l("Placed an order"),
}


@dataclass(frozen=True)
class Column:
    """One column: the row key, its heading and how to show it (text, int, money, rate, ms, day)."""

    key: str
    label: str
    kind: str = "int"
    wide_only: bool = False  # left out on a phone's page (kept on wider screens and in the CSV)


@dataclass
class Table:
    """A titled table; `name` is its CSV file name and export address.

    `total` is how many rows the whole table has when `rows` holds only the first ones (a page
    shows the top of a long table; the CSV builds it whole).
    """

    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    total: int | None = None


def cell(value: object, kind: str) -> str:
    """A cell for the page: numbers, money, rates and dates in the reader's locale."""
    if value is None or value == "":
        return "–"
    if kind == "money":
        return money(value)
    if kind == "rate":
        return format_percent(value, "#,##0.0%")
    if kind == "ms":
        return _("%(seconds)s s", seconds=format_decimal(value / 1000, "#,##0.0"))
    if kind == "int":
        return format_number(value)
    if kind == "day":
        return format_date(value, "medium")
    if kind == "rating":
        return format_decimal(value, "0.0")
    return str(value)


def csv_value(value: object, kind: str) -> str:
    """A cell for the CSV: plain numbers, ISO dates, formula-safe text."""
    if value is None:
        return ""
    if kind == "money":
        return format_amount_plain(int(value), current_app.config["SHOP_CURRENCY"])
    if kind == "rate":
        return f"{value * 100:.2f}"
    if kind == "ms":
        return f"{value / 1000:.1f}"
    if kind in ("int", "day", "rating"):
        return str(value)
    return csv_safe(str(value))


def to_csv(table: Table) -> str:
    """The table as CSV; headings say the unit of converted columns."""
    units = {"money": f" ({current_app.config['SHOP_CURRENCY']})", "rate": " (%)", "ms": " (s)"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(str(c.label)) + units.get(c.kind, "") for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(row.get(c.key), c.kind) for c in table.columns])
    return out.getvalue()


def day_names() -> list[str]:
    """Abbreviated weekday names, Monday first, in the reader's language."""
    names = get_day_names("abbreviated", locale=get_locale())
    return [names[i] for i in range(7)]


def daily_table(data: service.Overview) -> Table:
    rows = [
        {**d, "net_revenue": d["revenue"] - d["refunds"], "conversion": rules.rate(d["orders"], d["sessions"])}
        for d in data.daily
    ]
    return Table(
        "daily",
        _("Day by day"),
        [
            Column("day", _("Day"), "day"),
            Column("visitors", _("Visitors")),
            Column("sessions", _("Sessions")),
            Column("page_views", _("Page views")),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue"), "money"),
            Column("refunds", _("Refunds"), "money"),
            Column("net_revenue", _("Net revenue"), "money"),
            Column("conversion", _("Conversion"), "rate"),
        ],
        rows,
    )


QUIET_KEYS = ("visitors", "sessions", "page_views", "orders", "revenue", "refunds")


def daily_page_table(data: service.Overview) -> Table:
    """The "Day by day" table as a page shows it: newest first, runs of days with nothing folded into one row."""
    table = daily_table(data)
    table.rows = rules.newest_first_without_quiet_runs(table.rows, QUIET_KEYS)
    return table


def quiet_label(first: date, last: date) -> str:
    """The folded row's text, e.g. 'Dec 1 – Dec 9: no visits or sales'."""
    return _("%(first)s – %(last)s: no visits or sales", first=short_day(first), last=short_day(last))


def funnel_table(steps: list[rules.FunnelStep]) -> Table:
    rows = [
        {"step": str(FUNNEL_LABELS[s.key]), "sessions": s.count, "of_first": s.of_first}
        | {"of_previous": s.of_previous, "drop_off": s.drop_off}
        for s in steps
    ]
    return Table(
        "funnel",
        _("Funnel"),
        [
            Column("step", _("Step"), "text"),
            Column("sessions", _("Sessions")),
            Column("of_first", _("Of those who viewed"), "rate"),
            Column("of_previous", _("Of the step before"), "rate"),
            Column("drop_off", _("Dropped off"), "rate"),
        ],
        rows,
    )


def products_table(items: list[service.ProductFigures]) -> Table:
    rows = [
        vars(p) | {"average_dwell_ms": p.average_dwell_ms, "cart_rate": p.cart_rate, "conversion": p.conversion}
        for p in items
    ]
    return Table(
        "products",
        _("Products"),
        [
            Column("title", _("Product"), "text"),
            Column("views", _("Views")),
            Column("viewers", _("Viewers"), wide_only=True),
            Column("view_sessions", _("Sessions viewing"), wide_only=True),
            Column("average_dwell_ms", _("Average dwell"), "ms", wide_only=True),
            Column("median_dwell_ms", _("Median dwell"), "ms"),
            Column("cart_rate", _("Add-to-cart rate"), "rate"),
            Column("checkout_sessions", _("Checkouts"), wide_only=True),
            Column("orders", _("Orders")),
            Column("conversion", _("Conversion"), "rate", wide_only=True),
            Column("units", _("Units sold")),
            Column("revenue", _("Revenue"), "money"),
            Column("rating", _("Rating"), "rating"),
            Column("reviews", _("Reviews"), wide_only=True),
            Column("slug", _("Web address"), "text", wide_only=True),
        ],
        rows,
    )


def interest_table(items: list[service.Interest]) -> Table:
    rows = [vars(i) | {"average_dwell_ms": rules.per(i.dwell_total_ms, i.sessions)} for i in items]
    return Table(
        "interest",
        _("Interested but did not buy"),
        [
            Column("title", _("Product"), "text"),
            Column("sessions", _("Sessions")),
            Column("visitors", _("Visitors")),
            Column("long_dwell", _("Stayed 30 s or more")),
            Column("carted", _("Put it in the cart")),
            Column("cart_units", _("Units left in carts")),
            Column("average_dwell_ms", _("Average dwell"), "ms"),
            Column("slug", _("Web address"), "text"),
        ],
        rows,
    )


def interest_sessions_table(slug: str, rows: list[dict]) -> Table:
    shown = [
        r | {"session": r["session_key"][-12:], "source_label": str(SOURCE_LABELS.get(r["source"], r["source"]))}
        for r in rows
    ]
    return Table(
        "interest_sessions",
        _("Sessions interested in %(product)s", product=slug),
        [
            Column("day", _("Day"), "day"),
            Column("session", _("Session"), "text"),
            Column("dwell_ms", _("Dwell"), "ms"),
            Column("cart_units", _("Units in cart")),
            Column("source_label", _("Source"), "text"),
            Column("ref", _("Seller code"), "text"),
        ],
        shown,
    )


def heatmap_table(orders: list[list[int]], revenue: list[list[int]]) -> Table:
    names = day_names()
    rows = [
        {"weekday": names[d], "hour": f"{h:02d}:00", "orders": orders[d][h], "revenue": revenue[d][h]}
        for d in range(7)
        for h in range(24)
    ]
    return Table(
        "when",
        _("Orders by weekday and hour"),
        [
            Column("weekday", _("Weekday"), "text"),
            Column("hour", _("Hour"), "text"),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue"), "money"),
        ],
        rows,
    )


def frequency_table(data: service.Customers) -> Table:
    rows = [{"orders": label, "customers": n} for label, n in data.frequency]
    return Table(
        "frequency",
        _("Orders per customer"),
        [Column("orders", _("Orders in the period"), "text"), Column("customers", _("Customers"))],
        rows,
    )


def order_values_table(data: service.Customers) -> Table:
    rows = [{"low": b.low, "high": b.high, "orders": b.count} for b in data.order_values]
    return Table(
        "order_values",
        _("Order values"),
        [
            Column("low", _("From"), "money"),
            Column("high", _("Up to (not included)"), "money"),
            Column("orders", _("Orders")),
        ],
        rows,
    )


def segments_table(data: service.Customers) -> Table:
    labels = {key: (label, advice) for key, label, advice in rules.SEGMENTS}
    rows = [
        {"segment": _(labels[key][0]), "customers": n, "revenue": revenue, "advice": _(labels[key][1])}
        for key, n, revenue in data.segments
    ]
    return Table(
        "segments",
        _("Customer segments (RFM)"),
        [
            Column("segment", _("Segment"), "text"),
            Column("customers", _("Customers")),
            Column("revenue", _("Revenue"), "money"),
            Column("advice", _("What to do"), "text"),
        ],
        rows,
    )


def customers_table(data: service.Customers, limit: int | None = None) -> Table:
    labels = {key: _(label) for key, label, _advice in rules.SEGMENTS}  # translated once, not per row
    rows = [r._asdict() | {"segment_label": labels[r.segment]} for r in data.biggest(limit)]
    return Table(
        "customers",
        _("Customers (pseudonymous ids)"),
        [
            Column("key", _("Customer"), "text"),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue"), "money"),
            Column("recency_days", _("Days since last order")),
            Column("r", "R"),
            Column("f", "F"),
            Column("m", "M"),
            Column("segment_label", _("Segment"), "text"),
        ],
        rows,
        total=data.count,
    )


def country_name(code: str) -> str:
    """A country's name in the reader's language (the code when unknown)."""
    return get_locale().territories.get(code, code) if code else _("Unknown")


def countries_table(data: service.Places) -> Table:
    rows = [r | {"name": country_name(r["country"])} for r in data.countries]
    return Table(
        "countries",
        _("Countries"),
        [
            Column("name", _("Country"), "text"),
            Column("country", _("Code"), "text"),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue"), "money"),
        ],
        rows,
    )


def cities_table(data: service.Places) -> Table:
    rows = [r | {"name": country_name(r["country"])} for r in data.cities]
    return Table(
        "cities",
        _("Cities"),
        [
            Column("city", _("City"), "text"),
            Column("region", _("Region"), "text"),
            Column("name", _("Country"), "text"),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue"), "money"),
        ],
        rows,
    )


def stores_table(data: service.Places) -> Table:
    rows = [r | {"name": r["store"] or _("No store recorded")} for r in data.stores]
    return Table(
        "pickups",
        _("Pickups by store"),
        [Column("name", _("Store"), "text"), Column("orders", _("Orders")), Column("revenue", _("Revenue"), "money")],
        rows,
    )


def sources_table(rows: list[dict]) -> Table:
    shown = [r | {"label": str(SOURCE_LABELS.get(r["source"], r["source"]))} for r in rows]
    return Table(
        "sources",
        _("Sources"),
        [
            Column("label", _("Source"), "text"),
            Column("sessions", _("Sessions")),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue"), "money"),
            Column("conversion", _("Orders per session"), "rate"),
        ],
        shown,
    )


def short_day(day: date) -> str:
    """A compact day label for chart axes (e.g. 'Jan 5')."""
    return format_date(day, "MMM d")
