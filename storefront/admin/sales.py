"""Admin: limited-time sales (owner only): the product page's "Sale" section, /admin/sales and "End now".

Start and end are typed in the shop's time zone (<input type="datetime-local">) and stored as UTC;
the rules (price never above the regular one, no overlap, a real end) are catalog.sale_rules'.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired

from ..auth.guards import role_required
from ..catalog import sale_rules
from ..catalog import sales as catalog_sales
from ..catalog import service as catalog
from ..clock import utcnow
from ..core.forms import MAX_AMOUNT_MINOR
from ..domain import DomainError
from ..extensions import db
from ..money import parse_amount
from .views import _shop_zone, bp

STATE_LABELS = {
    catalog_sales.RUNNING: _l("Running"),
    catalog_sales.UPCOMING: _l("Upcoming"),
    catalog_sales.ENDED: _l("Ended"),
}


class SaleForm(FlaskForm):
    """A new sale of a product or one of its variants."""

    variant_id = SelectField(_l("On sale"), coerce=int, default=0)
    kind = RadioField(
        _l("Discount"),
        choices=[(sale_rules.FIXED, _l("Sale price")), (sale_rules.PERCENT, _l("Percent off"))],
        default=sale_rules.FIXED,
        validators=[InputRequired(_l("Choose a sale price or a percent off."))],
    )
    amount = StringField(
        _l("Sale price or percent"), validators=[InputRequired(_l("Enter the sale price or the percent off."))]
    )
    starts_at = StringField(_l("Starts"), validators=[InputRequired(_l("Enter a date and time."))])
    ends_at = StringField(_l("Ends"), validators=[InputRequired(_l("Enter a date and time."))])

    def terms(self) -> sale_rules.SaleTerms | None:
        """The sale the form asks for, or None with each bad field's error set (call after validate)."""
        zone = _shop_zone()
        values = {}
        for name in ("starts_at", "ends_at"):
            try:
                values[name] = sale_rules.parse_local(getattr(self, name).data, zone)
            except DomainError as err:
                getattr(self, name).errors.append(err.message)
        value = self._amount()
        if value is None or len(values) < 2:
            return None
        return sale_rules.SaleTerms(
            self.kind.data, value, values["starts_at"], values["ends_at"], self.variant_id.data or None
        )

    def _amount(self) -> int | None:
        text = (self.amount.data or "").strip()
        if self.kind.data == sale_rules.PERCENT:
            if text.isascii() and text.isdigit() and len(text) <= 3:
                return int(text)
            self.amount.errors.append(_("Enter a whole percent, like 20."))
            return None
        try:
            minor = parse_amount(text, current_app.config["SHOP_CURRENCY"])
        except ValueError:
            minor = None
        if minor is None or not 0 <= minor <= MAX_AMOUNT_MINOR:
            self.amount.errors.append(_("Enter an amount like 12.50."))
            return None
        return minor


def sale_form_for(product, formdata=None) -> SaleForm:
    """The sale form of a product's edit page, its variant choices filled, prefilled with now and a week."""
    form = SaleForm(formdata=formdata, prefix="sale")
    form.variant_id.choices = [(0, _("The whole product (every variant)"))] + [
        (v.id, f"{v.sku} · {v.name}" if v.name else v.sku) for v in product.active_variants
    ]
    if formdata is None:
        zone, now = _shop_zone(), utcnow()
        form.starts_at.data = sale_rules.to_local(now, zone)
        form.ends_at.data = sale_rules.to_local(now.replace(second=0, microsecond=0) + timedelta(days=7), zone)
    return form


def sales_section(product, form: SaleForm | None = None, error: str | None = None) -> dict:
    """What the product page's "Sale" section shows: its form, its sales, and an error."""
    return {
        "sale_form": form or sale_form_for(product),
        "sale_rows": catalog_sales.sales_of_product(db.session, product, utcnow()),
        "sale_error": error,
        "sale_states": STATE_LABELS,
    }


@bp.post("/products/<int:product_id>/sales")
@role_required("owner")
def sale_add(product_id: int):
    """Create a sale of the product or one variant; bad input re-shows the product page with it."""
    product = catalog.product_by_id(db.session, product_id)
    if product is None:
        abort(404)
    form = sale_form_for(product, request.form)
    terms = form.terms() if form.validate() else None
    error = None
    if terms is not None:
        try:
            catalog_sales.create_sale(db.session, product.id, terms, utcnow())
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            error = err.message
        else:
            flash(_("The sale of %(title)s is saved.", title=product.title), "success")
            return redirect(url_for("admin.product_edit", product_id=product.id, _anchor="sale"), code=303)
    from .products import edit_page_for  # beside the product page it re-shows

    product = catalog.product_by_id(db.session, product_id)
    return edit_page_for(product, 422, **sales_section(product, form, error or _("Please check the sale's fields.")))


@bp.post("/sales/<int:sale_id>/end")
@role_required("owner")
def sale_end(sale_id: int):
    """End a sale now (an upcoming one is called off); back to the product or the sales list."""
    try:
        sale = catalog_sales.end_sale(db.session, sale_id, utcnow())
        db.session.commit()
    except DomainError:
        db.session.rollback()
        abort(404)
    flash(_("The sale has ended."), "success")
    if request.form.get("back") == "product":
        return redirect(url_for("admin.product_edit", product_id=sale.product_id, _anchor="sale"), code=303)
    return redirect(url_for("admin.sale_list"), code=303)


@bp.get("/sales")
@role_required("owner")
def sale_list():
    """Every sale: running, then upcoming, then the latest ended; filter by state."""
    state = request.args.get("state", "")
    state = state if state in catalog_sales.STATES else ""
    rows = catalog_sales.sales_for_admin(db.session, utcnow(), state or None)
    return render_template("admin/sales.html", rows=rows, state=state, labels=STATE_LABELS)
