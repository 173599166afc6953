"""Admin: stores under /admin/stores: stores, revenue-share settings, the revenue-share report and CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..clock import utc_midnight, utcnow
from ..core import replica
from ..core.csv import csv_safe
from ..core.inputs import parse_day
from ..domain import DomainError
from ..extensions import db
from ..money import format_amount_plain
from ..sellers.rules import format_rate
from ..stores import report as reports
from ..stores import service
from ..stores.models import Store
from .store_forms import SharesForm, StoreForm
from .views import bp

DEFAULT_DAYS = 30


@bp.get("/stores/")
@role_required("owner")
def store_list():
    """Every store."""
    return render_template("admin/stores.html", stores=service.all_stores(db.session))


def _save(store: Store, form: StoreForm):
    if not form.validate_on_submit():
        return render_template("admin/store_form.html", form=form, store=store if store.id else None), 422
    try:
        service.save_store(
            db.session,
            store,
            name=form.name.data,
            address=form.address.data or "",
            city=form.city.data or "",
            postcode=form.postcode.data or "",
            latitude=float(form.latitude.data),
            longitude=float(form.longitude.data),
            opening_hours=form.opening_hours.data or "",
            pickup=form.pickup.data,
            active=form.active.data,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.name.errors.append(err.message)
        return render_template("admin/store_form.html", form=form, store=None), err.status_code
    flash(_("Saved %(name)s.", name=store.name), "success")
    return redirect(url_for("admin.store_list"), code=303)


@bp.route("/stores/new", methods=["GET", "POST"])
@role_required("owner")
def store_new():
    """Add a store."""
    form = StoreForm()
    if request.method == "POST":
        return _save(Store(), form)
    return render_template("admin/store_form.html", form=form, store=None)


@bp.route("/stores/<int:store_id>", methods=["GET", "POST"])
@role_required("owner")
def store_edit(store_id: int):
    """Edit a store (close it instead of deleting: orders and customers stay bound to it)."""
    store = service.get_store(db.session, store_id)
    if request.method == "POST":
        return _save(store, StoreForm())
    form = StoreForm(obj=store, formdata=None)
    form.latitude.data, form.longitude.data = f"{store.latitude:.6f}", f"{store.longitude:.6f}"
    return render_template("admin/store_form.html", form=form, store=store)


@bp.route("/stores/shares", methods=["GET", "POST"])
@role_required("owner")
def store_shares():
    """The revenue-share percentages for stores and sellers."""
    form = SharesForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.save_shares(
                db.session, form.store_share.basis_points, form.seller_share.basis_points, current_user.id, utcnow()
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form.seller_share.errors.append(err.message)
            return render_template("admin/store_shares.html", form=form), err.status_code
        flash(_("Revenue shares saved."), "success")
        return redirect(url_for("admin.store_report"), code=303)
    if request.method == "POST":
        status = 422
    else:
        settings = service.get_shares(db.session)
        form.store_share.data, form.seller_share.data = format_rate(settings.store_bp), format_rate(settings.seller_bp)
    return render_template("admin/store_shares.html", form=form), status


def _period() -> tuple[datetime, datetime, str, str, str | None]:
    """The report period from ?from=&to= (inclusive days in the shop's zone); default the last 30 days."""
    zone = ZoneInfo(str(get_timezone()))
    raw_from, raw_to = request.args.get("from", "")[:10], request.args.get("to", "")[:10]
    day_from, day_to = parse_day(raw_from), parse_day(raw_to)
    error = None
    if (raw_from and not day_from) or (raw_to and not day_to):
        error = _("Dates must look like 2026-01-31.")
    today = utcnow().date()
    day_to = day_to or today
    day_from = day_from or day_to - timedelta(days=DEFAULT_DAYS - 1)
    if day_from > day_to:
        error, day_from = _("The start date must be before the end date."), day_to - timedelta(days=DEFAULT_DAYS - 1)
    start = utc_midnight(day_from, zone) or datetime.min
    end = (utc_midnight(day_to + timedelta(days=1), zone) if day_to.year < 9999 else None) or datetime.max
    return start, end, day_from.isoformat(), day_to.isoformat(), error


@bp.get("/stores/report")
@role_required("owner")
def store_report():
    """Turnover and shares per store, seller and channel for a period."""
    start, end, day_from, day_to, error = _period()
    data = reports.revenue_report(db.session, start, end)
    return render_template(
        "admin/stores_report.html",
        data=data,
        day_from=day_from,
        day_to=day_to,
        error=error,
        channel_labels=reports.CHANNEL_LABELS,
        format_rate=format_rate,
    ), (400 if error else 200)


@bp.get("/stores/report.csv")
@role_required("owner")
def store_report_csv():
    """The report as CSV: one line per store, seller and channel (text cells formula-safe)."""
    start, end, day_from, day_to, error = _period()
    if error:
        return Response(error, status=400, mimetype="text/plain")
    data = reports.revenue_report(replica.reads(), start, end)  # the read replica when set
    currency = current_app.config["SHOP_CURRENCY"]
    money = lambda value: "" if value is None else format_amount_plain(value, currency)  # noqa: E731
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(reports.CSV_HEADER)
    for table, rows in (("store", data.by_store), ("seller", data.by_seller), ("channel", data.by_channel)):
        for row in rows:
            writer.writerow(
                [
                    table,
                    row.key,
                    csv_safe(row.label),
                    row.orders,
                    money(row.turnover),
                    money(row.share),
                    money(row.commission),
                ]
            )
    filename = f"revenue-share-{day_from}-{day_to}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"}
    )
