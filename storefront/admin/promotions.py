"""Admin > Discount codes (owner only): list with uses, create and edit, deactivate, bulk single-use codes as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Optional

from ..auth.guards import role_required
from ..catalog.models import Category, Product
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..money import format_amount_plain, parse_amount
from ..promotions import codes
from ..promotions.models import DiscountCode
from ..sellers.models import Seller
from .views import bp

MAX_SCOPE_CHOICES = 500


class CodeForm(FlaskForm):
    """A discount code's terms as the owner types them."""

    code = StringField(_l("Code"))
    kind = SelectField(
        _l("Takes off"),
        choices=[("percent", _l("A percent")), ("fixed", _l("An amount")), ("free_delivery", _l("The delivery fee"))],
    )
    value = StringField(_l("Percent or amount"))
    description = StringField(_l("Description shown to shoppers"))
    min_subtotal = StringField(_l("Minimum subtotal"))
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    max_uses = IntegerField(_l("Uses in total"), validators=[Optional()])
    max_per_customer = IntegerField(_l("Uses per customer"), validators=[Optional()])
    seller = SelectField(_l("Seller (orders with the code are credited to them)"), choices=[])
    products = SelectMultipleField(_l("Only these products"), choices=[], coerce=int, validate_choice=False)
    categories = SelectMultipleField(_l("Only these categories"), choices=[], coerce=int, validate_choice=False)
    active = BooleanField(_l("Active"), default=True)


class BulkForm(CodeForm):
    """Many single-use codes with one set of terms."""

    prefix = StringField(_l("Prefix"))
    count = IntegerField(_l("How many"), validators=[Optional()])


MIN_YEAR, MAX_YEAR = 2000, 2200  # dates a code can start and end on (and stay within datetime's range in any zone)


def _zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


def _instant(day: date | None, plus_days: int = 0) -> datetime | None:
    """Midnight of the shop's day as naive UTC (an end date counts through its whole day)."""
    if day is None:
        return None
    local = datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=_zone())
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _local_day(moment: datetime | None, minus_days: int = 0) -> date | None:
    if moment is None:
        return None
    return (moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(_zone()) - timedelta(days=minus_days)).date()


def _choices(form: CodeForm) -> CodeForm:
    """Fill the seller, product and category pickers."""
    sellers = db.session.scalars(
        select(Seller).where(Seller.active.is_(True)).options(joinedload(Seller.user)).order_by(Seller.code)
    )
    form.seller.choices = [("", _("No seller"))] + [(str(s.id), f"{s.name} ({s.code})") for s in sellers]
    products = select(Product.id, Product.title).order_by(Product.title).limit(MAX_SCOPE_CHOICES)
    form.products.choices = [(i, title) for i, title in db.session.execute(products)]
    categories = select(Category.id, Category.name).order_by(Category.name)
    form.categories.choices = [(i, name) for i, name in db.session.execute(categories)]
    return form


def _fields(form: CodeForm) -> codes.CodeFields:
    """The form's values as code fields; a value that does not parse raises CodeInvalid at its field."""
    currency = current_app.config["SHOP_CURRENCY"]
    kind = form.kind.data
    raw = (form.value.data or "").strip()
    value = 0
    try:
        if kind == "percent":
            number = Decimal(raw)
            if not number.is_finite() or abs(number) > 1000:
                raise ValueError(raw)
            value = int((number * 100).to_integral_value())
        elif kind == "fixed":
            value = parse_amount(raw, currency)
    except (InvalidOperation, DomainError, ValueError) as exc:
        raise codes.CodeInvalid("value", _("Enter a number like 10 or 12.50.")) from exc
    try:
        minimum = parse_amount(form.min_subtotal.data, currency) if (form.min_subtotal.data or "").strip() else 0
    except (DomainError, ValueError) as exc:
        raise codes.CodeInvalid("min_subtotal", _("Enter the amount like 12.50.")) from exc
    seller = form.seller.data
    for field in (form.starts_on, form.ends_on):
        if field.data is not None and not MIN_YEAR <= field.data.year <= MAX_YEAR:
            raise codes.CodeInvalid(
                field.name, _("Choose a date between %(low)s and %(high)s.", low=MIN_YEAR, high=MAX_YEAR)
            )
    return codes.CodeFields(
        code=form.code.data or "",
        kind=kind,
        value=value,
        description=form.description.data or "",
        min_subtotal=minimum,
        starts_at=_instant(form.starts_on.data),
        ends_at=_instant(form.ends_on.data, plus_days=1),
        max_uses=form.max_uses.data,
        max_per_customer=form.max_per_customer.data,
        active=bool(form.active.data),
        seller_id=int(seller) if seller and seller.isdigit() else None,
        product_ids=[p for p in form.products.data or [] if isinstance(p, int)],
        category_ids=[c for c in form.categories.data or [] if isinstance(c, int)],
    )


