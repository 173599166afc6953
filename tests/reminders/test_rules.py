"""The pure reminder rules: the lapse interval (examples and properties) and the settings form's bounds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.domain import Invalid
from storefront.reminders import rules

T0 = datetime(2026, 1, 1, 12, 0)
DAY = timedelta(days=1)


def test_one_order_customers_wait_the_minimum_days():
    assert rules.usual_interval([T0], 150, 30) == 30 * DAY
    assert rules.usual_interval([], 150, 30) is None
    assert rules.lapsed_since([], 150, 30) is None


def test_the_median_gap_times_the_factor():
    dates = [T0, T0 + 40 * DAY, T0 + 80 * DAY, T0 + 200 * DAY]  # gaps 40, 40, 120: median 40
    assert rules.usual_interval(dates, 150, 30) == 60 * DAY
    assert rules.lapsed_since(dates, 150, 30) == T0 + 260 * DAY
    assert rules.is_lapsed(dates, 150, 30, T0 + 260 * DAY)
    assert not rules.is_lapsed(dates, 150, 30, T0 + 260 * DAY - timedelta(seconds=1))
    even = [T0, T0 + 40 * DAY, T0 + 100 * DAY]  # gaps 40, 60: median 50
    assert rules.usual_interval(even, 200, 30) == 100 * DAY


def test_the_minimum_is_a_floor_for_frequent_buyers_too():
    twice_an_afternoon = [T0, T0 + timedelta(hours=3)]
    assert rules.usual_interval(twice_an_afternoon, 150, 30) == 30 * DAY


@given(
    st.lists(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)), min_size=1, max_size=30),
    st.integers(100, 1000),
    st.integers(1, 3650),
)
def test_the_interval_is_never_below_the_floor_and_never_above_the_longest_gap_times_the_factor(dates, pct, days):
    interval = rules.usual_interval(dates, pct, days)
    ordered = sorted(dates)
    longest = max((b - a for a, b in zip(ordered, ordered[1:], strict=False)), default=timedelta(0))
    assert timedelta(days=days) <= interval <= max(timedelta(days=days), longest * pct / 100 + timedelta(seconds=1))
    assert rules.usual_interval(list(reversed(dates)), pct, days) == interval  # order of the input does not matter
    assert rules.lapsed_since(dates, pct, days) == max(dates) + interval


@given(st.integers(100, 1000))
def test_the_factor_shown_reads_back_the_same(pct):
    form = {"cart_hours": "4", "lapse_min_days": "30", "lapse_factor": rules.factor_text(pct)}
    assert rules.parse_settings(form).lapse_factor_pct == pct


def test_a_good_form_parses():
    form = {
        "cart_on": "1",
        "cart_hours": " 6 ",
        "lapse_factor": "1,75",
        "lapse_min_days": "45",
        "lapse_code": " COMEBACK10 ",
        "email_on": "1",
    }
    assert rules.parse_settings(form) == rules.Settings(
        cart_on=True, cart_hours=6, lapse_on=False, lapse_factor_pct=175, lapse_min_days=45,
        lapse_code="COMEBACK10", push_on=False, email_on=True, stock_on=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "field, raw",
    [
        ("cart_hours", "0"),
        ("cart_hours", "721"),
        ("cart_hours", "4.5"),
        ("cart_hours", ""),
        ("cart_hours", "٤"),
        ("lapse_factor", "0.5"),
        ("lapse_factor", "10.01"),
        ("lapse_factor", "1.555"),
        ("lapse_factor", "abc"),
        ("lapse_factor", "1e3"),
        ("lapse_min_days", "0"),
        ("lapse_min_days", "99999999"),
        ("lapse_code", "x" * 41),
        ("lapse_code", "A\x00B"),
    ],
)
def test_bad_settings_are_refused(field, raw):
    form = {"cart_hours": "4", "lapse_factor": "1.5", "lapse_min_days": "30", field: raw}
    with pytest.raises(Invalid):
        rules.parse_settings(form)
