"""Health check, robots.txt and product media."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, jsonify, send_from_directory
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("core", __name__)
MEDIA_NAME = re.compile(r"^[0-9a-f]{32}-[0-9]{2,4}\.(webp|jpg)$")


@bp.get("/healthz")
def healthz():
    """Liveness and readiness: answers 200 only when the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/robots.txt")
def robots():
    """Crawlers may index the shop, not its private pages."""
    body = "User-agent: *\nDisallow: /admin\nDisallow: /cart\nDisallow: /checkout\nDisallow: /o/\n"
    response = Response(body, mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/media/<name>")
def media(name: str):
    """A product photo rendition; names are random and never reused, so cache for a year."""
    if not MEDIA_NAME.match(name):
        abort(404)
    response = send_from_directory(current_app.config["MEDIA_ROOT"], name, max_age=31536000)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
