"""Ids, tokens and days from the outside world (URLs, query strings, forms, cookies), checked before any query.

Every table's id is a 32-bit INTEGER: PostgreSQL answers a larger number with "integer out of
range" and SQLite cannot even bind 26 digits, so an id outside 1..2**31-1 names nothing and
must be answered as "not found" before it reaches the database. Likewise a cookie is whatever
the browser (or an attacker) sends: one that is not shaped like ours is treated as absent.
No Flask here (pure rules use parse_id); a NUL byte anywhere in a request is refused by
core.security before any view runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from werkzeug.routing import IntegerConverter, ValidationError

if TYPE_CHECKING:
    from flask import Flask

MAX_ID = 2**31 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def parse_id(raw: object) -> int | None:
    """A database id (1..MAX_ID) from text such as a query argument or form field, else None."""
    text = raw.strip() if isinstance(raw, str) else ""
    # Length first: int() of thousands of digits is slow, and refused outright by Python 3.11.
    if not text or len(text) > _MAX_ID_DIGITS or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: only 1..MAX_ID match, anything else is a 404 without a query."""

    def to_python(self, value: str) -> int:
        """The id, or no match (ValidationError) for zero, leading-zero floods and out-of-range numbers."""
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed


def token_cookie(cookies: Mapping[str, str], name: str, max_length: int = 64) -> str | None:
    """A cookie holding one of our URL-safe tokens, or None when absent or not shaped like one."""
    raw = cookies.get(name)
    if not raw or len(raw) > max_length or not _TOKEN_RE.fullmatch(raw):
        return None
    return raw


def parse_day(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) from a filter, or None when empty or invalid."""
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def init_app(app: Flask) -> None:
    """Bound the `int` route converter app-wide (before any blueprint adds its rules)."""
    app.url_map.converters["int"] = IdConverter
