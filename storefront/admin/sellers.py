"""Admin: sellers under /admin/sellers: the list, create/edit/disable, payouts, approving commissions, CSV export."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..catalog.service import categories
from ..clock import utcnow
from ..core.csv import csv_safe
from ..domain import DomainError
from ..extensions import db
from ..money import format_amount_plain
from ..sellers import accounts, invites, reports, rules, service
from .seller_forms import NewSellerForm, PayoutForm, SellerForm, parse_overrides, rate_field_name
from .views import bp


@bp.get("/sellers/")
@role_required("owner")
def seller_list():
    """Every seller with clicks, orders, revenue and commission owed."""
    return render_template("admin/sellers.html", rows=reports.owner_list(db.session, utcnow()))


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
    """The sellers list as CSV (text cells defused against spreadsheet formulas)."""
    currency = current_app.config["SHOP_CURRENCY"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(reports.CSV_HEADER)
    for row in reports.owner_list(db.session, utcnow()):
        seller = row.seller
        writer.writerow(
            [
                seller.code,
                csv_safe(seller.name),
                csv_safe(seller.user.email),
                "yes" if seller.active else "no",
                rules.format_rate(seller.commission_bp),
                row.clicks,
                row.clicks_30d,
                row.orders,
                format_amount_plain(row.revenue, currency),
                format_amount_plain(row.pending, currency),
                format_amount_plain(row.approved, currency),
                format_amount_plain(row.paid, currency),
            ]
        )
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=sellers.csv"}
    )


from . import seller_invites  # noqa: E402, F401  (its routes join the admin blueprint before it is registered)
