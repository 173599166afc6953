"""Notification pages: a device signing up for push, and a shopper's email choices (by signed link).

Every page here is personal (its link or the signed-in account is the key): none is cached or kept
offline by the service worker, and links whose token is the key never leak as a referrer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..clock import utcnow
from ..core.security import accepts_json, private_blueprint
from ..domain import DomainError, Invalid, NotFound
from ..extensions import csrf, db, limiter, rate_limits_off
from ..orders import service as orders
from . import links, service, webpush

log = logging.getLogger(__name__)

# Per client address: a household's few browsers and orders, far too few to collect endpoints.
PUSH_RATE_LIMIT = "30 per hour"

bp = Blueprint("notify", __name__, url_prefix="/notify")
private_blueprint(bp, secret_urls=True)


@bp.app_context_processor
def _push_globals() -> dict:
    """`push_public_key()` in every template: the VAPID key a page's push button subscribes with."""
    return {"push_public_key": _push_public_key}


def _push_public_key() -> str:
    """The shop's VAPID public key (base64url), or "" when none can be made (push buttons then stay hidden)."""
    try:
        return webpush.public_key(current_app.config)
    except webpush.VapidKeyError:
        log.exception("no Web Push key: push buttons are hidden")
        return ""


# -- push -----------------------------------------------------------------------------------------


def _push_rate_limit() -> str:
    """The limit in force per address (setting PUSH_RATE_LIMIT, else PUSH_RATE_LIMIT above)."""
    return current_app.config.get("PUSH_RATE_LIMIT") or PUSH_RATE_LIMIT


def _too_many_as_json(view: Callable) -> Callable:
    """Answer a breached limit in the endpoint's own JSON shape (429), which notify.js shows."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except RateLimitExceeded:
            db.session.rollback()
            message = _("Too many sign-ups for notifications from this address. Please try again later.")
            return jsonify(ok=False, message=message), 429

    return wrapper


@bp.post("/push")
@accepts_json
@_too_many_as_json
@limiter.limit(_push_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def push_subscribe():
    """Keep this device for an order, a back-in-stock request or the signed-in account (JSON in and out)."""
    data = request.get_json(silent=True)
    try:
        target = service.parse_subscription(data.get("subscription") if isinstance(data, dict) else None)
        owner, done = _owner(data)
        service.subscribe(db.session, target, owner, str(get_locale()), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return jsonify(ok=False, message=err.message), err.status_code
    return jsonify(ok=True, message=done), 201


@bp.post("/push/remove")
@accepts_json
def push_unsubscribe():
    """Forget this device for that owner (the page's "stop" button, or the browser dropped it)."""
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return jsonify(ok=False, message=_("That browser subscription is not valid.")), 400
    try:
        owner, _done = _owner(data)
    except DomainError as err:
        return jsonify(ok=False, message=err.message), err.status_code
    service.unsubscribe(db.session, endpoint[: service.ENDPOINT_CHARS], owner)
    db.session.commit()
    return jsonify(ok=True, message=_("This device will not be told any more.")), 200


def _owner(data: dict) -> tuple[service.Owner, str]:
    """Whom the device follows (from the request's JSON), and what to tell the shopper it will hear."""
    if "order" in data:
        token = data.get("order")
        order = orders.find_order(db.session, token if isinstance(token, str) else "")
        return service.Owner(order_id=order.id), _("Done: this device will be told as your order moves on.")
    if "watch" in data:
        token = data.get("watch")
        watch = service.find_watch(db.session, token if isinstance(token, str) else "")
        if watch.cancelled_at is not None or watch.notified_at is not None:
            raise NotFound(_("That request is closed."))
        return service.Owner(watch_id=watch.id), _("Done: this device will be told when it is back.")
    if data.get("account") is True:
        if not current_user.is_authenticated:
            abort(401)
        return service.Owner(user_id=current_user.id), _("Done: this device gets your alerts.")
    raise Invalid(_("Say what this device should be told about."))


# -- email choices (signed links from the emails) ------------------------------------------------


@bp.route("/email/<token>", methods=["GET", "POST"])
def email_preferences(token: str):
    """What email an address gets: its order news, and anything else (back in stock)."""
    email = links.email_of(token)
    if email is None:
        abort(404)
    if request.method == "POST":
        service.set_email_preference(
            db.session,
            email,
            utcnow(),
            order_news=request.form.get("order_news") == "1",
            other_news=request.form.get("other_news") == "1",
        )
        db.session.commit()
        flash(_("Saved: your email choices are changed."), "success")
        return redirect(url_for("notify.email_preferences", token=token), code=303)
    pref = service.email_preference(db.session, email)
    return render_template("notify/preferences.html", email=email, pref=pref, token=token)


@bp.route("/email/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without a form; the signed link is the key
def unsubscribe(token: str):
    """One click: no more email that is not about the shopper's own orders. GET shows the button."""
    email = links.email_of(token)
    if email is None:
        abort(404)
    if request.method == "POST":
        pref = service.email_preference(db.session, email)
        service.set_email_preference(db.session, email, utcnow(), order_news=pref.order_news, other_news=False)
        db.session.commit()
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204
        return render_template("notify/unsubscribed.html", email=email, token=token)
    return render_template("notify/unsubscribe.html", email=email, token=token)


from . import alert_views, watch_views  # noqa: E402,F401  (routes on bp)
