"""Shopper page cache: whole pages rendered once, with holes for what differs per visitor.

A catalog page (home, category, search, product) is rendered with *holes* where a visitor's own
data goes, and that HTML is cached (core.pagestore: in Redis when CACHE_REDIS_URL or REDIS_URL
is set, else in each worker's memory through Flask-Caching). Every request, hit or miss, then
fills the holes with its own values:

  csrf        the visitor's CSRF token (the `csrf_token()` template global is a hole here)
  cart_count  the cart badge number, and `cart_empty` its " is-empty" class (the cart_n cookie)
  flashes     the visitor's flashed messages
  next        this request's own path and query, for the language switcher

Everything else a page shows is in its key: the page's own arguments, the visitor's locale,
the host the links point to, the catalog's version (its source is registered by the catalog
package with `set_version_source`: catalog.generation, bumped in the same transaction as any
change shoppers could see, so no stale page survives it in any worker or server), and the deploy
fingerprint (code, templates, static files, settings), so a shared Redis
never serves a page of an older release. How many pages of each kind are kept is capped
(core.pagestore: search pages, whose keys visitors choose, have their own small cap and a shorter
life, and only a search worth it is stored), so the cache's memory is bounded whatever the
traffic. A hole is an HTML comment, which escaped text (product
titles, search words) can never produce. A render that used the visitor's token anyway is
served but not cached. A cache that fails (Redis down) is skipped for a while, with a log line:
pages are then rendered every time, never refused.

Pages that are not cached (the cart, the checkout, an order, the owner's pages) still share
base.html's fixed parts through the same holes: `frame()` keeps each part between its blocks
rendered once per process for the visitor's locale, the host and the brand in force (see there).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from flask import (
    Flask,
    current_app,
    g,
    get_flashed_messages,
    has_app_context,
    has_request_context,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy.engine import Engine

from ..clock import utcnow
from ..config import Config
from ..extensions import cache, db
from .locales import select_locale
from .numerals import number
from .pagestore import MemoryPages, PageStore, RedisPages
from .templating import cart_count

log = logging.getLogger(__name__)

RENDERING = "pagecache_rendering"  # set on g while a cacheable page renders with holes
NO_STORE = "pagecache_no_store"  # set on g by a render whose page is not worth keeping
UNTIL = "pagecache_until"  # set on g by a render showing something that changes at an instant (a sale's end)
UNTIL_MARK = re.compile(r"<!--until:(\d+)-->")  # leads a stored page that is stale from that Unix second on
HOLE = re.compile(r"<!--hole:([a-z_]+)-->")
RETRY_AFTER_FAILURE_S = 10.0
FRAMES_MAX = 512  # base.html's parts kept per process (parts x languages x hosts x brands in force)
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY", "URI", "URL")


def _flashes() -> str:
    messages = get_flashed_messages(with_categories=True)
    return render_template("_partials/flashes.html", messages=messages) if messages else ""


def _next_path() -> str:
    return escape(request.full_path.rstrip("?") if request.method == "GET" else request.path)


# Each returns HTML-safe text for its hole.
FILLERS: dict[str, Callable[[], str]] = {
    "csrf": lambda: escape(generate_csrf()),
    "cart_count": lambda: number(cart_count()),  # in the page's digits; JS reads data-cart-count
    "cart_empty": lambda: "" if cart_count() else " is-empty",
    "flashes": _flashes,
    "next": _next_path,
}


def hole(name: str) -> Markup:
    """Template global: a hole while a cacheable page renders, else the visitor's value itself."""
    filler = FILLERS[name]  # an unknown hole is a template bug: fail loudly
    if g.get(RENDERING):
        return Markup("<!--hole:{}-->").format(name)
    return Markup(filler())  # noqa: S704 - every filler returns escaped text or rendered HTML


