"""ETags for shopper pages, so an unchanged page revalidates as an empty 304.

A page's CSRF token is re-signed (with a timestamp) on every request, so hashing the raw body
would never match. The ETag is taken over the body without this request's token instead. That is
safe: these pages vary by Cookie, so a browser only revalidates a copy made for the same session,
whose token is the same session token (tokens do not expire: WTF_CSRF_TIME_LIMIT is None).
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, g, request


def revalidated(response: Response, etag: str | None = None) -> Response:
    """Give a public page an ETag (ignoring its CSRF token) and answer 304 when it matches.

    `etag`: one already computed the same way (core.pagecache gets it without hashing the page).
    """
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return response  # tokens expire: an old copy's token could be stale, so always send the page
    if etag is None:
        body = response.get_data()
        token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        basis = body.replace(token.encode(), b"") if isinstance(token, str) and token else body
        etag = hashlib.blake2b(basis, digest_size=16).hexdigest()
    response.set_etag(etag)
    return response.make_conditional(request)
