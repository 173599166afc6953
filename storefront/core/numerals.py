"""Counts in the shopper's language: the same digits as its prices and dates (bn: ১২, not 12).

Prices go through Babel with the locale's own numbering system (core.templating.money), so a
count printed by Python's `%` next to them would be in ASCII digits: "মাত্র 2টি বাকি" beside
"৮০.৯৯US$". Here every whole number a message or a template shows is formatted by Babel for the
locale, in its default digits: `number(n)`, the `number` filter, and the gettext/ngettext of
templates and DomainError messages, whose integer placeholders (`%(num)s`, `%(count)s`...)
are formatted this way. Form values, URLs and attributes keep ASCII digits (they are read by
the browser, not by the shopper); order references are written as they are.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_decimal
from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup

from .. import domain
from .locales import native_digits, numbering_system


@lru_cache(maxsize=4096)
def format_count(value: int, locale: str) -> str:
    """A whole number for `locale`, grouped and in its default digits (memoised: a pure function)."""
    return native_digits(format_decimal(value, locale=locale, numbering_system="default"), locale)


def number(value: float | Decimal | None) -> str:
    """A count (or a distance...) in the current locale's digits ("" for None)."""
    if value is None:
        return ""
    locale = str(get_locale() or "en")
    if isinstance(value, int):
        return format_count(value, locale)
    return native_digits(format_decimal(value, locale=locale, numbering_system="default"), locale)


def localized(params: dict) -> dict:
    """Message placeholders with every integer (not a bool) written as a count of this locale."""
    return {k: number(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in params.items()}


_TRANSLATIONS = "storefront_translations"  # Flask-Babel's per-request namespace: (locale, domain, catalogue)


def current_translations():
    """This request's catalogue: Flask-Babel's, looked up once per request and locale.

    Flask-Babel's own get_translations() walks its context three times (domain, locale, cache
    key: about 20 µs), and a checkout page asks for some fifty messages. The catalogue is kept
    beside Flask-Babel's own locale and domain and used only while they are the very same
    objects: force_locale() and refresh() replace or drop the locale, and the lookup is redone.
    """
    space = g.get("_flask_babel") if has_app_context() else None
    kept = getattr(space, _TRANSLATIONS, None)
    if kept is not None:
        locale, domain, translations = kept
        if locale is getattr(space, "babel_locale", None) and domain is getattr(space, "babel_domain", None):
            return translations
    translations = get_translations()
    space = g.get("_flask_babel") if has_app_context() else None
    locale, domain = getattr(space, "babel_locale", None), getattr(space, "babel_domain", None)
    if locale is not None and domain is not None:
        setattr(space, _TRANSLATIONS, (locale, domain, translations))
    return translations


class LazyMessage(LazyString):
    """Flask-Babel's lazy string, translated through the request's kept catalogue; `msgid` is its message id."""

    def __init__(self, msgid: str, /, **variables) -> None:
        super().__init__(_translate, msgid, **variables)
        self.msgid = msgid


def _translate(msgid: str, /, **variables) -> str:
    """What Flask-Babel's gettext returns, from `current_translations()` (no context walk per message)."""
    text = current_translations().ugettext(msgid)
    return text % variables if variables else text


def lazy_gettext(msgid: str, /, **variables) -> LazyMessage:
    """Flask-Babel's lazy_gettext (a form label, a validator's message), cheaper each time it is shown."""
    return LazyMessage(msgid, **variables)


def count_ngettext(singular: str, plural: str, num: int, /, **variables) -> str:
    """Flask-Babel's ngettext for Python code, with every count in the locale's digits."""
    text = current_translations().ungettext(singular, plural, num)
    return text % localized({"num": num, **variables})


@pass_context
def _gettext(context, string: str, /, **variables) -> str:
    """Jinja's newstyle gettext, with integer placeholders in the locale's digits.

    Positional-only, as Jinja's own (`__string`): a placeholder may be called `string` or `context`.
    """
    text = current_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the shop's own catalogue, as Jinja's gettext does
    if not variables and "%" not in text:
        return text  # what formatting would give, without its cost (most of a page's fifty messages)
    return text % localized(variables)  # always a format string ("%%"), as in Jinja's own


@pass_context
def _ngettext(context, singular: str, plural: str, num: int, /, **variables) -> str:
    """Jinja's newstyle ngettext: the form is chosen by `num`, which is shown in the locale's digits."""
    variables.setdefault("num", num)
    text = current_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the shop's own catalogue, as Jinja's ngettext does
    return text % localized(variables)


def init_app(app: Flask) -> None:
    """The `number` filter, and template gettext/ngettext (installed by Flask-Babel) with local digits.

    `numbering_system` tells the page's scripts which digits the server wrote (<html
    data-numbering>), for Intl.NumberFormat: a browser's default for a language may differ.
    """
    # Flask-Babel's own filters print ASCII digits whatever the locale: these write its digits.
    app.jinja_env.filters.update(number=number, numberformat=number, decimalformat=number)
    app.jinja_env.globals.update(gettext=_gettext, ngettext=_ngettext, numbering_system=numbering_system)
    # `_()` straight to `_gettext`: Jinja's i18n alias would look `gettext` up in the context and
    # call it through the context once more, for each of a page's fifty messages (issue 22).
    app.jinja_env.globals["_"] = _gettext
    domain.localize_params_with(localized)  # DomainError messages: counts in the page's digits too