@bp.get("/promotions")
@role_required("owner")
def promotion_list():
    """Every code with its uses, orders, revenue and discount given."""
    return render_template("admin/promotions.html", rows=codes.codes_with_figures(db.session))


@bp.route("/promotions/new", methods=["GET", "POST"])
@role_required("owner")
def promotion_new():
    """Create a code; refused input is shown again as typed with the message at its field (422)."""
    return _edit(None)


@bp.route("/promotions/<int:code_id>", methods=["GET", "POST"])
@role_required("owner")
def promotion_edit(code_id: int):
    """Change a code's terms (its uses so far stay)."""
    code = db.session.get(DiscountCode, code_id)
    if code is None:
        abort(404)
    return _edit(code)


def _edit(code: DiscountCode | None):
    form = _choices(CodeForm())
    if not form.is_submitted() and code is not None:
        _load(form, code)
    if not form.is_submitted():
        return render_template("admin/promotion_form.html", form=form, code=code)
    error = None
    if form.validate():
        try:
            saved = codes.save_code(db.session, code, _fields(form), current_user.id, utcnow())
            text = saved.code
            db.session.commit()
            flash(_("Code %(code)s saved.", code=text), "success")
            return redirect(url_for("admin.promotion_list"), code=303)
        except codes.CodeInvalid as err:
            db.session.rollback()
            error = err.message
            form[err.field].errors = [err.message] if err.field in form else []
    else:
        error = _("Please check the fields marked below.")
    return render_template("admin/promotion_form.html", form=form, code=code, error=error), 422


def _load(form: CodeForm, code: DiscountCode) -> None:
    """Show a saved code's terms in the form."""
    currency = current_app.config["SHOP_CURRENCY"]
    form.code.data = code.code
    form.kind.data = code.kind
    if code.kind == "percent":
        form.value.data = str((Decimal(code.value) / 100).normalize())
    elif code.kind == "fixed":
        form.value.data = format_amount_plain(code.value, currency)
    form.description.data = code.description
    form.min_subtotal.data = format_amount_plain(code.min_subtotal, currency) if code.min_subtotal else ""
    form.starts_on.data = _local_day(code.starts_at)
    form.ends_on.data = _local_day(code.ends_at, minus_days=1)
    form.max_uses.data, form.max_per_customer.data = code.max_uses, code.max_per_customer
    form.seller.data = str(code.seller_id) if code.seller_id else ""
    form.products.data = [p.product_id for p in code.products]
    form.categories.data = [c.category_id for c in code.categories]
    form.active.data = code.active


@bp.post("/promotions/<int:code_id>/deactivate")
@role_required("owner")
def promotion_deactivate(code_id: int):
    """Switch a code off at once (orders placed with it keep their discount)."""
    code = db.session.get(DiscountCode, code_id)
    if code is not None:
        code.active = False
        text = code.code
        db.session.commit()
        flash(_("Code %(code)s switched off.", code=text), "success")
    return redirect(url_for("admin.promotion_list"), code=303)


@bp.route("/promotions/bulk", methods=["GET", "POST"])
@role_required("owner")
def promotion_bulk():
    """Generate N single-use codes with a prefix and download them as CSV."""
    form = _choices(BulkForm())
    if not form.is_submitted():
        return render_template("admin/promotion_bulk.html", form=form)
    error = _("Please check the fields marked below.")
    if form.validate():
        try:
            made = codes.generate_batch(
                db.session, form.prefix.data, form.count.data or 0, _fields(form), current_user.id, utcnow()
            )
            db.session.commit()
            return _csv(made, (form.prefix.data or "").strip().upper())
        except codes.CodeInvalid as err:
            db.session.rollback()
            error = err.message
            if err.field in form:
                form[err.field].errors = [err.message]
    return render_template("admin/promotion_bulk.html", form=form, error=error), 422


def _csv(made: list[str], prefix: str) -> Response:
    """The new codes, one per row, as a download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code"])
    writer.writerows([code] for code in made)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="codes-{prefix or "batch"}.csv"'},
    )
