"""Admin: sellers under /admin/sellers: the ranking, create/edit/disable, payouts, approving commissions, CSV export.

The list ranks sellers over a period (?period=7|30|90|365 or ?start=&end=, shop days) by
?sort=revenue|orders|clicks|commission; the owner can hide a seller's page from it.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..analytics.rollup_rules import shop_day
from ..auth.guards import role_required
from ..catalog.generation import mark_changed
from ..catalog.service import categories
from ..clock import utcnow
from ..core import replica
from ..core.csv import csv_safe
from ..domain import N_, DomainError, Invalid
from ..extensions import db
from ..money import format_amount_plain
from ..sellers import accounts, invites, reports, rules, service
from ..showcase.models import Collection
from .seller_forms import NewSellerForm, PayoutForm, SellerForm, parse_overrides, rate_field_name
from .views import bp


@bp.get("/sellers/")
@role_required("owner")
def seller_list():
    """Sellers ranked over a period by revenue, orders, clicks or commission (400 and the form on bad input)."""
    try:
        period, sort = _asked_ranking()
    except DomainError as err:
        return _ranking_page([], None, "revenue", error=err.message), err.status_code
    since, until = period.bounds(_zone())
    rows = reports.ranking(db.session, since, until, sort)
    return _ranking_page(rows, period, sort)


RANK_ARGS = ("period", "start", "end", "sort")  # what the list keeps across a hide/show and the CSV link


def _zone() -> ZoneInfo:
    """The shop's time zone: the ranking's days follow it, like the reports'."""
    return ZoneInfo(str(get_timezone()))


def _asked_ranking(args=None) -> tuple[reports.Period, str]:
    """The period and sort asked for in `args` (the query string by default); InvalidPeriod when unreadable."""
    args = request.args if args is None else args
    today = shop_day(utcnow(), _zone())
    period = reports.parse_period(args.get("period"), args.get("start"), args.get("end"), today)
    return period, reports.parse_sort(args.get("sort"))


def _collection_counts() -> dict[int, int]:
    """How many collections each seller made (one grouped query)."""
    return dict(
        db.session.execute(
            select(Collection.seller_id, func.count(Collection.id))
            .where(Collection.seller_id.is_not(None))
            .group_by(Collection.seller_id)
        ).all()
    )


def _ranking_page(rows, period, sort: str, error: str | None = None) -> str:
    kept = {key: request.args.get(key, "")[:20] for key in RANK_ARGS if request.args.get(key)}
    return render_template(
        "admin/sellers.html",
        rows=rows,
        period=period,
        period_dates=(format_date(period.start, "medium"), format_date(period.end, "medium")) if period else None,
        sort=sort,
        sorts=_sort_labels(),
        presets=reports.PERIOD_DAYS,
        kept=kept,
        error=error,
        collections=_collection_counts() if rows else {},
        collections_url=url_for("admin.collections"),
    )


def _sort_labels() -> dict[str, str]:
    return {"revenue": _("Revenue"), "orders": _("Orders"), "clicks": _("Clicks"), "commission": _("Commission")}


@bp.post("/sellers/<int:seller_id>/page")
@role_required("owner")
def seller_page_visibility(seller_id: int):
    """Hide a seller's page from shoppers (hidden=1) or show it again (hidden=0); 303 back to the list."""
    seller = accounts.get_seller(db.session, seller_id)
    hidden = request.form.get("hidden", "")
    if hidden not in ("0", "1"):
        raise Invalid(N_("Choose whether to hide or show the page."))
    seller.page_hidden = hidden == "1"
    mark_changed(db.session)  # the page is cached with the catalog: the commit makes it answer anew
    db.session.commit()
    if seller.page_hidden:
        flash(_("The page of %(code)s is hidden; it answers “not found” to shoppers.", code=seller.code), "success")
    else:
        flash(_("The page of %(code)s is shown again.", code=seller.code), "success")
    back = {key: request.form.get(key, "")[:20] for key in RANK_ARGS if request.form.get(key)}
    return redirect(url_for("admin.seller_list", **back), code=303)


def _form_page(form, seller=None, status: int = 200, **extra):
    """The seller form with one rate field per category (and any errors)."""
    rates = {r.category_id: rules.format_rate(r.rate_bp) for r in seller.rates} if seller else {}
    typed = {key: value for key, value in request.form.items() if key.startswith("rate_")}
    return render_template(
        "admin/seller_form.html",
        form=form,
        seller=seller,
        categories=categories(db.session),
        rates=rates,
        typed=typed,
        rate_field_name=rate_field_name,
        payout_form=extra.pop("payout_form", PayoutForm(formdata=None)),
        **extra,
    ), status


@bp.route("/sellers/new", methods=["GET", "POST"])
@role_required("owner")
def seller_new():
    """Create a seller; a generated password is shown once, on this response only."""
    form = NewSellerForm()
    if request.method == "GET":
        form.rate.data = "10"
        return _form_page(form)
    overrides, rate_errors = parse_overrides(request.form, categories(db.session))
    if not form.validate_on_submit() or rate_errors:
        return _form_page(form, status=422, rate_errors=rate_errors)
    try:
        seller, generated = accounts.create_seller(
            db.session,
            email=form.email.data,
            name=form.name.data,
            phone=form.phone.data,
            password=form.password.data or None,
            code=form.code.data or None,
            rate_bp=form.rate.basis_points,
            overrides=overrides,
            now=utcnow(),
        )
        seller.active = form.active.data
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.email.errors.append(err.message)
        return _form_page(form, status=err.status_code)
    # Not a redirect: the password must not travel in the (readable) session cookie of a flash.
    return render_template("admin/seller_created.html", seller=seller, password=generated), 201


