"""Admin > Segments (/admin/segments): the owner builds, counts, saves and exports live customer segments.

Owner only: a segment lists customers' names, phones and emails for marketing. The builder is
one form: its criteria come from the query args (prefill links such as
/admin/segments/new?bought_products=12, the contract of segments.rules) or from the saved
segment; "Count" re-renders the page with the count (no JavaScript needed), "Save" saves. The form
posts (with its CSRF token) so the token never lands in an address; segments.js asks the JSON
count endpoint (a GET of the same criteria) as the owner changes them. Counts, member lists and the
CSV read from the read replica when DATABASE_REPLICA_URL is set (core.replica); the saved segments
themselves come from the primary, so one just saved is there at once.
"""

from __future__ import annotations

import csv
import io

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from ..auth.guards import role_required
from ..catalog.rules import parse_page
from ..clock import utcnow
from ..core import replica
from ..core.csv import csv_safe
from ..core.templating import money
from ..domain import DomainError
from ..extensions import db
from ..segments import rules
from ..segments import service as segments
from .views import bp

PER_PAGE = 50


def _summary(definition: dict, choices: segments.Choices) -> list[str]:
    """The definition's conditions as short translated phrases."""
    return rules.summary(definition, _, segments.name_lookup(choices), money)


@bp.get("/segments")
@role_required("owner")
def segment_list():
    """The saved segments, each with its conditions and its live count."""
    now, choices = utcnow(), segments.choices(db.session)
    rows = []
    for segment in segments.all_segments(db.session):
        definition = segments.definition_of(segment)
        rows.append((segment, _summary(definition, choices), segments.count(replica.reads(), definition, now)))
    return render_template("admin/segments.html", rows=rows)


@bp.route("/segments/new", methods=["GET", "POST"])
@role_required("owner")
def segment_new():
    """The builder for a new segment, prefilled from the query args."""
    return _builder(None)


@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@role_required("owner")
def segment_edit(segment_id: int):
    """The builder for a saved segment (query args, when given, replace its criteria)."""
    return _builder(segments.get_segment(db.session, segment_id))


def _has_criteria(args: MultiDict) -> bool:
    """Whether the args hold any definition key (a prefill link), not just e.g. a page number."""
    return any(key in args for key in rules.KEYS)


