"""The pages every template may link to (`shop_pages()`), and the sitemap's line in robots.txt.

The stored versions are read once per process and catalog generation (a page save bumps it,
see service.save_page), so a request asks the database at most once, and a cached page served
from the page cache not at all; the visitor's links are memoised on `g` for the request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..catalog import generation
from ..catalog.kept import request_stamp
from ..core.views import ROBOTS_LINES  # core's robots() appends what each callable there returns
from ..db import SAFE_METHODS, one_connection_per_request
from ..extensions import db
from . import service
from .models import ShopPage
from .rules import DEFAULT_TITLES, PageVersion, linked_pages, stored_locale

log = logging.getLogger(__name__)
EXTENSION = "pages.versions"


@dataclass
class _Cached:
    """This process's copy of the stored versions and the generation it was read at."""

    stamp: str | None = None
    versions: list[PageVersion] | None = None


def shop_pages() -> list[tuple[str, str]]:
    """Template global: (slug, title) of the pages this visitor can open, in their language; contact always."""
    if "shop_pages" in g:
        return g.shop_pages
    locale = stored_locale(str(get_locale()), current_app.config["SHOP_LOCALE"])
    links = [(slug, title or _(DEFAULT_TITLES[slug])) for slug, title in linked_pages(_versions(), locale)]
    g.shop_pages = links
    return links


def _versions() -> list[PageVersion]:
    """The stored versions, from this process's copy unless the catalog generation moved."""
    cached: _Cached = current_app.extensions.setdefault(EXTENSION, _Cached())
    session = _writing_session()
    # A page that only reads shares the request's one read of the generation (catalog.kept), as
    # its brand does: a second read here cost a round trip on every page rendered (issue 22).
    reading = has_request_context() and request.method in SAFE_METHODS
    stamp = request_stamp(db.session) if session is None and reading else generation.peek(db.engine, session)
    if stamp is not None and stamp == cached.stamp and cached.versions is not None:
        return cached.versions
    try:
        versions = service.all_versions(session) if session is not None else _read_raw()
    except (SQLAlchemyError, db.engine.dialect.loaded_dbapi.Error):
        log.warning("shop pages unreadable; no page links are shown", exc_info=True)
        return []
    cached.stamp, cached.versions = stamp, versions
    return versions


_READ_SQL = f"SELECT slug, locale, title, body_html FROM {ShopPage.__tablename__}"  # noqa: S608 - constants


def _read_raw() -> list[PageVersion]:
    """The versions on a raw driver connection: no SQLAlchemy "begin", so never SQLite's write lock,
    and a failure here cannot spoil the request's own session."""
    conn = db.engine.raw_connection()
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(_READ_SQL)
            return [PageVersion(*row) for row in cursor.fetchall()]
        finally:
            cursor.close()
    finally:
        conn.close()  # back to the pool (rolled back there)


def _writing_session() -> Session | None:
    """The request's session while it holds a write transaction (a POST rendering its answer), else None.

    Reads then go through its connection, as brand.web does: a second connection could wait on
    SQLite's write lock this very request holds.
    """
    if not has_request_context() or (request.method in SAFE_METHODS and not one_connection_per_request()):
        return None
    session = db.session()
    return session if session.in_transaction() else None


def public_base() -> str:
    """The shop's public address without a trailing slash: SHOP_URL when set, else this request's host."""
    return (current_app.config.get("SHOP_URL") or request.host_url).rstrip("/")


def _sitemap_line() -> str:
    """robots.txt's pointer to the sitemap."""
    return f"Sitemap: {public_base()}/sitemap.xml"


def init_app(app: Flask) -> None:
    """Offer `shop_pages()` to templates and add the sitemap's line to robots.txt."""
    app.jinja_env.globals["shop_pages"] = shop_pages
    app.jinja_env.globals["default_page_titles"] = DEFAULT_TITLES  # N_-marked: templates translate them
    app.extensions.setdefault(ROBOTS_LINES, []).append(_sitemap_line)
