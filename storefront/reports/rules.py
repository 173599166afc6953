"""Pure report rules: the date range, rates, medians, distributions (RFM: customers/rules.py).

No Flask and no session: numbers in, numbers out. The reports' definitions that are not
about a single day live here (the per-day ones are in analytics/rollup_rules.py).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ..analytics.rollup_rules import DWELL_EDGES
from ..customers.rules import (  # noqa: F401  (the RFM rules live with customers; reports read them here too)
    LAPSING_DAYS,
    RECENT_DAYS,
    SEGMENTS,
    CustomerStats,
    Rfm,
    money_thresholds,
    rfm,
    rfm_segment_counts,
    segment_counts,
    segment_of,
)
from ..domain import N_, DomainError

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: enough to compare a season with last year's
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidRange(DomainError):
    """The report's dates cannot be read or make no range."""

    status_code = 400
    code = "invalid_range"


@dataclass(frozen=True)
class DateRange:
    """Shop days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]


def parse_range(raw_from: str | None, raw_to: str | None, today: date) -> DateRange:
    """The range asked for (YYYY-MM-DD, both optional: the last 30 days up to today by default)."""
    end = _parse_day(raw_to, N_("The end date")) or today
    start = _parse_day(raw_from, N_("The start date")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidRange(N_("The start date must not be after the end date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRange(N_("Choose at most %(days)s days."), days=MAX_DAYS)
    return DateRange(start, end)


def _parse_day(raw: str | None, what: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        if not DATE_RE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
        if day.year < 2000:
            raise ValueError(text)
    except ValueError as exc:
        raise InvalidRange(N_("Dates must look like 2026-01-31 (got %(value)s)."), value=text[:20]) from exc
    return day


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def per(total: int | None, count: int | None) -> int | None:
    """A rounded average in whole units (money in minor units, milliseconds), None without a count."""
    return round(total / count) if count else None


@dataclass(frozen=True)
class FunnelStep:
    """One funnel step: how many reached it, and what share of the first and previous step."""

    key: str
    count: int
    of_first: float | None
    of_previous: float | None

    @property
    def drop_off(self) -> float | None:
        """Share of the previous step that did not reach this one."""
        return None if self.of_previous is None else 1 - self.of_previous


def funnel(steps: list[tuple[str, int]]) -> list[FunnelStep]:
    """Steps with their conversion from the first step and from the one before."""
    first = steps[0][1] if steps else 0
    result, previous = [], None
    for key, count in steps:
        result.append(
            FunnelStep(key, count, rate(count, first), rate(count, previous) if previous is not None else None)
        )
        previous = count
    return result


def kth_smallest(parts: Sequence[Sequence[int]], k: int) -> int:
    """The k-th smallest value (from 0) of several sorted sequences taken together, without merging them.

    A binary search over the values: how many are <= mid is a bisect per sequence (C speed on
    arrays and memoryviews of millions of values), about 32 rounds for 32-bit values.
    """
    low = min(p[0] for p in parts if len(p))
    high = max(p[-1] for p in parts if len(p))
    while low < high:
        mid = (low + high) // 2
        if sum(bisect_right(p, mid) for p in parts) > k:
            high = mid
        else:
            low = mid + 1
    return low


def merged_median(parts: Iterable[Sequence[int]], total: int | None = None, skipped: int = 0) -> int | None:
    """The true median of several sorted sequences of values taken together (days' dwell values).

    As rollup_rules.median_ms: the mean of the middle two for an even count, rounded. By default
    the parts are every value; or there are `total` values in all, of which the `skipped`
    smallest are not in the parts (which then hold the middle ones: see median_buckets).
    """
    parts = [p for p in parts if len(p)]
    total = sum(map(len, parts)) if total is None else total
    if not total:
        return None
    low, high = (kth_smallest(parts, rank - skipped) for rank in ((total - 1) // 2, total // 2))
    return low if low == high else round((low + high) / 2)


@dataclass(frozen=True)
class DwellDay:
    """One day x product's dwell values as the products report reads them first: their count and
    either their cumulative histogram at DWELL_EDGES or, for a short row, the sorted values."""

    count: int
    histogram: Sequence[int] = ()
    values: Sequence[int] | None = None

    def below(self, bucket: int) -> int:
        """How many values lie below bucket `bucket` (below DWELL_EDGES[bucket]); all past the last."""
        if bucket >= len(DWELL_EDGES):
            return self.count
        if self.values is not None:
            return bisect_left(self.values, DWELL_EDGES[bucket])
        return self.histogram[bucket]


def median_buckets(days: Sequence[DwellDay]) -> tuple[int, int]:
    """The buckets (first, last: the same or neighbours) that hold the middle value(s) of the days together.

    The values of buckets first..last of each day are then day.below(first) .. day.below(last + 1):
    merged_median of those slices (skipping the sum of day.below(first)) is the median of all.
    """
    total = sum(d.count for d in days)
    return tuple(_bucket_of(days, rank) for rank in ((total - 1) // 2, total // 2))


def _bucket_of(days: Sequence[DwellDay], rank: int) -> int:
    """The last bucket with at most `rank` values below it: the one holding the rank-th value (from 0)."""
    low, high = 0, len(DWELL_EDGES) - 1
    while low < high:
        mid = (low + high + 1) // 2
        if sum(d.below(mid) for d in days) <= rank:
            low = mid
        else:
            high = mid - 1
    return low


FREQUENCY_LABELS = ("1", "2", "3", "4", "5+")


def orders_histogram(customers: list[CustomerStats]) -> Counter:
    """Customers per number of orders, 5 standing for five or more (one pass over the customers)."""
    return Counter(min(c.orders, 5) for c in customers)


def repeat_rate(customers: list[CustomerStats] | Counter) -> float | None:
    """Share of customers with two or more orders (from the customers or their orders_histogram)."""
    histogram = customers if isinstance(customers, Counter) else orders_histogram(customers)
    return rate(sum(n for orders, n in histogram.items() if orders >= 2), sum(histogram.values()))


def frequency_distribution(customers: list[CustomerStats] | Counter) -> list[tuple[str, int]]:
    """How many customers ordered once, twice ... five times or more (customers or their histogram)."""
    histogram = customers if isinstance(customers, Counter) else orders_histogram(customers)
    return [(label, histogram.get(orders, 0)) for orders, label in enumerate(FREQUENCY_LABELS, 1)]


@dataclass(frozen=True)
class Bucket:
    """A histogram bar: values from `low` (included) to `high` (excluded; None: no upper end)."""

    low: int
    high: int | None
    count: int


def nice_step(span: float, bins: int) -> int:
    """A round bucket width (1, 2 or 5 times a power of ten) giving about `bins` buckets."""
    raw = max(span / max(bins, 1), 1)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def histogram(values: list[int], bins: int = 8) -> list[Bucket]:
    """Equal round-width buckets up to the 95th percentile, then one open bucket for the rest."""
    return histogram_of_counts(Counter(values), bins)


def histogram_of_counts(counts: Mapping[int, int], bins: int = 8) -> list[Bucket]:
    """The same from {value: how many times} (what a GROUP BY gives: far fewer rows than orders)."""
    total = sum(counts.values())
    if not total:
        return []
    ordered = sorted(counts.items())
    seen, top = 0, ordered[-1][0]
    for value, n in ordered:  # the 95th percentile: the value where 95% of the orders are reached
        seen += n
        if seen >= math.ceil(0.95 * total):
            top = value
            break
    step = nice_step(top, bins)
    edges = list(range(0, top + step, step))
    if edges[-1] <= top:
        edges.append(edges[-1] + step)
    per_bucket: Counter = Counter()
    for value, n in ordered:
        per_bucket[min(value // step, len(edges) - 1)] += n
    buckets = [Bucket(edges[i], edges[i + 1], per_bucket.get(i, 0)) for i in range(len(edges) - 1)]
    rest = per_bucket.get(len(edges) - 1, 0)
    if rest:
        buckets.append(Bucket(edges[-1], None, rest))
    return buckets


def heatmap(rows: Iterable[tuple[int, int, int]]) -> list[list[int]]:
    """7 x 24 counts (Monday first, hour 0-23) from (weekday, hour, count) rows."""
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in rows:
        grid[int(weekday)][int(hour)] += int(count)
    return grid


def newest_first_without_quiet_runs(rows: list[dict], keys: Iterable[str], day_key: str = "day") -> list[dict]:
    """Day rows newest first, each run of two or more days with every figure zero folded into one row.

    A folded row is {"quiet": (first_day, last_day)}, oldest day first; a single quiet day keeps its row.
    """
    keys = tuple(keys)
    result: list[dict] = []
    run: list[dict] = []

    def close_run() -> None:
        if len(run) >= 2:
            result.append({"quiet": (run[-1][day_key], run[0][day_key])})
        else:
            result.extend(run)
        run.clear()

    for row in sorted(rows, key=lambda r: r[day_key], reverse=True):
        if all(not row.get(k) for k in keys):
            run.append(row)
        else:
            close_run()
            result.append(row)
    close_run()
    return result
