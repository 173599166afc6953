"""The pure report rules (range, funnel, histogram, RFM) and the SVG charts."""

from __future__ import annotations

import random
import re
import statistics
from datetime import date

import pytest

from storefront.analytics import rollup_rules as rr
from storefront.reports import charts, rules
from storefront.reports.rules import CustomerStats, InvalidRange

pytestmark = pytest.mark.clock_sensitive  # date ranges and days in the shop zone


TODAY = date(2026, 3, 31)


def test_the_range_defaults_to_the_last_30_days_and_refuses_nonsense():
    assert rules.parse_range(None, "", TODAY) == rules.DateRange(date(2026, 3, 2), TODAY)
    assert rules.parse_range("2026-01-01", "2026-01-01", TODAY).days == 1
    assert rules.parse_range(None, "2026-02-10", TODAY).start == date(2026, 1, 12)
    for bad in [
        ("2026-02-30", None),
        ("2026-W05-1", None),
        ("20260101", None),
        (None, "2026-1-1"),
        ("0001-01-01", None),
    ]:
        with pytest.raises(InvalidRange, match="2026-01-31"):
            rules.parse_range(*bad, TODAY)
    with pytest.raises(InvalidRange, match="after"):
        rules.parse_range("2026-03-02", "2026-03-01", TODAY)
    with pytest.raises(InvalidRange, match="731"):
        rules.parse_range("2024-01-01", "2026-01-02", TODAY)


def test_the_funnel_says_the_share_kept_and_lost_at_each_step():
    steps = rules.funnel([("view", 200), ("cart", 50), ("checkout", 20), ("paid", 10)])
    assert [s.of_first for s in steps] == [1, 0.25, 0.1, 0.05]
    assert [s.drop_off for s in steps] == [None, 0.75, 0.6, 0.5]
    assert [s.of_first for s in rules.funnel([("view", 0), ("cart", 0)])] == [None, None]


def test_order_values_fall_in_round_buckets_with_an_open_last_one():
    assert rules.nice_step(9000, 8) == 2000 and rules.nice_step(700, 8) == 100 and rules.nice_step(0, 8) == 1
    values = [500, 1500, 2500, 2600, 4999, 5000, 7100] + [3000] * 20 + [250_000]
    buckets = rules.histogram(values)
    assert sum(b.count for b in buckets) == len(values)
    assert buckets[-1].high is None and buckets[-1].count == 1  # the one far out, not 30 empty bars
    assert all(b.high - b.low == buckets[0].high for b in buckets[:-1])
    assert rules.histogram([]) == []


def test_rfm_scores_and_segments():
    end = date(2026, 3, 31)
    customers = [
        CustomerStats("champ", 5, 90_000, date(2026, 3, 30)),
        CustomerStats("loyal", 2, 8_000, date(2026, 1, 20)),
        CustomerStats("new", 1, 3_000, date(2026, 3, 25)),
        CustomerStats("risk", 3, 50_000, date(2025, 10, 1)),
        CustomerStats("lapsed", 1, 2_000, date(2025, 12, 1)),
        CustomerStats("lost", 1, 1_000, date(2024, 12, 1)),
    ]
    scored = {r.key: r for r in rules.rfm(customers, end)}
    assert {k: r.segment for k, r in scored.items()} == {
        "champ": "champions",
        "loyal": "loyal",
        "new": "new",
        "risk": "at_risk",
        "lapsed": "lapsed",
        "lost": "lapsed",
    }
    assert (scored["champ"].r, scored["champ"].f, scored["champ"].m, scored["champ"].recency_days) == (3, 3, 3, 1)
    assert (scored["loyal"].r, scored["loyal"].f) == (2, 2)
    assert rules.repeat_rate(customers) == 0.5
    assert rules.frequency_distribution(customers) == [("1", 3), ("2", 1), ("3", 1), ("4", 0), ("5+", 1)]
    histogram = rules.orders_histogram(customers)  # what the report computes once for both figures
    assert histogram == {1: 3, 2: 1, 3: 1, 5: 1}
    assert rules.repeat_rate(histogram) == 0.5
    assert rules.frequency_distribution(histogram) == rules.frequency_distribution(customers)
    counts = {key: (n, revenue) for key, n, revenue in rules.segment_counts(list(scored.values()))}
    assert counts["lapsed"] == (2, 3_000) and counts["champions"] == (1, 90_000)
    assert rules.repeat_rate([]) is None


def test_heatmap_and_merged_medians():
    grid = rules.heatmap([(0, 0, 2), (6, 23, 5), (6, 23, 1)])
    assert grid[0][0] == 2 and grid[6][23] == 6 and sum(map(sum, grid)) == 8
    assert rules.merged_median([[1, 5], [], [2, 9, 10]]) == 5  # over every value, not a median of medians
    assert rules.merged_median([]) is None
    assert rules.merged_median([[], []]) is None
    assert rules.merged_median([[900, 10000, 20000]]) == 10000
    assert rules.merged_median([[1, 5, 7, 20]]) == 6 and rules.merged_median([[1000], [2001]]) == 1500  # as median_ms
    assert rules.merged_median([[30, 40], [5, 100]]) == 35
    assert rules.merged_median([[7, 9]], total=6, skipped=2) == 8  # the 2 smallest of 6 left out: ranks 2 and 3


