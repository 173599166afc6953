"""Admin: stock levels, manual adjustments, the ledger, low stock, CSV export and import."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.guards import role_required
from ..catalog import service as catalog
from ..catalog.models import Variant
from ..clock import utcnow
from ..core.csv import csv_safe
from ..core.inputs import parse_id
from ..core.security import is_safe_next
from ..domain import DomainError
from ..extensions import db
from ..inventory import service as inventory
from ..inventory.rules import CSV_HEADER, REASONS, SYSTEM_REASONS, parse_stock_csv
from .forms import StockAdjustForm, StockFilterForm, StockImportForm
from .views import bp

MAX_CSV_BYTES = 2 * 1024 * 1024
PER_PAGE = 20  # about six phone screens of cards: short enough to find a card, long enough to scan
# The reasons of the adjust form, for templates/admin/_variant_stock.html (which gets nothing but `v`).
REASON_CHOICES = [(key, _l(label)) for key, label in REASONS.items()]
_PRODUCT_PAGE = re.compile(r"/admin/products/[1-9][0-9]{0,9}")


@bp.context_processor
def _stock_reasons() -> dict:
    """Every admin page may show a stock adjust form (the product page does, per variant)."""
    return {"stock_reasons": REASON_CHOICES}


def _stock_filters() -> tuple[StockFilterForm, inventory.StockFilter, dict[str, str]]:
    """The search and filters from the query string: the form to show, the filter, the args to keep in links."""
    form = StockFilterForm(request.args)
    form.category.choices = [("", _("All categories"))] + [(str(c.id), c.name) for c in catalog.categories(db.session)]
    query = (form.q.data or "").strip()[:100]
    category_id = parse_id(form.category.data or "")
    wanted = inventory.StockFilter(
        query=query, low=bool(form.low.data), sold_out=bool(form.sold_out.data), category_id=category_id
    )
    args = {"q": query, "low": "1" if wanted.low else "", "sold_out": "1" if wanted.sold_out else ""}
    args["category"] = str(category_id) if category_id else ""
    return form, wanted, {key: value for key, value in args.items() if value}


def _stock_page(status: int = 200, **extra):
    """One page of variant cards matching the search and filters, with any refused change shown on its card."""
    filters, wanted, args = _stock_filters()
    listing = inventory.find_stock(db.session, wanted, parse_id(request.args.get("page", "")) or 1, PER_PAGE)
    variants = list(listing.items)
    refused = extra.get("error_variant")
    if refused is not None and all(v.id != refused for v in variants):
        # Sent from a page that no longer lists it (another page, the product page): show it first.
        variant = db.session.get(Variant, refused)
        if variant is not None:
            variants.insert(0, variant)
    here = {**args, **({"page": str(listing.page)} if listing.page > 1 else {})}
    return render_template(
        "admin/stock.html",
        variants=variants,
        listing=listing,
        filters=filters,
        args=args,
        here=here,
        low_only=wanted.low,
        form=extra.pop("form", StockAdjustForm(formdata=None)),
        **extra,
    ), status


@bp.get("/stock")
def stock():
    """Stock per variant as cards: search, low / sold out / category filters (`?low=1` as before), pages."""
    return _stock_page()


@bp.post("/stock/<int:variant_id>/adjust")
def stock_adjust(variant_id: int):
    """Change one variant's stock with a reason; recorded in the ledger.

    The form's action carries the stock page's filters, so a refused change re-shows that same
    page with the error and the typed values on the variant's card (4xx, nothing changed).
    """
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


def is_stock_return(target: str | None) -> bool:
    """True for a page an adjust form may return to: the stock pages or one admin product page, this site only."""
    if not is_safe_next(target):
        return False
    path = urlsplit(target).path
    return path == "/admin/stock" or path.startswith("/admin/stock/") or _PRODUCT_PAGE.fullmatch(path) is not None


def _back_to_stock() -> str:
    """The form's `next` (stock list or product page, anchor kept), else the stock page it was sent from."""
    fallback = url_for("admin.stock")
    wanted = request.form.get("next", "")
    if is_stock_return(wanted):
        return wanted
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/admin/stock"):
        return fallback
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return back if is_safe_next(back) else fallback


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
