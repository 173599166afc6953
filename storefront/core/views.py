"""Health check, robots.txt, product media and the shopper's choice of language."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request, send_from_directory, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ..clock import utcnow
from ..extensions import db
from .locales import html_lang, language_names, supported_locales, text_direction
from .security import private, safe_next

bp = Blueprint("core", __name__)
MEDIA_NAME = re.compile(r"^[0-9a-f]{32}(-[0-9]{2,4}\.(webp|jpg)|\.(mp4|webm))$")  # photo renditions, videos
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600
ROBOTS_LINES = "core.robots_lines"  # extension key: callables giving extra robots.txt lines


@bp.record_once
def _template_helpers(state) -> None:
    """base.html's <html lang dir> and the language switcher."""
    state.app.jinja_env.globals.update(
        html_lang=html_lang,
        text_direction=text_direction,
        language_choices=lambda: language_names(tuple(supported_locales())),
    )


@bp.get("/healthz")
@private
def healthz():
    """Liveness and readiness: answers 200 only when the database answers; the job queue's figures too.

    The queue does not decide the status: a web server whose worker is down still serves the
    shop. Monitoring alerts on `jobs.oldest_age_seconds` or `jobs.late_seconds` growing (or the
    latter being null: no worker has ever run) instead.
    """
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok", jobs=_job_figures())


def _job_figures() -> dict[str, int | None] | None:
    """Queued and failed jobs and the oldest due job's wait (None if the queue cannot be read).

    The queue's figures come through the app (storefront.jobs registers `queue_stats` there): core
    sits below the job queue, which announces its facts through core's events.
    """
    queue_stats = current_app.extensions.get("jobs.queue_stats")
    if queue_stats is None:
        return None
    try:
        stats = queue_stats(db.session, utcnow())
    except SQLAlchemyError:  # e.g. a database not migrated yet: the shop's own health is what counts here
        db.session.rollback()
        return None
    return {
        "queued": stats.queued,
        "oldest_age_seconds": stats.oldest_age_seconds,
        "running": stats.running,
        "failed": stats.failed,
        "late_seconds": stats.late_seconds,
    }


@bp.get("/robots.txt")
def robots():
    """Crawlers may index the shop, not its private pages.

    The cart is not kept out: a crawler has no cart cookie, so it sees the empty cart with links
    back to the catalogue (nothing of anyone's), and every change to a cart is a POST with a CSRF
    token, which crawlers never send. Disallowing it cost the page Lighthouse's "is crawlable"
    audit for no protection. Order pages and checkout stay out (and also answer noindex).
    Features above core add their lines (the sitemap's) as callables in app.extensions[ROBOTS_LINES].
    """
    body = "User-agent: *\nDisallow: /admin\nDisallow: /checkout\nDisallow: /o/\n"
    body += "".join(f"{line()}\n" for line in current_app.extensions.get(ROBOTS_LINES, ()))
    response = Response(body, mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/media/<name>")
def media(name: str):
    """A photo rendition or product video; names are random and never reused, so cache for a year.

    Range requests are answered (206 or 416, by send_file), so a video plays and seeks in pieces.
    """
    if not MEDIA_NAME.match(name):
        abort(404)
    try:
        response = send_from_directory(current_app.config["MEDIA_ROOT"], name, max_age=31536000)
    except RequestedRangeNotSatisfiable as err:  # its own response keeps `Content-Range: bytes */<size>`
        return err.get_response()
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.post("/locale")
def choose_locale():
    """Remember the shopper's language (a cookie, CSRF-checked form) and go back to the page."""
    target = safe_next(request.form.get("next"), url_for("catalog.home"))
    response = redirect(target, code=303)
    cookie = current_app.config.get("LOCALE_COOKIE_NAME", "locale")
    chosen = request.form.get("locale", "")
    if chosen in supported_locales():
        response.set_cookie(cookie, chosen, max_age=LOCALE_COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    elif chosen == "":  # "the browser's language": forget the choice
        response.delete_cookie(cookie, samesite="Lax", httponly=True)
    return response
