"""Stores on the request side: the store the shopper chose on /stores, kept in a cookie (checkout reads it)."""

from __future__ import annotations

from flask import request

from ..core.inputs import parse_id

STORE_COOKIE = "store"
STORE_COOKIE_MAX_AGE = 365 * 86400


def chosen_store_id() -> int | None:
    """The store this shopper chose on /stores (from the cookie), if any; checked again by the service."""
    return parse_id(request.cookies.get(STORE_COOKIE))