def _days_as_stored(days: list[list[int]]) -> list[rules.DwellDay]:
    """Each day as the products page reads it: a short row's values, else its histogram."""
    stored = []
    for values in days:
        fields = rr.dwell_fields(sorted(values))
        decoded = rr.decode_values(fields["dwell_histogram"] or fields["dwell_values"])
        if len(values) > rr.HISTOGRAM_FROM:
            stored.append(rules.DwellDay(len(values), histogram=decoded))
        else:
            stored.append(rules.DwellDay(len(values), values=decoded))
    return stored


def _median_from_buckets(days: list[list[int]]) -> int | None:
    """What reports.service._merged_dwell does: the middle buckets' slices only, then merged_median."""
    stored = _days_as_stored(days)
    first, last = rules.median_buckets(stored)
    bounds = [(d.below(first), d.below(last + 1)) for d in stored]
    slices = [sorted(values)[low:high] for values, (low, high) in zip(days, bounds, strict=True)]
    assert all(len(s) == high - low for s, (low, high) in zip(slices, bounds, strict=True))
    skipped = sum(low for low, _high in bounds)
    return rules.merged_median(slices, total=sum(map(len, days)), skipped=skipped)


@pytest.mark.parametrize("seed", range(40))
def test_the_merged_median_of_sorted_days_is_the_median_of_all_their_values(seed):
    rng = random.Random(seed)
    scale = rng.choice([3, 1000, 90_000, 5_000_000, rr.DWELL_MAX])  # ties galore .. the whole range
    days = []
    for _ in range(rng.randint(1, 6)):
        size = rng.choice([0, 1, 2, rng.randint(3, 50), rng.randint(150, 700)])  # empty, one, short, long rows
        days.append(sorted(rng.randint(0, scale) for _ in range(size)))
    everything = [v for day in days for v in day]
    expected = round(statistics.median(everything)) if everything else None  # rollup_rules.median_ms
    assert rules.merged_median(days) == expected
    assert rules.merged_median([rr.decode_values(rr.encode_values(day)) for day in days]) == expected
    if everything:
        assert _median_from_buckets(days) == expected


def test_median_buckets_find_the_middle_when_it_straddles_two_buckets():
    days = [[999] * 200, [1000] * 200]  # an even count: the middle two are 999 (bucket 0) and 1000 (bucket 1)
    assert rules.median_buckets(_days_as_stored(days)) == (0, 1)
    assert _median_from_buckets(days) == 1000  # round(999.5): half to even, as median_ms
    assert _median_from_buckets([[5] * 300, [rr.DWELL_MAX] * 301]) == rr.DWELL_MAX  # the last bucket has no end


def _attrs(svg: str) -> tuple[str, int]:
    return re.search(r'viewBox="([^"]+)"', svg).group(1), svg.count("<title")


def test_charts_are_accessible_svg_without_style_attributes():
    rows = [("<script>alert(1)</script>", 10), ("Wool & linen", 5)]
    bar = str(charts.bar_chart("c1", "Top <b>", "Desc & more", rows, str, "Nothing"))
    assert bar.startswith(f'<svg class="chart" id="c1" viewBox="0 0 {charts.WIDTH} ') and 'role="img"' in bar
    assert 'aria-labelledby="c1-t c1-d"' in bar and '<title id="c1-t">Top &lt;b&gt;</title>' in bar
    assert "<script>" not in bar and "&lt;script&gt;" in bar and "Wool &amp; linen" in bar
    assert " style=" not in bar and _attrs(bar)[1] == 1 + len(rows)
    assert "Nothing" in str(charts.bar_chart("c2", "t", "d", [], str, "Nothing"))
    points = [(f"D{i}", i * 10) for i in range(30)]
    column = str(charts.column_chart("c3", "t", "d", points, str))
    assert _attrs(column) == (f"0 0 {charts.WIDTH} 182", 31)
    assert column.count("<text") < 30 + 4 + 1  # x labels thinned out so they never overlap
    line = str(charts.line_chart("c4", "t", "d", [p[0] for p in points], [("A", [1] * 30, "#000")], str))
    assert line.count("<circle") == 30 and "<polyline" in line
    grid = [[h * d for h in range(24)] for d in range(7)]
    heat = str(charts.heatmap_chart("c5", "t", "d", grid, list("MTWTFSS"), lambda r, h, v: f"{r}/{h}: {v}"))
    assert heat.count("<rect") == 168 and "<title>6/23: 138</title>" in heat
    assert charts.shade(0, 10) == "#f5f8f8" and charts.shade(10, 10) == "#1f4e5f"
    assert [charts.nice_max(v) for v in (0, 7, 460, 1000, 0.5)] == [3, 7.5, 600, 1500, 3]
