"""Domain errors and the handlers that turn them (and HTTP errors) into pages or JSON."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .domain import DomainError
from .extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5  # PostgreSQL restarts in a few seconds; the pool reconnects on the next request
# The database is unreachable, restarting, or its pool is exhausted: nothing the visitor did.
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
# SQLAlchemy's code for "Can't reconnect until invalid transaction is rolled back": the connection
# died inside the request's transaction (a restart), something caught that first error (a
# best-effort savepoint, e.g. the purchase event) and the request went on to its next statement.
INVALIDATED_TRANSACTION = "8s2b"


def wants_json() -> bool:
    """True when the client asked for JSON (our fetch() calls and the beacon do)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _error_response(status: int, code: str, title: str, message: str):
    """Render one error as JSON or as an HTML page with the right status."""
    if wants_json():
        return jsonify(error=code, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _rollback_quietly() -> None:
    """Roll back the request's transaction; with the database gone, only forget the session."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is dead: invalidate it and move on
        log.debug("rollback after a database fault failed", exc_info=True)
        db.session.remove()


def unavailable_response(err: Exception):
    """503 with Retry-After for a database fault: a short page (no base layout: it reads the database) or JSON.

    A checkout POST that failed this way placed nothing (the order is one transaction), and says
    so: the cart is kept, and sending the same form again cannot place it twice (its checkout key).
    """
    _rollback_quietly()
    log.warning("database unavailable (%s) on %s %s", type(err).__name__, request.method, request.path)
    if request.method == "POST" and request.endpoint == "checkout.place_order":
        message = _("Your order was not placed and nothing was charged. Your cart is kept: try again in a moment.")
    else:
        message = _("The shop is busy for a moment, please try again.")
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    if wants_json() or request.path == "/e":
        return jsonify(error="unavailable", message=message), 503, headers
    title = _("Please try again in a moment")
    try:
        # Without context processors: the shop's (brand, cart badge) read the database.
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        page = template.render(title=title, message=message, lang=str(get_locale()), request=request)
    except Exception:  # noqa: BLE001 - the page must never turn into a traceback
        log.exception("the unavailable page could not be rendered")
        page = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>"
    return page, 503, headers


def is_database_fault(err: BaseException) -> bool:
    """True for errors that mean the database is unreachable rather than that a query was wrong."""
    if isinstance(err, UNAVAILABLE):
        return True
    if isinstance(err, PendingRollbackError):
        return err.code == INVALIDATED_TRANSACTION  # not a flush that failed earlier: that one is a bug
    return isinstance(err, DBAPIError) and err.connection_invalidated


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, CSRF failures and HTTP errors to friendly responses."""

    @app.teardown_appcontext
    def _end_session_quietly(_exc):
        """End the request's session, even when its connection died under it (PostgreSQL restarting).

        Registered after Flask-SQLAlchemy's own teardown, so it runs first. A rollback the dead
        connection cannot do (psycopg: "received 2 results from command 'ROLLBACK'" through PgBouncer)
        would otherwise escape the teardown and turn the answer already made (a page, or the 503
        above) into gunicorn's bare 500. The connection is invalidated instead: the pool drops it.
        """
        try:
            db.session.remove()
        except Exception as err:  # noqa: BLE001 - the answer is made; only the connection is lost
            log.warning("ending the session failed (%s); its connection is dropped", type(err).__name__)
            try:
                db.session.invalidate()
            except Exception:  # noqa: BLE001 - nothing more to save
                log.debug("invalidating the session failed too", exc_info=True)
            db.session.registry.clear()

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        db.session.rollback()
        return _error_response(err.status_code, err.code, _("Sorry"), err.message)

    @app.errorhandler(CSRFError)
    def _csrf(_err: CSRFError):
        db.session.rollback()
        return _error_response(
            400,
            "csrf",
            _("Page expired"),
            _("This form has expired or was not sent by this site. Go back, reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        db.session.rollback()
        titles = {
            404: _("Page not found"),
            405: _("Not allowed"),
            413: _("Too large"),
            429: _("Too many attempts"),
        }
        messages = {
            400: _("Some of what you sent could not be read. Please check it and try again."),
            404: _("We could not find that page. It may have moved or sold out."),
            413: _("What you sent is too large."),
            429: _("Too many attempts. Please wait a minute and try again."),
        }
        status = err.code or 500
        return _error_response(
            status,
            f"http_{status}",
            titles.get(status, _("Something went wrong")),
            messages.get(status, _("The request could not be handled.")),
        )

    @app.errorhandler(DBAPIError)
    def _database(err: DBAPIError):
        if is_database_fault(err):
            return unavailable_response(err)
        raise err  # a wrong query is a bug: the 500 handler answers it (and the log keeps its traceback)

    @app.errorhandler(PendingRollbackError)
    def _pending_rollback(err: PendingRollbackError):
        if is_database_fault(err):
            return unavailable_response(err)
        raise err

    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    def _pool(err: Exception):
        return unavailable_response(err)

    @app.errorhandler(500)
    def _server_error(err):
        original = getattr(err, "original_exception", None)  # e.g. the database failing while a response is saved
        if original is not None and is_database_fault(original):
            return unavailable_response(original)
        _rollback_quietly()
        return _error_response(
            500, "server_error", _("Something went wrong"), _("Something went wrong on our side. Please try again.")
        )
