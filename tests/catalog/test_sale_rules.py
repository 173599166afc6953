"""The pure rules of limited-time sales: price, rounding, boundaries, overlaps, time left, local times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storefront.catalog import sale_rules as rules
from storefront.catalog.sale_rules import FIXED, PERCENT, SaleTerms
from storefront.domain import Invalid

START = datetime(2026, 6, 17, 16, 0)
END = datetime(2026, 6, 20, 16, 0)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("regular", "percent", "expected"),
    [
        (1000, 25, 750),
        (999, 15, 849),  # 849.15 -> 849
        (1999, 50, 1000),  # 999.5 -> 1000: half up
        (1, 50, 1),  # 0.5 -> 1: half up
        (3, 50, 2),  # 1.5 -> 2
        (5, 10, 5),  # 4.5 -> 5
        (100, 99, 1),
        (0, 30, 0),
    ],
)
def test_percent_off_is_rounded_once_half_up(regular, percent, expected):
    assert rules.sale_price(regular, PERCENT, percent) == expected


def test_a_fixed_sale_price_is_never_above_the_regular_price():
    assert rules.sale_price(2000, FIXED, 1500) == 1500
    assert rules.sale_price(2000, FIXED, 2500) == 2000


def test_a_sale_runs_from_its_start_inclusive_to_its_end_exclusive():
    assert not rules.is_running(START, END, START - timedelta(microseconds=1))
    assert rules.is_running(START, END, START)
    assert rules.is_running(START, END, END - timedelta(microseconds=1))
    assert not rules.is_running(START, END, END)


def test_effective_price_applies_the_running_sale_of_the_variant_and_the_lowest_wins():
    whole = SaleTerms(PERCENT, 10, START, END)
    one = SaleTerms(FIXED, 700, START, END, variant_id=2)
    later = SaleTerms(FIXED, 100, END, END + timedelta(days=1))
    assert rules.effective_price(1000, 1, [whole, one, later], START) == (900, whole)
    assert rules.effective_price(1000, 2, [whole, one, later], START) == (700, one)
    assert rules.effective_price(1000, 2, [whole, one, later], END) == (100, later)
    assert rules.effective_price(1000, 2, [whole, one], END) == (1000, None)


def test_overlaps_count_scope_and_touching_ends_do_not_overlap():
    whole = SaleTerms(PERCENT, 10, START, END)
    assert rules.overlaps(whole, SaleTerms(FIXED, 1, END - timedelta(hours=1), END + timedelta(days=1), 5))
    assert not rules.overlaps(whole, SaleTerms(FIXED, 1, END, END + timedelta(days=1)))  # back to back
    a, b = SaleTerms(FIXED, 1, START, END, 1), SaleTerms(FIXED, 1, START, END, 2)
    assert not rules.overlaps(a, b)  # two variants of one product


def test_next_boundary_is_the_first_start_or_end_after_now():
    sales = [
        SaleTerms(PERCENT, 10, START, END),
        SaleTerms(PERCENT, 10, END + timedelta(days=2), END + timedelta(days=3)),
    ]
    assert rules.next_boundary(sales, START - timedelta(hours=1)) == START
    assert rules.next_boundary(sales, START) == END
    assert rules.next_boundary(sales, END) == END + timedelta(days=2)
    assert rules.next_boundary(sales, END + timedelta(days=3)) is None


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=2, hours=5), ("days", 3, timedelta(days=2))),
        (timedelta(days=1, hours=20), ("days", 2, timedelta(days=1))),
        (timedelta(days=1, seconds=1), ("days", 2, timedelta(days=1))),
        (timedelta(days=1), ("hours", 24, timedelta(hours=23))),
        (timedelta(hours=3), ("hours", 3, timedelta(hours=2))),
        (timedelta(hours=2, minutes=59), ("hours", 3, timedelta(hours=2))),
        (timedelta(hours=1), ("minutes", 60, timedelta(minutes=59))),
        (timedelta(minutes=59, seconds=1), ("minutes", 60, timedelta(minutes=59))),
        (timedelta(seconds=10), ("minutes", 1, timedelta(0))),
    ],
)
def test_time_left_and_until_when_its_text_holds(left, expected):
    unit, count, remaining_at_change = expected
    assert rules.time_left(END, END - left) == (unit, count, END - remaining_at_change)


def _terms(**changes) -> SaleTerms:
    values = {"kind": FIXED, "value": 1500, "starts_at": START, "ends_at": END, "variant_id": None} | changes
    return SaleTerms(**values)


@pytest.mark.parametrize(
    "terms",
    [
        _terms(kind="bogus"),
        _terms(kind=PERCENT, value=0),
        _terms(kind=PERCENT, value=100),
        _terms(value=-1),
        _terms(value=2000),  # equal to the regular price: not a sale
        _terms(value=2500),
        _terms(ends_at=START),
        _terms(ends_at=START - timedelta(hours=1)),
        _terms(starts_at=START - timedelta(days=10), ends_at=START - timedelta(days=1)),  # already over
        _terms(ends_at=START + timedelta(days=367)),
    ],
)
def test_validate_refuses_what_is_not_a_sale(terms):
    with pytest.raises(Invalid):
        rules.validate(terms, [2000, 3000], START)


def test_validate_accepts_a_sale_below_every_regular_price():
    rules.validate(_terms(), [2000, 3000], START)
    rules.validate(_terms(kind=PERCENT, value=20), [2000], START)


def test_local_times_around_midnight_are_the_shop_zone_s():
    assert rules.parse_local("2026-06-17T00:00", NEW_YORK) == datetime(2026, 6, 17, 4, 0)
    assert rules.parse_local("2026-12-31T23:59", NEW_YORK) == datetime(2027, 1, 1, 4, 59)
    assert rules.parse_local("2026-06-17T00:00", ZoneInfo("UTC")) == datetime(2026, 6, 17, 0, 0)
    assert rules.to_local(datetime(2026, 6, 17, 3, 30), NEW_YORK) == "2026-06-16T23:30"


def test_a_time_the_spring_change_skips_is_refused_and_a_repeated_one_is_its_first():
    with pytest.raises(Invalid):
        rules.parse_local("2026-03-08T02:30", NEW_YORK)  # 02:00 -> 03:00 that night
    assert rules.parse_local("2026-11-01T01:30", NEW_YORK) == datetime(2026, 11, 1, 5, 30)  # EDT, the first 01:30
    assert rules.parse_local("2026-11-01T03:00", NEW_YORK) == datetime(2026, 11, 1, 8, 0)  # EST after


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-02-30T10:00", "2026-06-17", "9999-12-31T23:59x", None])
def test_bad_local_times_are_refused(text):
    with pytest.raises(Invalid):
        rules.parse_local(text, NEW_YORK)
