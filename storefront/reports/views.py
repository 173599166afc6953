"""The owner's reports at /admin/reports: one page per question, each table also as CSV.

Every page first catches the rollups up (the days not rolled up yet, days whose orders
changed, and today when it is older than REPORTS_REFRESH_SECONDS), in its own short
transactions, then reads the rollups only. A page never catches up more than
REPORTS_CATCHUP_DAYS days (a first run over months of history belongs to `flask rollup`);
it says so when days are left.

With DATABASE_REPLICA_URL set the pages and files read from the read replica (core.replica) and
say how old its figures are; the catch-up still writes to the primary.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_babel import format_date, get_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..analytics import interest_totals, rollup
from ..analytics.rollup_rules import shop_day
from ..auth.guards import require_login_for
from ..clock import utcnow
from ..core import replica
from ..core.security import private_blueprint
from ..db import write_transaction
from ..domain import N_, DomainError
from ..extensions import db
from . import filters, rules, sections, service, tables

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")
private_blueprint(bp)
require_login_for(bp)

SECTIONS = (
    ("overview", _l("Overview")),
    ("funnel", _l("Funnel")),
    ("products", _l("Products")),
    ("interest", _l("Interested, did not buy")),
    ("when", _l("When")),
    ("customers", _l("How often, how much")),
    ("where", _l("Where")),
    ("sources", _l("Sources")),
    ("promotions", _l("Promotions and campaigns")),
)


@bp.before_request
def _catch_up() -> None:
    """Bring the rollups up to date before reading them (the login guard has run first)."""
    config = current_app.config
    g.rollup_remaining = 0
    now, zone = utcnow(), shop_zone()
    refresh_every = timedelta(seconds=config["REPORTS_REFRESH_SECONDS"])
    try:
        with Session(db.engine) as session:  # its own transactions, one per day, committed here
            if rollup.needs_catch_up(session, now, zone, refresh_every):
                session.commit()  # end the read snapshot before the write lock (SQLite refuses the upgrade)
                for progress in rollup.catch_up(
                    session, now, zone, max_days=config["REPORTS_CATCHUP_DAYS"], refresh_every=refresh_every
                ):
                    session.commit()
                    g.rollup_remaining = progress.remaining
            if request.endpoint == "reports.interest" or (request.view_args or {}).get("name") == "interest":
                _fill_interest_totals(session)
    except SQLAlchemyError:
        # Slightly stale figures beat no report: the next page (or `flask rollup`) tries again.
        log.exception("report catch-up failed")
    db.session.commit()  # end this request's read snapshot so it sees what was just written


def _fill_interest_totals(session: Session) -> None:
    """Build the interest totals of the days that lack them (the rollup job does too); on the primary.

    The page is right without them (it sums those days' sessions), only slower.
    """
    if interest_totals.missing_days(session, 1):
        with write_transaction(session):  # SQLite's write lock up front, though this is a GET
            interest_totals.fill(session)
    else:
        session.rollback()


def shop_zone() -> ZoneInfo:
    """The shop's time zone: report days, hours and "today" follow it, like the admin's dates."""
    return ZoneInfo(str(get_timezone()))


def _range() -> rules.DateRange:
    today = shop_day(utcnow(), shop_zone())
    return rules.parse_range(request.args.get("from"), request.args.get("to"), today)


def _scope(span: rules.DateRange) -> filters.Scope | None:
    """The asked filter (400 when malformed or over too long a range, 404 when it names nothing)."""
    scope = filters.load(replica.reads(), request.args.get("filter"), shop_zone())
    if scope is not None and len(span.dates()) > filters.MAX_FILTERED_DAYS:
        raise filters.InvalidFilter(
            N_("A filtered report covers at most %(days)s days; choose a shorter range."),
            days=filters.MAX_FILTERED_DAYS,
        )
    return scope


def _page(name: str):
    """Render one report section for the asked range and filter (400/404 with the form and a message)."""
    title = dict(SECTIONS)[name]
    base = {
        "sections": SECTIONS,
        "section": name,
        "section_title": title,
        "args": request.args,
        "choices": filters.choices(replica.reads()),
        "scope": None,
    }
    try:
        span = _range()
        base["scope"] = scope = _scope(span)
    except DomainError as err:
        page = render_template("reports/section.html", error=err.message, span=None, tables=[], **base)
        return page, err.status_code
    context = {"stats": [], "figures": [], "tables": [], "grid": None, "link_column": None}
    context.update(sections.build(name, replica.reads(), span, request.args, scope) or {})
    freshness = service.freshness(replica.reads())
    return render_template(
        "reports/section.html",
        span=span,
        freshness=freshness,
        remaining=g.get("rollup_remaining", 0),
        cell=tables.cell,
        quiet_label=tables.quiet_label,
        **base,
        **context,
    )


@bp.get("/")
def overview():
    """Visitors, sessions, orders, revenue, conversion and order value, with the trend."""
    return _page("overview")


@bp.get("/funnel")
def funnel():
    """Viewed -> added to cart -> began checkout -> ordered, with the drop-off at each step."""
    return _page("funnel")


@bp.get("/products")
def products():
    """Per product: views, dwell (average and median), add-to-cart rate, conversion, revenue."""
    return _page("products")


@bp.get("/interest")
def interest():
    """Products people lingered on or put in the cart without buying; ?product= lists the sessions."""
    return _page("interest")


@bp.get("/when")
def when():
    """Orders by weekday and hour, in the shop's time zone."""
    return _page("when")


@bp.get("/customers")
def customers():
    """Repeat rate, orders per customer, order values and RFM segments."""
    return _page("customers")


@bp.get("/where")
def where():
    """Orders and revenue by country and city (deliveries), and pickups."""
    return _page("where")


@bp.get("/sources")
def sources():
    """Sessions, orders and revenue by traffic source."""
    return _page("sources")


@bp.get("/promotions")
def promotions():
    """Discount codes used in the period: redemptions, orders, revenue and discount given."""
    return _page("promotions")


@bp.get("/<name>.csv")
def export(name: str):
    """One report table as CSV, for the same date range as the page."""
    if name not in sections.EXPORTS:
        abort(404)
    try:
        span = _range()
        scope = _scope(span)
    except DomainError as err:
        return Response(err.message + "\n", status=err.status_code, mimetype="text/plain")
    table = sections.EXPORTS[name](replica.reads(), span, request.args, scope)
    if table is None:
        abort(404)
    named = f"-{scope.kind}-{scope.id}" if scope else ""  # a filtered file says so in its name
    filename = f"{table.name}{named}-{span.start.isoformat()}-{span.end.isoformat()}.csv"
    return Response(
        tables.to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def export_url(table: tables.Table, span: rules.DateRange) -> str:
    """The CSV address of a table for the range shown."""
    extra = {"product": request.args["product"]} if table.name == "interest_sessions" else {}
    if request.args.get("filter"):
        extra["filter"] = request.args["filter"]
    return url_for(
        "reports.export", name=table.name, **{"from": span.start.isoformat(), "to": span.end.isoformat()}, **extra
    )


@bp.context_processor
def _helpers() -> dict:
    return {"export_url": export_url, "range_url": _range_url, "report_day": lambda day: format_date(day, "medium")}


def _range_url(endpoint: str, days: int | None = None, **extra) -> str:
    """A report address keeping the range shown (or the last `days` days up to today)."""
    args = {k: v for k, v in request.args.items() if k in ("from", "to")}
    if days is not None:
        today = shop_day(utcnow(), shop_zone())
        args = {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
    if request.args.get("filter") and "filter" not in extra:  # the filter follows across pages and presets
        args["filter"] = request.args["filter"]
    extra = {k: v for k, v in extra.items() if v is not None}  # filter=None: the same page unfiltered
    return url_for(endpoint, **args, **extra)
