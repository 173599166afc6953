"""The beacon endpoint `POST /e`: strict, cheap, append-only; it never changes shop state.

It is CSRF-exempt on purpose: navigator.sendBeacon cannot carry a CSRF header, and the
worst a forged request can do is append (rate-limited, schema-checked) events.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from ..clock import utcnow
from ..core.security import accepts_json, private
from ..domain import N_, DomainError
from ..extensions import csrf, db, limiter, rate_limits_off
from . import rules, service

bp = Blueprint("analytics", __name__)

ACCEPTED_TYPES = frozenset({"text/plain", "application/json"})  # sendBeacon sends text/plain
SESSION_COOKIE = "sid"  # set by static/js/track.js
SALTS = "analytics_salts"


@bp.record_once
def _salt_cache(state) -> None:
    """One salt cache per app (and so per worker process)."""
    state.app.extensions.setdefault(SALTS, service.SaltCache())


def _events_rate_limit() -> str:
    """The limit in force, per address (config EVENTS_RATE_LIMIT; a load benchmark raises it)."""
    return current_app.config["EVENTS_RATE_LIMIT"]


@bp.post("/e")
@private
@accepts_json
@csrf.exempt
@limiter.limit(_events_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def collect():
    """Store a batch of tracker events: 202 when stored or deliberately ignored, else 4xx."""
    if rules.opted_out(request.headers.get("DNT"), request.headers.get("Sec-GPC")):
        return _accepted()  # the visitor asked not to be tracked: store nothing, say nothing
    if rules.is_bot(request.headers.get("User-Agent")):
        return _accepted()
    now = utcnow()
    batch = rules.validate_batch(_read_body(), now)
    service.record_events(db.session, batch, _visitor(), now, current_app.extensions[SALTS])
    db.session.commit()
    return _accepted()


def _accepted():
    """An empty 202: the beacon never reads the answer."""
    return current_app.response_class(status=202)


def _read_body() -> object:
    """The decoded JSON body, refusing other types (415) and anything over the cap (413)."""
    if request.mimetype not in ACCEPTED_TYPES:
        raise rules.UnsupportedType(N_("Send the events as text/plain or application/json."))
    too_large = rules.PayloadTooLarge(N_("At most %(limit)s bytes per batch."), limit=rules.MAX_BODY_BYTES)
    if (request.content_length or 0) > rules.MAX_BODY_BYTES:
        raise too_large
    # Read one byte past the cap (never more), whatever Content-Length claimed.
    body = _read_at_most(rules.MAX_BODY_BYTES + 1)
    if len(body) > rules.MAX_BODY_BYTES:
        raise too_large
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise rules.InvalidEvent("bad_json", N_("The body is not valid JSON.")) from err


def _read_at_most(limit: int) -> bytes:
    """Up to `limit` bytes of the body (a stream may answer a read with fewer bytes)."""
    chunks, size = [], 0
    while size < limit:
        chunk = request.stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> object:
    """NaN and Infinity are not JSON."""
    raise ValueError(name)


def _visitor() -> service.VisitorContext:
    """What the service needs from the request; the IP goes no further than a hash."""
    return service.VisitorContext(
        ip=request.remote_addr or "",
        user_agent=(request.headers.get("User-Agent") or "")[:512],
        session_cookie=request.cookies.get(SESSION_COOKIE),
        cart_token=request.cookies.get(current_app.config["CART_COOKIE_NAME"]),
        own_host=request.host,
    )


@bp.errorhandler(DomainError)
def _refused(err: DomainError):
    """Schema, size and type errors: JSON with a reason code, nothing stored."""
    db.session.rollback()
    return jsonify(error=err.code, message=err.message), err.status_code


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    """Rate limits and the like: JSON too, since the caller is a script."""
    db.session.rollback()
    messages = {429: _("Too many events from this address. Please slow down.")}
    status = err.code or 500
    return jsonify(error=f"http_{status}", message=messages.get(status, _("The request could not be handled."))), status