def frame(name: str, *kept: object, caller: Callable[[], str], **vary: object) -> Markup:
    """Template global: `{% call frame(name, brand, csrf=...) %}..{% endcall %}`, a part of base.html
    between its blocks, rendered once per process and spliced into every page (issue 22).

    The part is rendered with holes (the visitor's token, flashes, next path: as a cached page is)
    and kept under `name`, the request's locale, its host and mount point (url_root) and the
    hashable `vary` (csrf: whether the page shows a token); `kept` are the objects it was made
    from, compared by identity: the brand from `shop_brand()`, which its process replaces whenever
    the catalog generation or the brand's settings move (brand.web), so a part showing the brand,
    or anything kept under the generation (the shop pages in the footer), is made again then.
    Each request fills the holes with its own values; inside a cacheable page's render the holes
    stay, for its fill(). Blocks (a page's own title, head, content...) are never inside a part.
    With Jinja's auto_reload (debug), outside a request or without `frames`, rendered every time.
    """
    if not has_request_context():
        return caller()
    app = current_app._get_current_object()
    frames = app.extensions["pagecache"].frames
    if frames is None or app.jinja_env.auto_reload:
        return caller()
    request_g = g._get_current_object()
    key = (name, *_frame_place(request_g), *vary.items())
    entry = frames.get(key)
    if entry is None or len(entry[0]) != len(kept) or any(a is not b for a, b in zip(entry[0], kept, strict=True)):
        html = _render_frame(caller)
        entry = (kept, Markup(html), "<!--hole:" in html)  # noqa: S704 - rendered by Jinja, autoescaped
        token = request_g.get(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if not (isinstance(token, str) and token in html):  # never keep a visitor's token
            if len(frames) >= FRAMES_MAX:
                frames.clear()
            frames[key] = entry
    html, holes = entry[1], entry[2]
    if not holes or request_g.get(RENDERING):
        return html
    return Markup(HOLE.sub(lambda match: FILLERS[match.group(1)](), html))  # noqa: S704 - fillers escape


_FRAME_PLACE = "pagecache_frame_place"  # g: (Flask-Babel's locale object, (locale, url_root)) of this request


def _frame_place(request_g) -> tuple[str, str]:
    """The request's locale and url_root, worked out once per request (a page has seven parts).

    Kept beside Flask-Babel's own locale object and used only while it is the very same one:
    force_locale() and refresh() replace it (as core.numerals.current_translations does).
    """
    space = request_g.get("_flask_babel")
    found = request_g.get(_FRAME_PLACE)
    if found is not None and space is not None and found[0] is getattr(space, "babel_locale", None):
        return found[1]
    place = (str(get_locale()), request.url_root)
    space = request_g.get("_flask_babel")
    locale = getattr(space, "babel_locale", None)
    if locale is not None:
        setattr(request_g, _FRAME_PLACE, (locale, place))
    return place


def _render_frame(caller: Callable[[], str]) -> str:
    """The part rendered with holes (already so inside a cacheable page's render)."""
    if g.get(RENDERING):
        return str(caller())
    setattr(g, RENDERING, True)
    try:
        return str(caller())
    finally:
        g.pop(RENDERING, None)


@dataclass(frozen=True)
class FilledPage:
    """A shopper page for this request, and its ETag (which ignores the CSRF token, see core.caching)."""

    html: str
    etag: str
    valid_until: datetime | None = None  # naive UTC: what it shows changes then (a sale starts or ends)


def fill(html: str, digest: str, valid_until: datetime | None = None) -> FilledPage:
    """The page with every hole filled for this request (each value computed once).

    The ETag comes from the cached page's digest and the filled values other than the token,
    so it changes exactly when the page does, without hashing the whole page per request.
    """
    values: dict[str, str] = {}

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            values[name] = FILLERS[name]()
        return values[name]

    filled = HOLE.sub(value, html)
    basis = "\0".join([digest, *(f"{k}={v}" for k, v in sorted(values.items()) if k != "csrf")])
    return FilledPage(filled, hashlib.blake2b(basis.encode(), digest_size=16).hexdigest(), valid_until)


def valid_until(instant: datetime) -> None:
    """Called while a shopper page renders: it shows something that changes at `instant` (naive UTC).

    The cached copy is then stale from that instant on (whatever the catalog generation says), the
    store keeps it no longer, and the response says so to the service worker (X-Valid-Until).
    """
    if not has_app_context() or not g.get(RENDERING):
        return
    current = g.get(UNTIL)
    if current is None or instant < current:
        setattr(g, UNTIL, instant)


def _epoch(instant: datetime) -> int:
    """A naive UTC instant as whole Unix seconds, rounded up (stale from that second on, never before)."""
    return math.ceil(instant.replace(tzinfo=UTC).timestamp())


def _unmark(html: str) -> tuple[str, datetime | None]:
    """A stored page without its leading until-mark, and that instant (None: no mark)."""
    found = UNTIL_MARK.match(html)
    if found is None:
        return html, None
    until = datetime.fromtimestamp(int(found.group(1)), UTC).replace(tzinfo=None)
    return html[found.end() :], until


# The catalog's version as text, read from the database engine; None when it cannot be had.
VersionSource = Callable[[Engine], str | None]


@dataclass
class _State:
    """Per app: the deploy fingerprint, the version source, until when the cache is skipped after a failure."""

    fingerprint: str
    store: PageStore
    timeouts: dict[str, int]
    max_bytes: int
    version: VersionSource | None = None  # none registered: pages are rendered uncached, never stale
    skip_until: float = 0.0
    frames: dict | None = field(default_factory=dict)  # frame()'s parts; None renders them every time


def _state() -> _State:
    return current_app.extensions["pagecache"]


def shopper_page(render: Callable[[], str], *vary: object, kind: str | None = "page") -> FilledPage:
    """The page from the cache, or rendered by `render()` (with holes) and cached; holes filled.

    `vary` lists what the page depends on besides the catalog, the locale and the host: its
    parsed arguments (slug, sort, page, query...). `kind` picks the cap and lifetime ("page",
    "search"); None renders without the cache. An exception from `render` (NotFound) passes.
    """
    state = _state()
    key = _key(vary) if kind else None
    cached = _cache_call(state.store.get, key, kind) if key else None
    until = None
    if cached is not None:
        html, until = _unmark(cached[0])
        digest = cached[1]
        if until is not None and utcnow() >= until:  # a sale started or ended since: render it anew
            cached = None
    if cached is None:
        html = _render_with_holes(render)
        until = g.pop(UNTIL, None)
        digest = hashlib.blake2b(html.encode(), digest_size=16).hexdigest()
        if key and _worth_storing(html):
            timeout = state.timeouts[kind]
            stored = html
            if until is not None:
                stored = f"<!--until:{_epoch(until)}-->{html}"
                timeout = max(1, min(timeout, math.ceil((until - utcnow()).total_seconds())))
            _cache_call(state.store.put, key, kind, (stored, digest), timeout)
    return fill(html, digest, until)


def dont_store() -> None:
    """Called by a render whose page is not worth a place in the cache (a search without results)."""
    setattr(g, NO_STORE, True)


def _worth_storing(html: str) -> bool:
    """Not a page that holds a visitor's token, that its render refused, or of an outsized size."""
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if isinstance(token, str) and token in html:  # never cache a visitor's token
        return False
    if g.pop(NO_STORE, False):
        return False
    return len(html.encode()) <= _state().max_bytes


def _key(vary: tuple) -> str | None:
    """The cache key of this page for this request; None when the catalog's version is unavailable."""
    state = _state()
    version = state.version(db.engine) if state.version else None
    if version is None:
        return None
    parts = (state.fingerprint, version, request.endpoint, request.url_root, select_locale(), *vary)
    return "page:" + hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def _render_with_holes(render: Callable[[], str]) -> str:
    setattr(g, RENDERING, True)
    g.pop(NO_STORE, None)
    g.pop(UNTIL, None)
    try:
        return render()
    finally:
        g.pop(RENDERING, None)


def _cache_call(method: Callable, *args):
    """Call the cache; on any failure log it, skip the cache for a while and answer None."""
    state = _state()
    if time.monotonic() < state.skip_until:
        return None
    try:
        return method(*args)
    except Exception:  # noqa: BLE001 - a broken cache must never break a page
        state.skip_until = time.monotonic() + RETRY_AFTER_FAILURE_S
        log.warning("page cache unavailable; pages are rendered uncached for %ss", RETRY_AFTER_FAILURE_S, exc_info=True)
        return None


@lru_cache(maxsize=8)
def _files_digest(*folders: str) -> str:
    """A digest of the code, templates, translations and static files (once per process)."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".po", ".pot"):
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _fingerprint(app: Flask) -> str:
    """This release and the shop's settings (those of config.Config, less secrets and addresses).

    Not every app.config entry: extensions add their own, not always the same in every process.
    """
    package = Path(__file__).resolve().parents[1]
    settings = sorted(
        (name, repr(app.config.get(name)))
        for name in dir(Config)
        if name.isupper() and not any(word in name for word in _SECRET_WORDS)
    )
    files = _files_digest(str(package), str(app.template_folder), str(app.static_folder))
    return hashlib.blake2b(repr((files, settings)).encode(), digest_size=16).hexdigest()


def _cache_settings(app: Flask) -> dict:
    """Flask-Caching settings: Redis when REDIS_URL is set (shared by every worker and server), else memory."""
    cfg = app.config
    redis_url = cfg.get("CACHE_REDIS_URL") or cfg.get("REDIS_URL")
    cache_type = cfg.get("CACHE_TYPE") or ("RedisCache" if redis_url else "SimpleCache")
    settings = {
        "CACHE_TYPE": cache_type,
        "CACHE_DEFAULT_TIMEOUT": cfg["CACHE_DEFAULT_TIMEOUT"],
        "CACHE_KEY_PREFIX": cfg["CACHE_KEY_PREFIX"],
        "CACHE_THRESHOLD": cfg["CACHE_THRESHOLD"],
    }
    if cache_type == "RedisCache":
        settings["CACHE_REDIS_URL"] = redis_url
        # A Redis that hangs must not hold a page for long: fail fast, then skip it for a while.
        timeout = cfg["CACHE_REDIS_TIMEOUT_S"]
        settings["CACHE_OPTIONS"] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    return settings


def _page_store(app: Flask, settings: dict) -> PageStore:
    """Redis with every kind capped across servers, else this worker's Flask-Caching store."""
    cfg = app.config
    if settings["CACHE_TYPE"] != "RedisCache":
        return MemoryPages(cache, {"search": cfg["SEARCH_CACHE_MAX_KEYS"]})
    import redis

    options = settings["CACHE_OPTIONS"]
    client = redis.Redis.from_url(settings["CACHE_REDIS_URL"], **options)
    caps = {"page": cfg["CACHE_MAX_PAGES"], "search": cfg["SEARCH_CACHE_MAX_KEYS"]}
    return RedisPages(client, cfg["CACHE_KEY_PREFIX"], caps)


def init_app(app: Flask) -> None:
    """Bind the cache, and make `csrf_token()` and `hole()` hole-aware in templates."""
    settings = _cache_settings(app)
    app.config["CACHE_TYPE"] = settings["CACHE_TYPE"]
    cache.init_app(app, config=settings)
    cfg = app.config
    app.extensions["pagecache"] = _State(
        fingerprint=_fingerprint(app),
        store=_page_store(app, settings),
        timeouts={"page": cfg["CACHE_DEFAULT_TIMEOUT"], "search": cfg["SEARCH_CACHE_TIMEOUT"]},
        max_bytes=cfg["CACHE_MAX_PAGE_BYTES"],
    )
    app.jinja_env.globals["hole"] = hole
    app.jinja_env.globals["frame"] = frame
    # Flask-WTF offers generate_csrf both as a global and through a context processor; this
    # processor runs after its one, so `csrf_token()` is the hole in every template.
    app.context_processor(lambda: {"csrf_token": _csrf_hole})


def set_version_source(app: Flask, source: VersionSource) -> None:
    """Key cached pages by `source`'s version (the catalog's init_app registers its generation)."""
    app.extensions["pagecache"].version = source


def _csrf_hole() -> Markup:
    """`csrf_token()` in templates: the visitor's token, or its hole in a cacheable page."""
    return hole("csrf")
