"""The feeds' private addresses: /feeds/<token>/google.xml and /feeds/<token>/meta.csv.

A fetch checks the token (unknown, revoked or of the other format: 404), counts itself (the one
commit), then answers 304 when the fetcher holds the current feed, else the finished file (its
gzip copy to a fetcher that accepts gzip), else (SHOP_URL set) the previous generation's file
while the background job builds the current one, else the feed streamed from the catalog while
it is kept for the next fetch (cache.py).

With DATABASE_REPLICA_URL set the feed (its generation, settings and catalog) is read from the read
replica (core.replica); the token check and the fetch count stay on the primary, so a revoked link
stops at once. The key is the replica's generation: a file is never older than its key.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, request, send_file, stream_with_context
from flask_limiter.util import get_remote_address

from ..catalog.generation import current, peek
from ..clock import utcnow
from ..core import replica
from ..core.compression import choose_coding
from ..db import write_transaction
from ..extensions import db, limiter, rate_limits_off
from . import cache, formats, service
from .build import FEED_VERSION, feed_chunks
from .rules import GOOGLE, META, FeedSettings, cache_key, settings_key
from .web import base_url

# Per token: Google fetches daily, Meta hourly at most; a few manual fetches on top are fine.
FEED_RATE_LIMIT = "60 per hour"

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


def _rate_limit() -> str:
    """The limit in force per feed token (setting FEEDS_RATE_LIMIT, else FEED_RATE_LIMIT)."""
    return current_app.config.get("FEEDS_RATE_LIMIT") or FEED_RATE_LIMIT


def _per_token() -> str:
    """The rate-limit key: the token's digest (never the token itself), else the address."""
    token = (request.view_args or {}).get("token")
    if not isinstance(token, str):
        return get_remote_address()
    return "feed:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@bp.get("/<token>/google.xml")
@limiter.limit(_rate_limit, key_func=_per_token, exempt_when=rate_limits_off)
def google(token: str):
    """Google Merchant Center's scheduled fetch: RSS 2.0 with the g: namespace."""
    return _serve(token, GOOGLE)


@bp.get("/<token>/meta.csv")
@limiter.limit(_rate_limit, key_func=_per_token, exempt_when=rate_limits_off)
def meta(token: str):
    """Meta Commerce Manager's data feed: CSV with a header row."""
    return _serve(token, META)


def _serve(token: str, fmt: str) -> Response:
    """Check the token, count the fetch, then 304, the finished file, or the feed streamed and kept."""
    link = service.live_link(db.session, token, fmt)
    if link is None:
        abort(404)
    link_id = link.id  # write_transaction commits the read first, which expires `link`
    reads = replica.reads()
    generation = _generation(reads)  # read before any catalog row: a feed is never older than its key
    if generation is not None:  # and the last sale start or end passed: a sale's change makes a new feed
        generation = f"{generation}~{service.sales_phase(reads, utcnow())}"
    settings = service.feed_settings(reads, current_app.config, base_url())
    # The request's one write: a GET starts SQLite's transactions as reads, and a read cannot
    # always become a write (another connection wrote since); this takes the write lock up front.
    with write_transaction(db.session):
        service.record_fetch(db.session, link_id, utcnow())
    if generation is None:  # the database cannot say what changed: build the feed, keep nothing
        return _headers(_streamed(fmt, settings, None), None)
    key = cache_key(fmt, generation, settings, FEED_VERSION)
    if request.if_none_match.contains_weak(key):  # the plain or the gzip copy: the same feed
        return _headers(Response(status=304), key)
    folder = cache.cache_dir(current_app.config, current_app.instance_path)
    family = settings_key(fmt, settings, FEED_VERSION)
    found = _kept(folder, fmt, family, key)
    if found is not None:
        path, kept_key = found
        if request.if_none_match.contains_weak(kept_key):  # the fetcher holds the (stale) feed it would get
            return _headers(Response(status=304), kept_key)
        try:
            return _from_file(path, fmt, kept_key)
        except FileNotFoundError:  # a newer build's clean-up removed it just now: build the current one
            pass
    # No file at all yet: build it while it streams, the only case where a fetcher waits for a build.
    return _headers(_streamed(fmt, settings, cache.cached_path(folder, fmt, family, key)), key)


def _generation(reads) -> str | None:
    """The catalog generation of the database the feed is read from (the replica's never creates the row)."""
    return current(db.engine) if reads is db.session else peek(reads.get_bind())


def _kept(folder, fmt: str, family: str, key: str):
    """The finished file to serve and its key: the current one, else (SHOP_URL set) the newest older one.

    STALE ON PURPOSE: with SHOP_URL set, the background job (jobs.py) builds the current feed
    within a minute of a catalog change; until it is done a fetch gets the previous generation's
    file under that file's own ETag, so a fetcher never waits ~2 s for a build. Merchant Center and
    Meta fetch daily or hourly, so a feed a minute behind is harmless. Without SHOP_URL the job
    cannot know the address, so nothing would ever catch up: the fetch builds the current feed.
    """
    found = cache.find(folder, fmt, family, key)
    if found is not None:
        return found, key
    if not current_app.config.get("SHOP_URL"):
        return None
    return cache.newest(folder, fmt, family)


def _from_file(found, fmt: str, key: str) -> Response:
    """The finished feed as kept: its gzip copy to a fetcher that accepts gzip, else the plain file."""
    zipped = cache.gzipped(found)
    if choose_coding(request.headers.get("Accept-Encoding", ""), ("gzip",)) and zipped.is_file():
        response = send_file(zipped, mimetype=formats.CONTENT_TYPES[fmt], etag=False, conditional=False, max_age=None)
        response.headers["Content-Encoding"] = "gzip"
        return _headers(response, key, weak=True)  # another representation of the same feed (as core.compression)
    response = send_file(found, mimetype=formats.CONTENT_TYPES[fmt], etag=False, conditional=False, max_age=None)
    return _headers(response, key)


def _streamed(fmt: str, settings: FeedSettings, keep_at) -> Response:
    """The feed built from the catalog as it streams out; also written to `keep_at` when given."""
    chunks = _chunks(fmt, settings)
    body = cache.written_through(chunks, keep_at) if keep_at is not None else (c.encode() for c in chunks)
    response = Response(stream_with_context(body), content_type=formats.CONTENT_TYPES[fmt])
    # Stay a stream: a hook asking for the length (the request log does) would otherwise read the
    # whole feed into memory before the first byte leaves.
    response.implicit_sequence_conversion = False
    return response


def _chunks(fmt: str, settings: FeedSettings):
    """The feed's text from the catalog, then the read transaction ended."""
    reads = replica.reads()
    yield from feed_chunks(reads, fmt, settings)
    reads.rollback()  # end the read transaction now, not at teardown (SQLite keeps its snapshot)


def _headers(response: Response, key: str | None, weak: bool = False) -> Response:
    """A private address: not indexed, not leaked as a referrer, not kept by shared caches; the ETag."""
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Accept-Encoding")  # a cached feed is sent gzipped to fetchers that accept it
    if key is not None:
        response.set_etag(key, weak=weak)
    return response
