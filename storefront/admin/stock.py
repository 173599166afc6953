"""Admin: stock levels, manual adjustments, the ledger, low stock, CSV export and import."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..catalog.models import Variant
from ..clock import utcnow
from ..core.csv import csv_safe
from ..core.inputs import parse_id
from ..core.security import safe_next
from ..domain import DomainError
from ..extensions import db
from ..inventory import service as inventory
from ..inventory.rules import CSV_HEADER, REASONS, SYSTEM_REASONS, parse_stock_csv
from .forms import StockAdjustForm, StockImportForm
from .views import bp

MAX_CSV_BYTES = 2 * 1024 * 1024


def _stock_page(status: int = 200, **extra):
    """The stock table (all variants, or only low stock), with any form error shown."""
    low_only = request.args.get("low") == "1"
    variants = inventory.low_stock_variants(db.session) if low_only else inventory.stock_rows(db.session)
    return render_template(
        "admin/stock.html",
        variants=variants,
        low_only=low_only,
        form=extra.pop("form", StockAdjustForm(formdata=None)),
        **extra,
    ), status


@bp.get("/stock")
def stock():
    """Stock per variant; `?low=1` lists only those at or under their threshold."""
    return _stock_page()


@bp.post("/stock/<int:variant_id>/adjust")
def stock_adjust(variant_id: int):
    """Change one variant's stock with a reason; recorded in the ledger."""
    form = StockAdjustForm()
    if db.session.get(Variant, variant_id) is None:
        return _stock_page(404, form=form, error=_("That variant does not exist."))
    if not form.validate_on_submit():
        return _stock_page(422, form=form, error_variant=variant_id)
    try:
        after = inventory.adjust_stock(
            db.session, variant_id, form.delta.data, form.reason.data, utcnow(), current_user.id, form.note.data or ""
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.delta.errors.append(err.message)
        return _stock_page(err.status_code, form=form, error_variant=variant_id)
    flash(_("Stock is now %(count)s.", count=after), "success")
    return redirect(_back_to_stock(), code=303)


def _back_to_stock() -> str:
    """The stock page the form was sent from (this site only, never another host), else the stock list."""
    fallback = url_for("admin.stock")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/admin/stock"):
        return fallback
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""), fallback)


@bp.get("/stock/ledger")
def stock_ledger():
    """The latest stock movements, optionally for one variant (an unknown or malformed one is a 404)."""
    raw = request.args.get("variant", "")
    variant = None
    if raw:
        variant_id = parse_id(raw)
        variant = db.session.get(Variant, variant_id) if variant_id else None
        if variant is None:
            abort(404)
    labels = {**REASONS, **SYSTEM_REASONS}
    return render_template(
        "admin/ledger.html",
        movements=inventory.ledger(db.session, variant.id if variant else None),
        variant=variant,
        labels=labels,
    )


@bp.get("/stock/export.csv")
def stock_export():
    """Every variant's stock as CSV (the import takes the same file back)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for v in inventory.stock_rows(db.session):
        writer.writerow(
            [
                v.sku,
                csv_safe(v.product.title),
                csv_safe(v.name),
                v.on_hand,
                v.reserved,
                v.available,
                v.low_stock_threshold,
            ]
        )
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=stock.csv"}
    )


@bp.route("/stock/import", methods=["GET", "POST"])
@role_required("owner")
def stock_import():
    """Set stock levels from a CSV: every row is checked first, then all applied or none."""
    form = StockImportForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/stock_import.html", form=form), status
    raw = form.file.data.stream.read(MAX_CSV_BYTES + 1)
    try:
        if len(raw) > MAX_CSV_BYTES:
            raise DomainError(_("The file is larger than 2 MB."))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DomainError(_("The file must be UTF-8 encoded CSV.")) from exc
        changed = inventory.import_stock_levels(db.session, parse_stock_csv(text), utcnow(), current_user.id)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.file.errors.append(err.message)
        return render_template("admin/stock_import.html", form=form), err.status_code
    flash(_("Imported: %(count)s variants changed.", count=changed), "success")
    return redirect(url_for("admin.stock"), code=303)
