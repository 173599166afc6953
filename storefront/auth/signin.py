"""The browser side of signing in: Flask-Login's loaders, the session id, and two cookies.

- The signed Flask session carries `sid`, the token of a `user_sessions` row (auth/sessions.py).
  The user loader accepts it only while that row is live and the account active: logout,
  a password change, "sign out everywhere" or a disabled account end it on the next request.
- `remember_token` is our own rotating remember-me token (Flask-Login's static `<id>|HMAC`
  cookie is switched off): spent and replaced each time it restores a sign-in, revocable.
- `device` is a signed "known device" cookie naming the accounts that signed in on this
  browser; the login throttle gives such a device its own allowance (auth/throttle.py).

Anonymous shoppers pay nothing: the loaders run only when a page asks for `current_user` and
the session names an account or a remember-me cookie is present.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import Flask, current_app, g, request, session
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import update

from ..clock import utcnow
from ..db import SAFE_METHODS, write_transaction
from ..extensions import db, login_manager
from . import sessions, throttle
from .models import User, UserSession
from .rules import REMEMBER, REMEMBER_LIFETIME, SESSION, account_digest

SID_KEY = "sid"
REMEMBER_COOKIE = "remember_token"
DEVICE_COOKIE = "device"
DEVICE_LIFETIME = timedelta(days=365)
DEVICE_ACCOUNTS = 5  # accounts remembered per device cookie (a shared shop tablet, say)
# Flask-Login reads and writes its own remember cookie under this name: one nobody is given.
UNUSED_FLASK_LOGIN_COOKIE = "flask_login_remember_off"


def init_app(app: Flask) -> None:
    """Install the loaders and the hook that writes the remember-me and device cookies."""
    app.config["REMEMBER_COOKIE_NAME"] = UNUSED_FLASK_LOGIN_COOKIE
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_from_remember_cookie)
    app.after_request(_write_cookies)


def load_user(user_id: str) -> User | None:
    """The account of this browser's session, while its row is live and the account active."""
    now = utcnow()
    found = sessions.live(db.session, session.get(SID_KEY), SESSION, now)
    if found is None or str(found[0].id) != user_id:
        # Ended elsewhere (logout, password change, disabled): forget it, so later requests of
        # this browser are anonymous without a query.
        session.pop(SID_KEY, None)
        session.pop("_user_id", None)
        return None
    user, row = found
    g.user_session_id = row.id
    if request.method in SAFE_METHODS and sessions.needs_touch(row, now):
        _touch(row.id, now)
    return user


def _touch(row_id: int, now: datetime) -> None:
    """Record that a session is in use, on a connection of its own (the request only reads)."""
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now))


def load_from_remember_cookie(_request) -> User | None:
    """Restore a sign-in from the remember-me cookie, replacing the token with a fresh one."""
    token = request.cookies.get(REMEMBER_COOKIE)
    if not token:
        return None
    now, rotated = utcnow(), None
    # A read first: a forged or dead cookie (anyone can send one) must not take SQLite's write lock.
    if sessions.live(db.session, token, REMEMBER, now) is not None:
        with write_transaction(db.session):
            rotated = sessions.rotate_remember(db.session, token, now)
            if rotated is not None:
                user, successor = rotated
                sid, row = sessions.issue(db.session, user, SESSION, now)
    if rotated is None:
        # Spent, revoked, expired or forged: drop it, unless a parallel request has just rotated
        # it and is sending this browser the successor (our deletion could overwrite that).
        if not sessions.spent_just_now(db.session, token, now):
            g.remember_cookie = ""
        return None
    session[SID_KEY] = sid
    login_user(user, fresh=False)
    g.user_session_id = row.id
    g.remember_cookie = successor
    return user


def sign_in(user: User, *, remember: bool, email: str, now: datetime) -> None:
    """Start a server-side session (and a remember-me token when asked) for this browser; flushes."""
    _end_this_browser(now)
    sid, row = sessions.issue(db.session, user, SESSION, now)
    session[SID_KEY] = sid
    login_user(user)
    g.user_session_id = row.id
    g.remember_cookie = sessions.issue(db.session, user, REMEMBER, now)[0] if remember else ""
    g.device_cookie = _device_with(email)


def sign_out(now: datetime) -> None:
    """End this browser's session and remember-me token, here and on the server; flushes."""
    _end_this_browser(now)
    logout_user()
    g.remember_cookie = ""


def current_session_id() -> int | None:
    """The `user_sessions` row of the signed-in browser (after current_user was loaded)."""
    return g.get("user_session_id")


def _end_this_browser(now: datetime) -> None:
    """Revoke whatever sign-in this browser holds (its session id and remember-me token)."""
    sessions.revoke_token(db.session, session.pop(SID_KEY, None), now)
    sessions.revoke_token(db.session, request.cookies.get(REMEMBER_COOKIE), now)


def claim_attempt(email: str, now: datetime) -> throttle.Claim:
    """Count one password attempt of this browser on `email`: its address, or its known-device allowance."""
    return throttle.claim(
        db.session,
        email=email,
        address=get_remote_address(),
        device=known_device(email),
        limits=throttle.address_limits(current_app.config["LOGIN_RATE_LIMIT"]),
        now=now,
    )


def known_device(email: str) -> str | None:
    """This browser's device id when it has signed in to the account `email` before, else None."""
    data = _device_data()
    return data["d"] if data and account_digest(email) in data["a"] else None


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-device")


def _device_data() -> dict | None:
    """The verified content of the device cookie, or None when absent, forged or malformed."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _device_serializer().loads(raw)
    except BadData:
        return None
    valid = isinstance(data, dict) and isinstance(data.get("d"), str) and isinstance(data.get("a"), list)
    return data if valid else None


def _device_with(email: str) -> str:
    """The device cookie's new value: this device, now also known to the account `email`."""
    data = _device_data() or {"d": secrets.token_urlsafe(16), "a": []}
    digest = account_digest(email)
    accounts = [a for a in data["a"] if a != digest and isinstance(a, str)][-(DEVICE_ACCOUNTS - 1) :]
    return _device_serializer().dumps({"d": data["d"], "a": [*accounts, digest]})


def _write_cookies(response):
    """Set or delete the remember-me and device cookies decided during the request."""
    secure = bool(current_app.config.get("FORCE_SECURE_COOKIES") or request.is_secure)
    remember = g.pop("remember_cookie", None)
    if remember == "":
        if REMEMBER_COOKIE in request.cookies:
            response.delete_cookie(REMEMBER_COOKIE, httponly=True, samesite="Lax", secure=secure)
    elif remember is not None:
        max_age = int(REMEMBER_LIFETIME.total_seconds())
        response.set_cookie(REMEMBER_COOKIE, remember, max_age=max_age, httponly=True, samesite="Lax", secure=secure)
    device = g.pop("device_cookie", None)
    if device is not None:
        max_age = int(DEVICE_LIFETIME.total_seconds())
        response.set_cookie(DEVICE_COOKIE, device, max_age=max_age, httponly=True, samesite="Lax", secure=secure)
    return response
