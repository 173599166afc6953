"""Pure SEO rules: reading a store's free-text opening hours as day and time ranges.

Owners type hours the way they would on a shop door ("Tue-Sat 10am-6pm, Sun 11am-5pm",
"Mon-Fri 9-18", "Daily 10:00-19:00"). Search engines want them as schema.org
OpeningHoursSpecification: days of the week with an opening and a closing time (24 h "HH:MM").
What cannot be read is left out rather than guessed: a wrong "open" is worse than no hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_HOURS_CHARS = 1000  # the store form's limit

_DAY = r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_DAY_SPEC = rf"(?:daily|every\s*day|{_DAY}(?:\s*(?:-|–|to)\s*{_DAY})?)"
_DAYS = rf"{_DAY_SPEC}(?:\s*(?:,|&|\+|and)\s*{_DAY_SPEC})*"
_TIME = r"\d{1,2}(?:[:.h]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?"
_RANGE = rf"{_TIME}\s*(?:-|–|to)\s*{_TIME}"
_RANGES = rf"{_RANGE}(?:\s*(?:,|&|and)\s*{_RANGE})*"
_RULE = re.compile(rf"\b(?P<days>{_DAYS})\b\s*:?\s*(?P<ranges>{_RANGES})", re.IGNORECASE)
_ONE_DAY = re.compile(rf"(?P<first>{_DAY})(?:\s*(?:-|–|to)\s*(?P<last>{_DAY}))?|(?P<all>daily|every\s*day)", re.I)
_ONE_RANGE = re.compile(rf"(?P<opens>{_TIME})\s*(?:-|–|to)\s*(?P<closes>{_TIME})", re.IGNORECASE)
_CLOCK = re.compile(r"(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?", re.I)


@dataclass(frozen=True)
class OpeningHours:
    """Days of the week (schema.org names) open from `opens` to `closes` ("HH:MM", 24 h)."""

    days: tuple[str, ...]
    opens: str
    closes: str


def parse_opening_hours(text: str | None) -> list[OpeningHours]:
    """Every "days times" rule that can be read from the text, in order; [] when none can."""
    plain = re.sub(r"\([^)]*\)", " ", (text or "")[:MAX_HOURS_CHARS])  # "(classes only)" is a remark
    found: list[OpeningHours] = []
    for match in _RULE.finditer(plain):
        days = _days(match.group("days"))
        for one in _ONE_RANGE.finditer(match.group("ranges")):
            times = _times(one.group("opens"), one.group("closes"))
            if days and times:
                found.append(OpeningHours(days, *times))
    return found


def _days(text: str) -> tuple[str, ...]:
    """The days a day list names ("Mon-Wed, Sat" -> Monday, Tuesday, Wednesday, Saturday), in week order."""
    chosen: set[int] = set()
    for match in _ONE_DAY.finditer(text):
        if match.group("all"):
            chosen.update(range(7))
            continue
        first = _day_index(match.group("first"))
        last = _day_index(match.group("last")) if match.group("last") else first
        span = (last - first) % 7  # "Sat-Mon" wraps over the week's end
        chosen.update((first + step) % 7 for step in range(span + 1))
    return tuple(DAYS[i] for i in sorted(chosen))


def _day_index(name: str) -> int:
    """0 for Monday ... 6 for Sunday, from any abbreviation the pattern accepts."""
    return [day[:3].lower() for day in DAYS].index(name[:3].lower())


def _times(opens_text: str, closes_text: str) -> tuple[str, str] | None:
    """("HH:MM", "HH:MM") for one range, or None when a time is impossible.

    A meridiem written only on the closing time ("1-5pm") applies to the opening one too when
    that keeps the opening earlier ("10-6pm" is 10:00 to 18:00); bare "9-5" means 09:00 to 17:00,
    while "18-2" and "6pm-2am" close after midnight. Closing at 24:00 is 23:59,
    the way search engines want "until midnight".
    """
    opens, closes = _clock(opens_text), _clock(closes_text)
    if opens is None or closes is None:
        return None
    (o_hour, o_min, o_half), (c_hour, c_min, c_half) = opens, closes
    if o_half is None and c_half is not None:
        as_same, close_at = _to_24(o_hour, c_half), _to_24(c_hour, c_half)
        earlier = as_same is not None and close_at is not None and (as_same, o_min) < (close_at, c_min)
        o_half = c_half if earlier else "am"
    start, end = _to_24(o_hour, o_half), _to_24(c_hour, c_half)
    if o_half is None and c_half is None and start is not None and end is not None and end <= start <= 12:
        end += 12  # bare "9-5" is a working day, not a night: 09:00 to 17:00
    if start is None or end is None or start == 24 or (end == 24 and c_min):
        return None
    return f"{start:02d}:{o_min:02d}", "23:59" if end == 24 else f"{end:02d}:{c_min:02d}"


def _clock(text: str) -> tuple[int, int, str | None] | None:
    """(hour, minute, "am"/"pm"/None) of a written time, or None when the minutes are impossible."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    minute = int(match.group("minute") or 0)
    half = (match.group("half") or "").replace(".", "").lower() or None
    return (int(match.group("hour")), minute, half) if minute < 60 else None


def _to_24(hour: int, half: str | None) -> int | None:
    """The hour on a 24 h clock (12am is 0, 12pm is 12), or None when impossible (13pm, 25)."""
    if half is None:
        return hour if hour <= 24 else None
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if half == "pm" else 0)
