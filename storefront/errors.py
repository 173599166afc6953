"""Domain errors and the handlers that turn them (and HTTP errors) into pages or JSON."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .domain import DomainError
from .extensions import db


def wants_json() -> bool:
    """True when the client asked for JSON (our fetch() calls and the beacon do)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _error_response(status: int, code: str, title: str, message: str):
    """Render one error as JSON or as an HTML page with the right status."""
    if wants_json():
        return jsonify(error=code, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, CSRF failures and HTTP errors to friendly responses."""

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

    @app.errorhandler(500)
    def _server_error(_err):
        db.session.rollback()
        return _error_response(
            500, "server_error", _("Something went wrong"), _("Something went wrong on our side. Please try again.")
        )
