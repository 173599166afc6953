"""Admin: the owner's limits against stock hoarding through cash orders (Admin > Order limits)."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..orders import limits
from .forms import OrderLimitsForm
from .views import bp


@bp.route("/order-limits", methods=["GET", "POST"])
@role_required("owner")
def order_limits():
    """Show and save the limits; a refused value is shown again with its message (422)."""
    form = OrderLimitsForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(form), 422
        try:
            limits.save_limits(db.session, form.values(), current_user.id, utcnow())
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form.max_units_per_order.errors = [*form.max_units_per_order.errors, err.message]
            return _page(form), err.status_code
        flash(_("Order limits saved."), "success")
        return redirect(url_for("admin.order_limits"), code=303)
    for name, value in asdict(limits.current_limits(db.session, current_app.config)).items():
        getattr(form, name).data = str(value)
    return _page(form)


def _page(form: OrderLimitsForm) -> str:
    """The settings page with the built-in defaults for reference."""
    return render_template("admin/order_limits.html", form=form, defaults=limits.config_defaults(current_app.config))
