"""Admin: customers (one per phone, else email). Staff may read the list and a customer's page;
only the owner exports, writes notes and tags, and records consent given or withdrawn in person."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.guards import role_required
from ..catalog.rules import parse_page
from ..clock import utcnow
from ..core import replica
from ..core.csv import csv_safe
from ..customers import queries
from ..customers import service as customers
from ..customers.models import CONSENT_CHANNELS, Customer
from ..customers.rules import SEGMENTS
from ..domain import DomainError
from ..extensions import db
from ..money import format_amount_plain
from .views import bp

PER_PAGE = 25
CSV_LIMIT = 100_000
CHANNEL_LABELS = {"email": _l("Email"), "push": _l("Push notifications"), "whatsapp": _l("WhatsApp or SMS")}
SORT_LABELS = {"last": _l("Last order"), "spend": _l("Spend"), "orders": _l("Orders")}


@bp.get("/customers")
def customer_list():
    """Customers: search, filters, sort, pages (cards on a phone, a table from tablet width)."""
    wanted = queries.CustomerFilter.from_args(request.args)
    page = parse_page(request.args.get("page"))
    items, total = queries.page_of(db.session, wanted, page, PER_PAGE)
    return render_template(
        "admin/customers.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        wanted=wanted,
        choices=queries.choices(db.session),
        segments=SEGMENTS,
        segment_labels={key: _(label) for key, label, _advice in SEGMENTS},
        channels=CHANNEL_LABELS,
        sorts=SORT_LABELS,
    )


@bp.get("/customers.csv")
@role_required("owner")
def customer_csv():
    """The filtered list as CSV (every cell made safe for spreadsheets)."""
    wanted = queries.CustomerFilter.from_args(request.args)
    currency = current_app.config["SHOP_CURRENCY"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "name", "phone", "email", "city", "region", "country", "orders", "spend", "first_order", "last_order"]
        + ["rfm_segment", "seller_id", "offers_email", "offers_push", "offers_whatsapp"]
    )
    for c in replica.reads().scalars(queries.filtered(wanted).limit(CSV_LIMIT)):  # the read replica when set
        writer.writerow(
            [c.id, csv_safe(c.name), csv_safe(c.phone), csv_safe(c.email), csv_safe(c.city), csv_safe(c.region)]
            + [c.country, c.orders_count, format_amount_plain(c.spend, currency)]
            + [_iso(c.first_order_at), _iso(c.last_order_at), c.rfm_segment, c.seller_id or ""]
            + ["yes" if getattr(c, f"marketing_{ch}") else "no" for ch in ("email", "push", "whatsapp")]
        )
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=customers.csv"}
    )


def _iso(value) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    return customer


def _detail_page(customer: Customer, error: str | None = None, status: int = 200, **kept):
    """The customer's page (a refused form says why, its text kept)."""
    html = render_template(
        "admin/customer.html",
        customer=customer,
        facts=queries.facts(db.session, customer),
        segment_labels={key: _(label) for key, label, _advice in SEGMENTS},
        channels=CHANNEL_LABELS,
        error=error,
        kept=kept,
    )
    return html, status


@bp.get("/customers/<int:customer_id>")
def customer_detail(customer_id: int):
    """One customer: orders, figures, store, seller, reviews, requests, tags, notes, consent."""
    return _detail_page(_customer(customer_id))


def _write(customer_id: int, action, done: str, **kept):
    """Run one owner change in one commit; a refused one re-shows the page saying why (nothing changed)."""
    customer = _customer(customer_id)
    try:
        action(customer)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _detail_page(_customer(customer_id), err.message, err.status_code, **kept)
    flash(done, "success")
    return redirect(url_for("admin.customer_detail", customer_id=customer_id), code=303)


@bp.post("/customers/<int:customer_id>/note")
@role_required("owner")
def customer_note(customer_id: int):
    """Save the owner's private note."""
    note = request.form.get("note", "")[:20_000]
    return _write(
        customer_id, lambda c: customers.save_note(db.session, c, note, utcnow()), _("Note saved."), note=note
    )


@bp.post("/customers/<int:customer_id>/tags")
@role_required("owner")
def customer_tag_add(customer_id: int):
    """Put a tag on the customer."""
    tag = request.form.get("tag", "")[:200]
    return _write(customer_id, lambda c: customers.add_tag(db.session, c.id, tag), _("Tag added."), tag=tag)


@bp.post("/customers/<int:customer_id>/tags/remove")
@role_required("owner")
def customer_tag_remove(customer_id: int):
    """Take a tag off the customer."""
    tag = request.form.get("tag", "")[:200]
    return _write(customer_id, lambda c: customers.remove_tag(db.session, c.id, tag), _("Tag removed."))


@bp.post("/customers/<int:customer_id>/consent")
@role_required("owner")
def customer_consent(customer_id: int):
    """Record an opt-out, or an opt-in the customer gave in person (with a note of how)."""
    channel = request.form.get("channel", "")
    granted = request.form.get("granted") == "1"
    note = request.form.get("note", "")[:500]
    if channel not in CONSENT_CHANNELS:
        channel = ""

    def change(c: Customer) -> None:
        customers.set_consent_by_staff(db.session, c.id, channel, granted, note, utcnow())

    done = _("Consent recorded.") if granted else _("Opt-out recorded.")
    return _write(customer_id, change, done, consent_note=note, consent_channel=channel)
