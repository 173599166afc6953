"""Template helpers: money and dates through Babel, versioned static URLs, the cart badge.

Features add their own words for stored values (order statuses, payment states ...) with
`register_labels` from their `init_app`: core knows no feature.
"""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Mapping
from functools import lru_cache

import jinja2
from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import format_datetime, get_locale, get_timezone

from ..hashing import file_digest
from ..money import format_amount_plain, format_money
from . import form_catalogue, html_params, numerals
from .locales import native_digits

CART_COUNT_COOKIE = "cart_n"
PAGE_URLS = "page_urls"  # app.extensions: page_url_for() per (mount point, endpoint, values)
STATIC_URLS = "static_urls"  # app.extensions: static_url() per (mount point, file, version)


def money(amount_minor: int | None, currency: str | None = None) -> str:
    """Format minor units in the shopper's locale and the shop's (or given) currency."""
    if amount_minor is None:
        return ""
    return format_money(amount_minor, currency or current_app.config["SHOP_CURRENCY"], str(get_locale()), True)


def shop_datetime(value, fmt: str = "medium") -> str:
    """A date and time in the shop's time zone, formatted for the shopper's locale (its digits too).

    Remembered per (instant, format, locale, time zone): Babel's formatting is a pure function of
    them and costs some 50 us, and an order page shows its time three times (issue 22).
    """
    if not value:
        return ""
    return _formatted_datetime(value, fmt, str(get_locale()), str(get_timezone()))


@lru_cache(maxsize=4096)
def _formatted_datetime(value, fmt: str, locale_tag: str, timezone: str) -> str:
    """Flask-Babel's format_datetime in native digits; the request's locale and zone are the key's."""
    return native_digits(format_datetime(value, fmt), get_locale())


def static_url(filename: str) -> str:
    """URL of a static file with a content-hash query, so it can be cached for a year."""
    version = file_digest(os.path.join(current_app.static_folder, filename))[:10] or "0"
    # Built once per file version (and mount point): a page links six files, and url_for is slow.
    key = (request.script_root if has_request_context() else None, filename, version)
    urls: dict = current_app.extensions.setdefault(STATIC_URLS, {})
    url = urls.get(key)
    if url is None:
        if len(urls) > 1000:  # files changed many times in a long-lived process: start again
            urls.clear()
        url = urls[key] = url_for("static", filename=filename, v=version)
    return url


def page_url_for(endpoint: str, **values) -> str:
    """Templates' url_for: the same path, remembered per process for each mount point, endpoint and values.

    A page builds a dozen links (home, cart, search, stores, its own pages, the language form)
    through Werkzeug's URL builder at ~15 us each (issue 22). The app sets no url_defaults, so a
    relative URL depends only on these; anything else (`_external`, `_anchor`, a list of values,
    an endpoint relative to the request's blueprint, outside a request) is built as before.
    Bounded: a long-lived process starts again at 5000.
    """
    if not has_request_context() or endpoint.startswith(".") or any(name.startswith("_") for name in values):
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, *sorted(values.items()))
    try:
        urls: dict = current_app.extensions.setdefault(PAGE_URLS, {})
        url = urls.get(key)
    except TypeError:  # a value that cannot be a key (a list of values)
        return url_for(endpoint, **values)
    if url is None:
        if len(urls) >= 5000:
            urls.clear()
        url = urls[key] = url_for(endpoint, **values)
    return url


def media_url(key: str, width: int, ext: str) -> str:
    """URL of one photo rendition (built by hand: a page has dozens, url_for is slow)."""
    return f"{request.script_root}/media/{key}-{width}.{ext}"


def cart_count() -> int:
    """Units in the cart, from the small display cookie the cart views keep in step.

    A cookie rather than a query keeps every shopper page free of a database hit for the
    badge; the real cart is always read from the database where it matters.
    """
    raw = request.cookies.get(CART_COUNT_COOKIE, "")
    return min(int(raw), 999) if raw.isascii() and raw.isdigit() and len(raw) < 5 else 0


class Template(jinja2.Template):
    """Jinja's Template, with `{% from "macros/x.html" import y %}` finding its kept module for less.

    Jinja reuses an imported template's module unless the importing page has globals the imported
    one lacks; it asks with `set - ChainMap.keys()`, a Python loop over some seventy globals for
    every import of every render (issue 22: 5 % of the checkout page). Here the same question is
    a C-level `set.difference` over the ChainMap's dicts; the answer, and what follows, is Jinja's.
    """

    def _get_default_module(self, ctx=None):
        if (
            ctx is not None
            and isinstance(self.globals, ChainMap)
            and not ctx.globals_keys.difference(*self.globals.maps)
        ):
            ctx = None  # no globals of its own to pass on: Jinja's kept module, as it would have found
        return super()._get_default_module(ctx)


def register_labels(app: Flask, filter_name: str, labels: Mapping[str, str], fallback: str | None = None) -> None:
    """Give templates a `filter_name` filter showing a stored value as its translated label.

    A value without a label is shown as itself, or as `fallback` when one is given (a
    provider's dispute reason the shop has no word for).
    """

    def label(value: str) -> str:
        return numerals.current_translations().ugettext(labels.get(value, value if fallback is None else fallback))

    app.jinja_env.filters[filter_name] = label


def _long_cache_static(response):
    """Versioned static files never change: let browsers keep them for a year."""
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    """Register filters, globals and the static caching rule."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["amount"] = lambda minor: format_amount_plain(minor, current_app.config["SHOP_CURRENCY"])
    app.jinja_env.filters["datetime"] = shop_datetime
    app.jinja_env.globals.update(static_url=static_url, media_url=media_url, cart_count=cart_count, locale=get_locale)
    app.jinja_env.globals["url_for"] = page_url_for
    app.jinja_env.template_class = Template  # before any template is loaded (they are, lazily, at first render)
    numerals.init_app(app)
    html_params.install()  # WTForms' attributes, the same markup for less CPU
    form_catalogue.install()  # WTForms' messages: their catalogue loaded once per language, not per request
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.after_request(_long_cache_static)
