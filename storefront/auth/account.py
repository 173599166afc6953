"""The signed-in account's own page at /account: change the password, sign out everywhere."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..clock import utcnow
from ..core.security import private_blueprint
from ..domain import DomainError
from ..extensions import db, login_manager
from . import sessions, signin, throttle
from .rules import is_seller
from .service import WRONG_CURRENT_PASSWORD, change_own_password

bp = Blueprint("account", __name__, url_prefix="/account")
private_blueprint(bp)


class PasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Please give your password.")), Length(max=200)]
    )
    new = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Please give a new password.")), Length(max=200)]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Please type the new password again.")),
            EqualTo("new", _l("The two new passwords differ.")),
        ],
    )


@bp.before_request
def _signed_in_only():
    """Any signed-in account (owner, staff or seller); others go to the login page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _page(form: PasswordForm, status: int = 200):
    """The account page with its two forms."""
    layout = "sellers/base.html" if is_seller(current_user.role) else "admin/base.html"
    devices = sessions.count_live(db.session, current_user.id, utcnow())
    return render_template("auth/account.html", layout=layout, form=form, devices=devices), status


@bp.get("/")
def account():
    """Who is signed in, on how many browsers, and the two forms."""
    return _page(PasswordForm(formdata=None))


@bp.post("/password")
def change_password():
    """Change the password; every other browser and remember-me token of the account is signed out."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    # The current password is checked like a sign-in: a borrowed, signed-in browser is no free oracle.
    now, keep = utcnow(), (signin.current_session_id(),)
    held = signin.claim_attempt(current_user.email, now)
    db.session.commit()  # counted before the password is checked, whatever happens next
    if not held.allowed:
        form.current.errors.append(_("Too many attempts. Please wait a little and try again."))
        response = make_response(_page(form, 429))
        response.headers["Retry-After"] = str(held.retry_after)
        return response
    try:
        ended = change_own_password(db.session, current_user, form.current.data, form.new.data, now, keep=keep)
    except DomainError as err:
        db.session.rollback()
        throttle.settle(db.session, held, err.template != WRONG_CURRENT_PASSWORD, now)
        db.session.commit()
        (form.current if err.template == WRONG_CURRENT_PASSWORD else form.new).errors.append(err.message)
        return _page(form, err.status_code)
    throttle.settle(db.session, held, True, now)
    db.session.commit()
    flash(_("Your password is changed. Other devices signed out: %(count)s.", count=ended), "success")
    return redirect(url_for("account.account"), code=303)


@bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    """End every session and remember-me token of the account, this browser's too (CSRF-checked POST)."""
    now = utcnow()
    sessions.revoke_all(db.session, current_user.id, now)
    signin.sign_out(now)
    db.session.commit()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"), code=303)
