"""Login and logout for the owner, staff and sellers (throttled, server-side sessions, safe `next=`)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..clock import utcnow
from ..core.security import private_blueprint, safe_next
from ..extensions import db
from . import signin, throttle
from .rules import home_endpoint, is_seller
from .service import authenticate

bp = Blueprint("auth", __name__)
private_blueprint(bp)


class LoginForm(FlaskForm):
    """Email and password."""

    email = StringField(_l("Email"), validators=[DataRequired(_l("Please give your email.")), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please give your password.")), Length(max=200)]
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


def _landing(role: str, next_url: str | None) -> str:
    """The safe `next=` page, else the account's home; sellers never land on an /admin page."""
    target = safe_next(next_url, url_for(home_endpoint(role)))
    if is_seller(role) and target.startswith("/admin"):
        return url_for(home_endpoint(role))
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; attempts are throttled per address and per account (429 with Retry-After)."""
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_landing(current_user.role, form.next.data))
        return _login_page(form, 200)
    if not form.validate_on_submit():
        return _login_page(form, 422)
    now, email = utcnow(), form.email.data
    held = signin.claim_attempt(email, now)
    db.session.commit()  # the attempt counts before the password is checked, whatever happens next
    if not held.allowed:
        form.password.errors.append(_("Too many attempts. Please wait a little and try again."))
        response = _login_page(form, 429)
        response.headers["Retry-After"] = str(held.retry_after)
        return response
    user = authenticate(db.session, email, form.password.data)
    throttle.settle(db.session, held, user is not None, now)
    if user is None:
        db.session.commit()
        form.password.errors.append(_("Wrong email or password."))
        return _login_page(form, 401)
    signin.sign_in(user, remember=form.remember.data, email=email, now=now)
    db.session.commit()
    return redirect(_landing(user.role, form.next.data), code=303)


def _login_page(form: LoginForm, status: int):
    """The login form (never stored by a cache)."""
    return current_app.make_response((render_template("auth/login.html", form=form), status))


@bp.post("/logout")
def logout():
    """Sign out (POST with CSRF, so a link elsewhere cannot sign you out); the session ends server-side."""
    signin.sign_out(utcnow())
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), code=303)
