"""The shop's clock: naive UTC datetimes everywhere in the database."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (what every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)
