"""Login and logout for the owner and staff (rate-limited, safe `next=`)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..core.security import safe_next
from ..extensions import db, limiter
from .rules import home_endpoint, is_seller
from .service import authenticate

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Email and password."""

    email = StringField(_l("Email"), validators=[DataRequired(_l("Please give your email.")), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please give your password.")), Length(max=200)]
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


def _login_limit() -> str:
    """The configured limit on login attempts per address."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _landing(role: str, next_url: str | None) -> str:
    """The safe `next=` page, else the account's home; sellers never land on an /admin page."""
    target = safe_next(next_url, url_for(home_endpoint(role)))
    if is_seller(role) and target.startswith("/admin"):
        return url_for(home_endpoint(role))
    return target


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in; failed attempts are limited per address (429 past the limit)."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_landing(current_user.role, form.next.data))
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(_landing(user.role, form.next.data), code=303)
        form.password.errors.append(_("Wrong email or password."))
        status = 401
    elif request.method == "POST":
        status = 422
    return _no_store(current_app.make_response((render_template("auth/login.html", form=form), status)))


@bp.post("/logout")
def logout():
    """Sign out (POST with CSRF, so a link elsewhere cannot sign you out)."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), code=303)