def _builder(segment):
    """Show (GET), count (POST action=count) or save (POST action=save) the builder's criteria."""
    source = request.form if request.method == "POST" else request.args
    name = source.get("name", segment.name if segment else "")
    error = field = None
    try:
        if request.method == "GET" and segment is not None and not _has_criteria(source):
            definition = segments.definition_of(segment)
        else:
            definition = rules.parse_args(source)
    except DomainError as err:
        definition, error, field = {}, err.message, getattr(err, "field", None)
    if request.method == "POST" and source.get("action") == "save" and error is None:
        try:
            saved = segments.save_segment(
                db.session, segment.id if segment else None, name, definition, current_user.id, utcnow()
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            error, field = err.message, getattr(err, "field", None)
        else:
            flash(_("Segment “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("admin.segment_members", segment_id=saved.id), code=303)
    status = 422 if error else 200
    return _builder_page(segment, name, source, definition, error, field), status


def _builder_page(segment, name: str, source, definition: dict, error: str | None, field: str | None) -> str:
    """The builder with the criteria as submitted (kept even when refused) and the live count."""
    choices = segments.choices(db.session)
    shown = _shown(definition) if error is None else _raw_values(source)
    return render_template(
        "admin/segment_form.html",
        segment=segment,
        name=name,
        values=shown,
        error=error,
        error_field=field,
        count=None if error else segments.count(replica.reads(), definition, utcnow()),
        summary=[] if error else _summary(definition, choices),
        choices=choices,
        rfm=rules.RFM_SEGMENTS,
        consent=rules.CONSENT,
        action=url_for("admin.segment_edit", segment_id=segment.id) if segment else url_for("admin.segment_new"),
    )


def _shown(definition: dict) -> dict:
    """The form's values: numbers as text, lists as sets of text (what the template compares)."""
    values: dict = {}
    for key in rules.KEYS:
        value = definition.get(key)
        if key in rules.INT_FIELDS:
            values[key] = "" if value is None else str(value)
        else:
            values[key] = {str(item) for item in value or ()}
    return values


def _raw_values(source) -> dict:
    """The submitted values as typed, to re-show a refused form in the same shape as _shown."""
    values: dict = {}
    for key in rules.KEYS:
        if key in rules.INT_FIELDS:
            values[key] = (source.get(key) or "")[:20]
        else:
            values[key] = {v[:100] for v in source.getlist(key)[: rules.MAX_ITEMS]}
    return values


@bp.get("/segments/count.json")
@role_required("owner")
def segment_count():
    """The count and summary of the criteria in the query args (the builder's live count)."""
    try:
        definition = rules.parse_args(request.args)
    except DomainError as err:
        return jsonify(error=err.message, field=getattr(err, "field", None)), 422
    number = segments.count(replica.reads(), definition, utcnow())
    return jsonify(
        count=number,
        label=ngettext("%(num)s customer", "%(num)s customers", number),
        summary=_summary(definition, segments.choices(db.session)),
    )


@bp.get("/segments/<int:segment_id>")
@role_required("owner")
def segment_members(segment_id: int):
    """The segment's customers now, a page at a time, with links to each customer."""
    segment = segments.get_segment(db.session, segment_id)
    definition, now, page = segments.definition_of(segment), utcnow(), parse_page(request.args.get("page"))
    total = segments.count(replica.reads(), definition, now)
    customers = segments.members(replica.reads(), definition, now, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render_template(
        "admin/segment_members.html",
        segment=segment,
        summary=_summary(definition, segments.choices(db.session)),
        customers=customers,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        customer_url=_customer_url,
    )


def _customer_url(customer_id: int) -> str:
    """The customer's admin page (made by the customers work): its endpoint when present, else its path."""
    try:
        return url_for("admin.customer_detail", customer_id=customer_id)
    except BuildError:  # the customers page is not merged yet: its planned path
        return f"/admin/customers/{customer_id}"


CSV_HEADER = ("id", "name", "phone", "email", "city", "region", "orders", "spend", "last_order_at", "rfm_segment")


@bp.get("/segments/<int:segment_id>/export.csv")
@role_required("owner")
def segment_export(segment_id: int):
    """Every member of the segment as CSV (spend in minor units; text made inert for spreadsheets)."""
    segment = segments.get_segment(db.session, segment_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for c in segments.members(replica.reads(), segments.definition_of(segment), utcnow(), limit=None):
        writer.writerow(
            [
                c.id,
                csv_safe(c.name),
                csv_safe(c.phone),
                csv_safe(c.email),
                csv_safe(c.city),
                csv_safe(c.region),
                c.orders_count,
                c.spend,
                c.last_order_at.isoformat(timespec="seconds") if c.last_order_at else "",
                c.rfm_segment,
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=segment-{segment.id}.csv"},
    )


@bp.route("/segments/<int:segment_id>/delete", methods=["GET", "POST"])
@role_required("owner")
def segment_delete(segment_id: int):
    """Confirm, then delete a saved segment (no customer is changed)."""
    segment = segments.get_segment(db.session, segment_id)
    if request.method == "GET":
        return render_template(
            "admin/product_confirm.html",
            title=_("Delete the segment “%(name)s”?", name=segment.name),
            text=_("Only the saved filter goes; no customer is changed."),
            action=url_for("admin.segment_delete", segment_id=segment.id),
            button=_("Delete the segment"),
            back=url_for("admin.segment_members", segment_id=segment.id),
        )
    name = segment.name
    segments.delete_segment(db.session, segment_id)
    db.session.commit()
    flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("admin.segment_list"), code=303)
