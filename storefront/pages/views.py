"""Shopper pages of the shop's own (/pages/<slug>) and the sitemap (/sitemap.xml, /sitemap-<n>.xml).

A page is served through the page cache like a catalog page (rendered once per catalog
generation, locale and slug; the visitor's bits filled in per request) and is storable by the
service worker, so a page read once opens offline. The sitemap answers 304 to a crawler whose
copy carries the current generation's ETag, without reading a row.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale

from ..catalog import generation
from ..catalog.pages import public_page
from ..core.pagecache import shopper_page
from ..extensions import db
from ..stores.service import active_stores
from . import service, sitemap_service, web
from .rules import ALWAYS_SHOWN, is_page, stored_locale
from .sitemap_rules import MAX_URLS, is_index, part_count, sitemap_index, urlset

bp = Blueprint("pages", __name__)
SITEMAP_MAX_AGE_S = 600  # crawlers come back often enough; a change is seen within minutes


@bp.record_once
def _register(state) -> None:
    """`shop_pages()` for every template and the sitemap's line in robots.txt."""
    web.init_app(state.app)


@bp.get("/pages/<slug>")
def page(slug: str):
    """One of the shop's pages in the visitor's language, else the default one; 404 when it has no text."""
    if not is_page(slug):
        abort(404)

    def render() -> str:
        locale = stored_locale(str(get_locale()), current_app.config["SHOP_LOCALE"])
        version = service.page_for(db.session, slug, locale)
        if slug in ALWAYS_SHOWN:
            return render_template("pages/contact.html", page=version, stores=active_stores(db.session))
        if version is None:
            abort(404)
        return render_template("pages/page.html", page=version)

    return public_page(shopper_page(render, slug))


@bp.get("/sitemap.xml")
def sitemap():
    """The sitemap, or past the limit an index of its parts."""
    return _sitemap(None)


@bp.get("/sitemap-<int:part>.xml")
def sitemap_part(part: int):
    """One part of a sitemap split past the limit (404 when there is no such part)."""
    return _sitemap(part)


def _sitemap(part: int | None) -> Response:
    """The sitemap file asked for, revalidated by the catalog generation (304 when unchanged)."""
    limit = int(current_app.config.get("SITEMAP_MAX_URLS") or MAX_URLS)
    base = web.public_base()
    stamp = generation.current(db.engine)  # before the rows: a change in between makes the file newer, never older
    etag = hashlib.blake2b(repr((stamp, base, limit, part)).encode(), digest_size=16).hexdigest() if stamp else None
    if etag and request.if_none_match.contains(etag):
        return _cacheable(Response(status=304), etag)
    found = sitemap_service.sources(db.session)
    total = sitemap_service.total(found)
    if part is None and is_index(total, limit):
        pieces = sitemap_index(base, part_count(total, limit), sitemap_service.newest_change(db.session))
    elif part is None:
        pieces = urlset(base, sitemap_service.window(found, 0, limit))
    elif is_index(total, limit) and 1 <= part <= part_count(total, limit):
        pieces = urlset(base, sitemap_service.window(found, (part - 1) * limit, limit))
    else:
        abort(404)
    body = "".join(pieces)  # built in one pass: 10,000 products take a few tens of milliseconds
    return _cacheable(Response(body, mimetype="application/xml"), etag)


def _cacheable(response: Response, etag: str | None) -> Response:
    """Public, briefly cached, and revalidated by its ETag."""
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE_S
    if etag:
        response.set_etag(etag)
    return response
