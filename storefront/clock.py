"""The shop's clock: naive UTC datetimes everywhere in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (what every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc_midnight(day: date, tz: tzinfo) -> datetime | None:
    """The start of `day` in the shop's time zone as naive UTC (what the database stores).

    None when that instant is beyond what datetime can hold (around the years 1 and 9999).
    """
    try:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return None
