"""Content negotiation for br/gzip, and compression of the app's own text responses.

When nothing in front compresses (gunicorn alone, or a proxy without it), pages and JSON go out
brotli- or gzip-encoded to clients that accept it. A compressed body is another representation
of the same page, so its ETag becomes weak (`W/"<hash>"`, as nginx does when it gzips): the
view's own revalidation (`core.caching.revalidated`, `make_conditional`) compares If-None-Match
weakly, so a browser holding the compressed copy still gets its cheap 304.

BREACH (compression over TLS leaking a secret that sits next to reflected input) is kept out by:
the session cookie is SameSite=Lax, so the cross-site requests an attacker's page can fire in
bulk carry no session and get a fresh anonymous token, never the victim's; and Flask-WTF's form
token is `payload.timestamp.HMAC`, its signed part changing every second, so there is no fixed
secret for an oracle to converge on (the payload alone is useless without the HMAC).
`COMPRESS_RESPONSES=0` turns this off (e.g. when nginx compresses instead).
"""

from __future__ import annotations

import gzip
from functools import lru_cache

import brotli
from flask import Flask, Response, current_app, request

# Best first: on equal quality values the client gets brotli (smaller for text).
CODINGS = ("br", "gzip")
MIN_BYTES = 500  # below this the encoding's framing and the CPU cost are not worth it
# Text that shrinks well; images, fonts (woff2) and archives are compressed already.
TEXT_TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/xml",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)
# Dynamic bodies are compressed on every request: fast settings (brotli 4 costs ~0.2 ms for a
# 12 kB page here, 5 twice that for 7 % less); static files are compressed once, at the best.
DYNAMIC_LEVEL = {"br": 4, "gzip": 6}
STATIC_LEVEL = {"br": 11, "gzip": 9}


@lru_cache(maxsize=256)
def choose_coding(accept_encoding: str, offered: tuple[str, ...] = CODINGS) -> str | None:
    """The best of `offered` that the Accept-Encoding header allows, or None for identity.

    Honours q-values (`br;q=0` refuses brotli) and `*`; a named coding overrides `*`.
    """
    qualities: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip()
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # a malformed q-value is no consent
        qualities[name] = quality
    scored = [(qualities.get(c, qualities.get("*", 0.0)), -rank, c) for rank, c in enumerate(offered)]
    best = max(scored, default=(0.0, 0, None))
    return best[2] if best[0] > 0 else None


def compress(data: bytes, coding: str, level: int) -> bytes:
    """`data` encoded with `coding` ("br" or "gzip") at `level` (mtime 0: same input, same bytes)."""
    if coding == "br":
        return brotli.compress(data, mode=brotli.MODE_TEXT, quality=level)
    if coding == "gzip":
        return gzip.compress(data, compresslevel=level, mtime=0)
    raise ValueError(f"unknown content coding {coding!r}")


def _weak_etag(response: Response) -> None:
    """Mark the ETag weak: the compressed bytes differ, the page is the same."""
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def _compressible(response: Response) -> bool:
    """A whole, unencoded text body worth compressing, that no directive forbids changing."""
    if response.status_code in (204, 206, 304) or response.status_code < 200:
        return False
    if response.direct_passthrough or response.is_streamed or "Content-Encoding" in response.headers:
        return False
    if response.mimetype not in TEXT_TYPES or response.cache_control.no_transform:
        return False
    length = response.calculate_content_length()
    return length is not None and length >= current_app.config.get("COMPRESS_MIN_BYTES", MIN_BYTES)


def compress_response(response: Response) -> Response:
    """after_request: encode a text body with the client's best accepted coding."""
    if not current_app.config.get("COMPRESS_RESPONSES", True):
        return response
    if response.status_code == 304:
        if response.mimetype in TEXT_TYPES and not response.direct_passthrough:
            response.vary.add("Accept-Encoding")  # as the full answer would (static files say it themselves)
        return response
    if not _compressible(response):
        return response
    response.vary.add("Accept-Encoding")  # the identity answer varies too: caches must key on it
    coding = choose_coding(request.headers.get("Accept-Encoding", ""))
    if coding is None:
        return response
    response.set_data(compress(response.get_data(), coding, DYNAMIC_LEVEL[coding]))
    response.headers["Content-Encoding"] = coding
    _weak_etag(response)
    return response


def init_app(app: Flask) -> None:
    """Register the compression hook, after the others so that it runs first (Flask runs them in
    reverse): the request log then records the bytes sent. No other hook changes the body."""
    app.after_request(compress_response)
