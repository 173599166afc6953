"""Domain errors raised by pure rules and services; the web layer turns them into 4xx answers.

Messages are gettext message ids with %(name)s placeholders, marked with N_() so pybabel
extracts them; they are translated when shown (see DomainError.message), which keeps the
rules free of Flask.
"""

from __future__ import annotations

from collections.abc import Callable

# Writes a message's numbers in the shopper's digits (bn: ৩). core.numerals installs it at
# init_app: this module, the floor's lowest, imports nothing of the shop (core imports it).
_localize_params: Callable[[dict], dict] = dict


def localize_params_with(localize: Callable[[dict], dict]) -> None:
    """Install how message placeholders are written in the current locale (core.numerals does)."""
    global _localize_params
    _localize_params = localize


def N_(message: str) -> str:
    """Mark a string for translation without translating it now."""
    return message


class DomainError(Exception):
    """A rule of the shop was broken by the request; shown to the user, never a 500."""

    status_code = 400
    code = "invalid"

    def __init__(self, template: str = "", **params) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params

    @property
    def message(self) -> str:
        """The message in the current locale (plain English outside a request)."""
        try:
            from flask_babel import gettext

            return gettext(self.template, **_localize_params(self.params))
        except (RuntimeError, KeyError):  # no app context: keep the English text
            return str(self)


class NotFound(DomainError):
    """The thing asked for does not exist (or is not for sale)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (sold out, wrong order status...)."""

    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    """The input was understood but is not acceptable."""

    status_code = 422
    code = "invalid"
