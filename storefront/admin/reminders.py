"""Admin: the automatic reminders' switches and settings, and what they queued, sent and earned (owner only)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..reminders import report, rules, service
from .views import bp


@bp.route("/reminders", methods=["GET", "POST"])
@role_required("owner")
def reminders():
    """The reminder settings form (bad input re-shown with its message) and the last 30 days' figures."""
    error, status = None, 200
    if request.method == "POST":
        try:
            settings = rules.parse_settings(request.form)
            service.save_settings(db.session, settings, current_user.id, utcnow())
            db.session.commit()
            flash(_("Reminder settings saved."), "success")
            return redirect(url_for("admin.reminders"), code=303)
        except DomainError as err:
            db.session.rollback()
            error, status = err.message, err.status_code
    if error is None:
        saved = service.load_settings(db.session)
        values = {**vars(saved), "lapse_factor": rules.factor_text(saved.lapse_factor_pct)}
    else:  # what the owner typed, to correct
        values = {name: request.form.get(name, "")[:60] for name in _FIELDS}
        values.update({name: request.form.get(name) == "1" for name in _SWITCHES})
    figures = report.figures(db.session, utcnow())
    html = render_template(
        "admin/reminders.html",
        values=values,
        error=error,
        figures=figures,
        currency=current_app.config["SHOP_CURRENCY"],
        labels=_labels(),
    )
    return html, status


_FIELDS = ("cart_hours", "lapse_factor", "lapse_min_days", "lapse_code")
_SWITCHES = ("cart_on", "lapse_on", "push_on", "email_on")


def _labels() -> dict[str, str]:
    """Each report row's name in the owner's language."""
    return {
        "cart": _("Cart waiting"),
        "lapse": _("Lapsed customer"),
        "back_in_stock": _("Back in stock"),
    }
