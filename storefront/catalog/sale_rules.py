"""Limited-time sales, the pure rules: a sale's price, when it runs, what it overlaps, time left.

A sale applies to a product (all its variants) or to one variant, for [starts_at, ends_at): it runs
from its start, inclusive, to its end, exclusive (at exactly ends_at the regular price is back).
Its price is either fixed (in minor units) or a whole percent off, rounded once, half up, and never
above the regular price. Overlapping sales on one variant are refused when created (sales.py); if
two ever overlapped anyway, the lowest price wins (effective_price), so a shopper is never charged
more than any running sale says. Instants are naive UTC, like every DateTime column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from ..domain import N_, Invalid

FIXED, PERCENT = "fixed", "percent"
KINDS = (FIXED, PERCENT)
MAX_PERCENT = 99  # 100 % off would give things away: not a sale
MAX_DAYS = 366  # a "limited time" longer than a year is a price change, not a sale
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass(frozen=True)
class SaleTerms:
    """What a sale says, without its database row: kind, value, start, end, and its variant (None: all)."""

    kind: str
    value: int
    starts_at: datetime
    ends_at: datetime
    variant_id: int | None = None


def sale_price(regular: int, kind: str, value: int) -> int:
    """The price under a sale: fixed (capped at the regular price) or percent off, rounded once half up."""
    if kind == PERCENT:
        # regular * (100 - value) / 100, rounded half up, in integers: (2n + d) // 2d.
        return (2 * regular * (100 - value) + 100) // 200
    return min(value, regular)


def is_running(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """True while the sale runs: from its start (inclusive) to its end (exclusive)."""
    return starts_at <= now < ends_at


def applies_to(terms: SaleTerms, variant_id: int) -> bool:
    """True when the sale covers this variant (a product-wide sale covers every variant)."""
    return terms.variant_id is None or terms.variant_id == variant_id


def effective_price(
    regular: int, variant_id: int, sales: Iterable[SaleTerms], now: datetime
) -> tuple[int, SaleTerms | None]:
    """The variant's price at `now` and the sale giving it (None: the regular price); the lowest wins."""
    best: tuple[int, SaleTerms | None] = (regular, None)
    for terms in sales:
        if applies_to(terms, variant_id) and is_running(terms.starts_at, terms.ends_at, now):
            price = sale_price(regular, terms.kind, terms.value)
            if price < best[0]:
                best = (price, terms)
    return best


def overlaps(a: SaleTerms, b: SaleTerms) -> bool:
    """True when two sales could price one variant at the same instant."""
    same_scope = a.variant_id is None or b.variant_id is None or a.variant_id == b.variant_id
    empty = a.ends_at <= a.starts_at or b.ends_at <= b.starts_at  # a sale called off before it started
    return same_scope and not empty and a.starts_at < b.ends_at and b.starts_at < a.ends_at


def next_boundary(sales: Iterable[SaleTerms], now: datetime) -> datetime | None:
    """The first instant after `now` at which a sale starts or ends (when a shown price changes)."""
    ahead = [t for s in sales if s.ends_at > s.starts_at for t in (s.starts_at, s.ends_at) if t > now]
    return min(ahead) if ahead else None


def time_left(ends_at: datetime, now: datetime) -> tuple[str, int, datetime]:
    """How to say the time left: ("days"|"hours"|"minutes", count) and until when that text holds.

    Counts are rounded up ("Ends in 2 days" with 1 day 20 hours left): days above 24 hours, hours
    above 1 hour, then minutes (at least 1). The third value is the instant the text changes, so a
    cached page showing it is renewed then (catalog.sale_display).
    """
    left = ends_at - now
    for unit, size in (("days", timedelta(days=1)), ("hours", timedelta(hours=1)), ("minutes", timedelta(minutes=1))):
        if left > size or unit == "minutes":
            count = max(1, -(-left // size))  # rounded up
            return unit, count, ends_at - (count - 1) * size
    raise AssertionError("not reached")  # pragma: no cover


def validate(terms: SaleTerms, regular_prices: Iterable[int], now: datetime) -> None:
    """Refuse a sale that is not one: bad kind or value, no time left, too long, or above a regular price."""
    if terms.kind not in KINDS:
        raise Invalid(N_("Choose a fixed sale price or a percent off."))
    if terms.kind == PERCENT and not 1 <= terms.value <= MAX_PERCENT:
        raise Invalid(N_("The percent off must be a whole number from 1 to %(max)s."), max=MAX_PERCENT)
    if terms.kind == FIXED and terms.value < 0:
        raise Invalid(N_("The sale price cannot be negative."))
    if terms.ends_at <= terms.starts_at:
        raise Invalid(N_("The sale must end after it starts."))
    if terms.ends_at <= now:
        raise Invalid(N_("The sale must end in the future."))
    if terms.ends_at - terms.starts_at > timedelta(days=MAX_DAYS):
        raise Invalid(N_("A sale lasts at most %(days)s days."), days=MAX_DAYS)
    regular = list(regular_prices)
    if terms.kind == FIXED and any(terms.value >= price for price in regular):
        raise Invalid(N_("The sale price must be below the regular price."))


def parse_local(value: str | None, zone: tzinfo) -> datetime:
    """A datetime-local input in the shop's zone as naive UTC; refuses a time that a clock change skips.

    A time the autumn change repeats is taken at its first occurrence (fold=0).
    """
    try:
        local = datetime.strptime((value or "").strip(), LOCAL_FORMAT)
    except ValueError:
        raise Invalid(N_("Enter a date and time.")) from None
    try:
        aware = local.replace(tzinfo=zone, fold=0)
        utc = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Invalid(N_("Enter a date and time.")) from None
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        raise Invalid(N_("That time does not exist in the shop's time zone (the clocks change then)."))
    return utc.replace(tzinfo=None)


def to_local(instant: datetime, zone: tzinfo) -> str:
    """A naive UTC instant as a datetime-local value in the shop's zone."""
    return instant.replace(tzinfo=UTC).astimezone(zone).strftime(LOCAL_FORMAT)
