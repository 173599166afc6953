"""Shopper side of campaigns: the personal tracked link and the email open pixel."""

from __future__ import annotations

import base64

from flask import Blueprint, abort, make_response, redirect

from ..clock import utcnow
from ..extensions import db
from . import rules, service

bp = Blueprint("campaigns", __name__)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@bp.route("/r/<token>")
def track(token: str):
    """Count the click once, remember the campaign for this browser, go to the landing page (of this shop)."""
    landing = service.clicked(db.session, token, utcnow())
    if landing is None:
        abort(404)
    db.session.commit()
    response = redirect(rules.safe_path(landing), code=302)
    response.set_cookie(
        rules.COOKIE, token, max_age=rules.COOKIE_DAYS * 86400, httponly=True, samesite="Lax", secure=False
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/r/<token>/o.gif")
def pixel(token: str):
    """An email was opened: count it once; a 1x1 transparent GIF."""
    if not service.opened(db.session, token, utcnow()):
        abort(404)
    db.session.commit()
    response = make_response(PIXEL)
    response.headers["Content-Type"] = "image/gif"
    response.headers["Cache-Control"] = "no-store"
    return response
