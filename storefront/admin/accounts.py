"""Admin: accounts under /admin/accounts: every account, and disabling or re-enabling staff and sellers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..auth.service import DISABLEABLE_ROLES, accounts_for_owner, set_active
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from .views import bp


@bp.get("/accounts/")
@role_required("owner")
def account_list():
    """Owners, staff and sellers with their state; staff and sellers can be disabled."""
    return _list_page()


def _list_page(error: str | None = None, status: int = 200):
    return render_template(
        "admin/accounts.html", accounts=accounts_for_owner(db.session), disableable=DISABLEABLE_ROLES, error=error
    ), status


@bp.post("/accounts/<int:user_id>/state")
@role_required("owner")
def account_state(user_id: int):
    """Disable (signed out everywhere on its next request) or re-enable one staff or seller account."""
    wanted = request.form.get("active", "")
    if wanted not in ("0", "1"):
        return _list_page(_("Please choose to disable or enable the account."), 422)
    try:
        user = set_active(db.session, user_id, wanted == "1", current_user.id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _list_page(err.message, err.status_code)
    if user.active:
        flash(_("%(email)s can sign in again.", email=user.email), "success")
    else:
        flash(_("%(email)s is disabled and signed out everywhere.", email=user.email), "success")
    return redirect(url_for("admin.account_list"), code=303)
