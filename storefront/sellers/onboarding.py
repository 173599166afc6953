"""Joining as a seller from an invite link: /join/<token> (public, never stored, rate-limited).

The form sets the new seller's sign-in, name, phone, photo and payout details. Submitting it uses
the invite (once: see invites.redeem) and makes a seller who waits for the owner's approval
(inactive: their links and page do not work yet) and is signed in at once to fill in their profile.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..auth import signin
from ..catalog.images import ImageRejected
from ..clock import utcnow
from ..core.ratelimit import too_many_answered
from ..core.security import private_blueprint
from ..domain import DomainError, NotFound
from ..extensions import db, limiter, rate_limits_off
from . import invites
from .profile_views import PayoutFields, forget_photo, read_photo

bp = Blueprint("join", __name__)
# The link is the key: never cached, never sent as a referrer, never indexed.
private_blueprint(bp, secret_urls=True)


def _rate_limit() -> str:
    """Join attempts per address (JOIN_RATE_LIMIT), so nobody can try tokens or passwords in bulk."""
    return current_app.config.get("JOIN_RATE_LIMIT", "20 per hour")


class JoinForm(PayoutFields, FlaskForm):
    """A new seller's own details."""

    email = StringField(
        _l("Email (to sign in)"), validators=[DataRequired(_l("Please give an email.")), Length(max=254)]
    )
    password = PasswordField(
        _l("Password (at least 10 characters)"),
        validators=[DataRequired(_l("Please choose a password.")), Length(max=200)],
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(_l("Please type the password again.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )
    name = StringField(
        _l("Your name (shown on your page)"), validators=[DataRequired(_l("Please give your name.")), Length(max=120)]
    )
    phone = StringField(_l("Phone"), validators=[Length(max=24)])


def _gone(err: DomainError):
    return render_template("sellers/join_gone.html", message=err.message), err.status_code


def _form_page(form: JoinForm, invite, status: int = 200, error: str | None = None):
    return render_template("sellers/join.html", form=form, invite=invite, error=error), status


@bp.get("/join/<token>")
def form(token: str):
    """The join form, or a page saying the link does not work (404 unknown, 410 used/expired/revoked)."""
    try:
        invite = invites.find_usable(db.session, token, utcnow())
    except DomainError as err:
        return _gone(err)
    return _form_page(JoinForm(formdata=None, data={"payout_method": "mobile"}), invite)


@bp.post("/join/<token>")
@too_many_answered(_l("Too many attempts. Please wait a little and try again."))
@limiter.limit(_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def submit(token: str):
    """Use the invite: one pending seller, signed in, sent to their profile; errors show the form again (422)."""
    now = utcnow()
    try:
        invite = invites.find_usable(db.session, token, now)
    except DomainError as err:
        return _gone(err)
    form = JoinForm()
    if not form.validate_on_submit():
        return _form_page(form, invite, 422, _("Please check the form."))
    if form.payout_method.data not in ("mobile", "bank"):
        form.payout_method.errors = [_("Please choose mobile money or a bank account.")]
        return _form_page(form, invite, 422, _("Please check the form."))
    key = None
    try:
        key = read_photo()
        joining = invites.Joining(
            email=form.email.data,
            password=form.password.data,
            name=form.name.data,
            phone=form.phone.data or "",
            payout_method=form.payout_method.data,
            payout_provider=form.payout_provider.data or "",
            payout_account_name=form.payout_account_name.data or "",
            payout_account_number=form.payout_account_number.data or "",
        )
        seller = invites.redeem(db.session, token, joining, now, photo_key=key)
        signin.sign_in(seller.user, remember=False, email=seller.user.email, now=now)
        db.session.commit()
    except (DomainError, ImageRejected) as err:
        db.session.rollback()
        forget_photo(key)
        if isinstance(err, invites.InviteGone | NotFound):
            return _gone(err)
        message = _(err.message) if isinstance(err, ImageRejected) else err.message
        return _form_page(form, invite, getattr(err, "status_code", 422), message)
    flash(_("Welcome! Your account is waiting for the owner's approval. Meanwhile, fill in your profile."), "info")
    return redirect(url_for("seller_profile.edit"), code=303)
