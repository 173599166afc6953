"""The brand for this request: read once per process, refreshed when the catalog generation moves.

A brand save bumps the catalog generation (brand.service), the one number every worker already
reads for its cached shopper pages; so each process keeps its copy of the brand with the
generation it was read at, and reloads it when the number differs. The read is memoised on `g`:
a page asks at most once, and a cached page served from the page cache does not ask at all.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from flask import current_app, g, has_request_context, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..catalog import generation
from ..catalog.kept import request_stamp
from ..db import SAFE_METHODS, one_connection_per_request
from ..extensions import db
from .models import BrandSettings
from .rules import Brand, from_data
from .service import ROW_ID, config_brand

log = logging.getLogger(__name__)
EXTENSION = "brand"
CONFIG_DEFAULTS = ("SHOP_NAME", "SHOP_SHORT_NAME", "THEME_COLOR", "BACKGROUND_COLOR", "BRAND_ACCENT_COLOR", "SHOP_LOGO")


@dataclass
class _Cached:
    """This process's copy of the brand and the generation it was read at."""

    version: tuple | None = None
    brand: Brand | None = None


def current_brand() -> Brand:
    """The brand in force, from this process's copy unless the catalog generation moved."""
    if has_request_context() and "shop_brand" in g:
        return g.shop_brand
    cached: _Cached = current_app.extensions.setdefault(EXTENSION, _Cached())
    session = _writing_session()
    # A page (GET) reads the generation once for everything it keeps by it (catalog.kept).
    stamp = generation.peek(db.engine, session) if session is not None or not _reading() else request_stamp(db.session)
    version = (stamp, *(current_app.config.get(name) for name in CONFIG_DEFAULTS))  # settings changed in tests too
    if stamp is None or version != cached.version or cached.brand is None:
        brand = _read(session)
        cached.version, cached.brand = (version, brand) if stamp is not None else (None, None)
    else:
        brand = cached.brand
    if has_request_context():
        g.shop_brand = brand
    return brand


_READ_SQL = f"SELECT data FROM {BrandSettings.__tablename__} WHERE id = {ROW_ID}"  # noqa: S608 - constants


def _reading() -> bool:
    """True in a request that only reads (GET, HEAD, OPTIONS)."""
    return has_request_context() and request.method in SAFE_METHODS


def _writing_session() -> Session | None:
    """The request's session while it holds a write transaction (a POST rendering its answer), else None.

    Reads then go through its connection: a second one would need a pool slot that requests queued
    behind this one's SQLite write lock may all hold (50 threads racing for the last units did
    exactly that). Other reads take a raw driver connection: no SQLAlchemy "begin", so no BEGIN
    IMMEDIATE, and cheaper than a statement through the session.
    """
    if not has_request_context() or (request.method in SAFE_METHODS and not one_connection_per_request()):
        return None
    session = db.session()
    return session if session.in_transaction() else None


def _read(session: Session | None) -> Brand:
    """The stored brand (through `session` when given, see _writing_session); the defaults if unreadable."""
    if session is not None:
        try:
            row = session.execute(text(_READ_SQL)).first()
        except SQLAlchemyError:
            log.warning("brand settings unreadable; the configured defaults are shown", exc_info=True)
            row = None
    else:
        row = _read_raw()
    data = row[0] if row else None
    if isinstance(data, str | bytes):
        data = json.loads(data)
    base = config_brand(current_app.config)
    return from_data(data, base) if data else base


def _read_raw() -> tuple | None:
    """The brand row on a raw driver connection (None if missing or unreadable)."""
    try:
        conn = db.engine.raw_connection()
    except SQLAlchemyError:
        log.warning("brand settings unreadable; the configured defaults are shown", exc_info=True)
        return None
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(_READ_SQL)
            return cursor.fetchone()
        finally:
            cursor.close()
    except db.engine.dialect.loaded_dbapi.Error:
        log.warning("brand settings unreadable; the configured defaults are shown", exc_info=True)
        return None
    finally:
        conn.close()  # back to the pool (rolled back there)


def css_variables(brand: Brand, defaults: Brand) -> dict[str, str]:
    """The custom properties whose colour differs from app.css's built-in theme (none for an unbranded shop)."""
    palette, base = brand.palette, defaults.palette
    changed = {}
    if brand.theme_color != defaults.theme_color:
        changed.update({k: palette[k] for k in ("br", "br2", "tint")})
    for key in ("bg", "acc"):
        if palette[key] != base[key]:
            changed[key] = palette[key]
    return changed


def stylesheet_url() -> str:
    """URL of the brand's colour stylesheet (/brand.css, versioned), or "" when app.css's colours stand."""
    brand = current_brand()
    if not css_variables(brand, config_brand(current_app.config)):
        return ""
    return url_for("brand.stylesheet", v=brand.fingerprint)


def forget() -> None:
    """Drop this request's memo (after a save, so the page rendered next shows the new brand)."""
    if has_request_context():
        g.pop("shop_brand", None)