@bp.route("/sellers/<int:seller_id>", methods=["GET", "POST"])
@role_required("owner")
def seller_edit(seller_id: int):
    """Edit a seller's name, phone, rates, state or password."""
    seller = accounts.get_seller(db.session, seller_id)
    if request.method == "GET":
        form = SellerForm(obj=seller, formdata=None)
        form.name.data = seller.user.name
        form.rate.data = rules.format_rate(seller.commission_bp)
        return _form_page(form, seller)
    form = SellerForm()
    overrides, rate_errors = parse_overrides(request.form, categories(db.session))
    if not form.validate_on_submit() or rate_errors:
        return _form_page(form, seller, 422, rate_errors=rate_errors)
    try:
        accounts.update_seller(
            db.session,
            seller,
            name=form.name.data,
            phone=form.phone.data,
            rate_bp=form.rate.basis_points,
            overrides=overrides,
            active=form.active.data,
            now=utcnow(),
            new_password=form.password.data or None,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.phone.errors.append(err.message)
        return _form_page(form, accounts.get_seller(db.session, seller_id), err.status_code)
    flash(_("Saved seller %(code)s.", code=seller.code), "success")
    return redirect(url_for("admin.seller_edit", seller_id=seller_id), code=303)


@bp.post("/sellers/<int:seller_id>/approve")
@role_required("owner")
def seller_approve(seller_id: int):
    """Approve a seller who joined by invite: their links and page start working (once)."""
    seller = accounts.get_seller(db.session, seller_id)
    if invites.approve(db.session, seller, utcnow()):
        db.session.commit()
        flash(_("Seller %(code)s approved.", code=seller.code), "success")
    else:
        db.session.rollback()
        flash(_("Seller %(code)s was already approved.", code=seller.code), "info")
    return redirect(url_for("admin.seller_edit", seller_id=seller_id), code=303)


@bp.post("/sellers/<int:seller_id>/payouts")
@role_required("owner")
def payout_add(seller_id: int):
    """Record a payout; refused above the approved, unpaid commission."""
    seller = accounts.get_seller(db.session, seller_id)
    form = PayoutForm()
    if form.validate_on_submit():
        try:
            service.record_payout(
                db.session,
                seller.id,
                form.amount.minor,
                current_user.id,
                utcnow(),
                note=(form.note.data or "").strip(),
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form.amount.errors.append(err.message)
            return _seller_page_with(seller_id, form, err.status_code)
        flash(_("Payout recorded."), "success")
        return redirect(url_for("admin.seller_edit", seller_id=seller_id), code=303)
    return _seller_page_with(seller_id, form, 422)


def _seller_page_with(seller_id: int, payout_form: PayoutForm, status: int):
    """The seller's page re-shown with the payout form's error."""
    seller = accounts.get_seller(db.session, seller_id)
    form = SellerForm(obj=seller, formdata=None)
    form.name.data = seller.user.name
    form.rate.data = rules.format_rate(seller.commission_bp)
    return _form_page(form, seller, status, payout_form=payout_form)


@bp.post("/sellers/approve")
@role_required("owner")
def approve_commissions():
    """Approve every commission that is paid, delivered and past the return window."""
    count = service.approve_due(db.session, utcnow())
    db.session.commit()
    flash(_("Approved %(count)s commissions.", count=count), "success")
    return redirect(url_for("admin.seller_list"), code=303)


@bp.get("/sellers/export.csv")
@role_required("owner")
def seller_export():
    """The ranking as CSV, in its period and order: all-time columns, then the period's (formula-safe text)."""
    period, sort = _asked_ranking()  # unreadable: a 400 with the message (errors.py)
    since, until = period.bounds(_zone())
    reads = replica.reads()  # the read replica when set (core.replica)
    rows = reports.ranking(reads, since, until, sort)
    totals = reports.all_time(reads, [row.seller for row in rows], utcnow())
    collections = _collection_counts()
    currency = current_app.config["SHOP_CURRENCY"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(reports.CSV_HEADER + reports.RANK_CSV_HEADER)
    for row, total in zip(rows, totals, strict=True):
        seller = row.seller
        writer.writerow(
            [
                seller.code,
                csv_safe(seller.name),
                csv_safe(seller.user.email),
                "yes" if seller.active else "no",
                rules.format_rate(seller.commission_bp),
                total.clicks,
                total.clicks_30d,
                total.orders,
                format_amount_plain(total.revenue, currency),
                format_amount_plain(total.pending, currency),
                format_amount_plain(total.approved, currency),
                format_amount_plain(total.paid, currency),
                "yes" if seller.page_hidden else "no",
                collections.get(seller.id, 0),
                period.start.isoformat(),
                period.end.isoformat(),
                row.clicks,
                row.orders,
                format_amount_plain(row.revenue, currency),
                format_amount_plain(row.commission, currency),
            ]
        )
    filename = f"sellers-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"}
    )
