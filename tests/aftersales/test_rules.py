"""The request's state table, the return window and the quantity bounds (pure rules, no database)."""

from __future__ import annotations

from datetime import datetime
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from storefront.aftersales import rules
from storefront.aftersales.rules import Kind, LineAsk, Status, Step, StepRefused, WindowClosed
from storefront.domain import Invalid

UTC, NEW_YORK = ZoneInfo("UTC"), ZoneInfo("America/New_York")

# Every allowed path, written out independently of the table: a changed table fails here.
ALLOWED = {
    ("return", "requested", "accept"): "accepted",
    ("return", "requested", "refuse"): "refused",
    ("return", "requested", "withdraw"): "withdrawn",
    ("return", "accepted", "receive"): "received",
    ("return", "received", "refund"): "refunded",
    ("return", "accepted", "refuse"): "refused",
    ("return", "received", "close"): "closed",
    ("exchange", "requested", "accept"): "accepted",
    ("exchange", "requested", "refuse"): "refused",
    ("exchange", "requested", "withdraw"): "withdrawn",
    ("exchange", "accepted", "receive"): "received",
    ("exchange", "received", "replace"): "replaced",
    ("exchange", "accepted", "refuse"): "refused",
    ("exchange", "received", "close"): "closed",
    ("exchange", "received", "refund"): "refunded",
    ("problem", "requested", "answer"): "answered",
    ("problem", "requested", "resolve"): "resolved",
    ("problem", "answered", "resolve"): "resolved",
    ("problem", "requested", "refuse"): "refused",
    ("problem", "requested", "withdraw"): "withdrawn",
}
EVERY = list(product(Kind, Status, Step))


@pytest.mark.parametrize(("kind", "status", "step"), EVERY, ids=["-".join(k) for k in EVERY])
def test_every_cell_of_the_table_is_allowed_or_refused(kind, status, step):
    expected = ALLOWED.get((kind.value, status.value, step.value))
    if expected is None:
        with pytest.raises(StepRefused):
            rules.next_status(kind, status, step)
    else:
        assert rules.next_status(kind, status, step) == expected


def test_unknown_values_are_refused_not_crashing():
    for args in [("gift", "requested", "accept"), ("return", "lost", "accept"), ("return", "requested", "burn")]:
        with pytest.raises(StepRefused):
            rules.next_status(*args)


def test_closed_statuses_take_no_step_and_staff_never_withdraw():
    for kind in Kind:
        closed = (Status.REFUSED, Status.WITHDRAWN, Status.REFUNDED, Status.REPLACED, Status.RESOLVED, Status.CLOSED)
        for status in closed:
            assert rules.staff_steps(kind, status) == []
        assert Step.WITHDRAW not in rules.staff_steps(kind, Status.REQUESTED)
    assert rules.staff_steps("return", "received") == [Step.REFUND, Step.CLOSE]
    assert rules.staff_steps("exchange", "received") == [Step.REPLACE, Step.REFUND, Step.CLOSE]
    assert Step.REFUSE in rules.staff_steps("return", "accepted")


DELIVERED = datetime(2026, 6, 1, 10, 0)  # naive UTC, as stored


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        (datetime(2026, 6, 1, 10, 0), True),
        (datetime(2026, 6, 15, 23, 59), True),  # day 14, 23:59
        (datetime(2026, 6, 15, 23, 59, 59), True),
        (datetime(2026, 6, 16, 0, 0), False),  # day 15
        (datetime(2026, 7, 1), False),
    ],
)
def test_the_window_runs_to_the_end_of_day_n(now, open_):
    if open_:
        assert rules.check_window(DELIVERED, 14, UTC, now) == datetime(2026, 6, 16)
    else:
        with pytest.raises(WindowClosed):
            rules.check_window(DELIVERED, 14, UTC, now)


def test_the_window_counts_the_shops_days():
    # 02:00 UTC on June 2nd is still June 1st in New York: day 14 ends at midnight there (04:00 UTC).
    delivered = datetime(2026, 6, 2, 2, 0)
    assert rules.window_closes_at(delivered, 14, NEW_YORK) == datetime(2026, 6, 16, 4, 0)
    rules.check_window(delivered, 14, NEW_YORK, datetime(2026, 6, 16, 3, 59))
    with pytest.raises(WindowClosed):
        rules.check_window(delivered, 14, NEW_YORK, datetime(2026, 6, 16, 4, 0))


def test_no_window_when_not_delivered_or_no_returns():
    with pytest.raises(WindowClosed):
        rules.check_window(None, 14, UTC, DELIVERED)
    with pytest.raises(WindowClosed):
        rules.check_window(DELIVERED, 0, UTC, DELIVERED)
    assert rules.window_closes_at(DELIVERED, 0, UTC) is None


def test_quantities_are_bounded_by_what_is_still_free():
    rules.check_lines([LineAsk(1, 2, 2), LineAsk(2, 0, 0)])
    for asks in ([LineAsk(1, 3, 2)], [LineAsk(1, 0, 2)], [LineAsk(1, -1, 2)], [LineAsk(1, 1, 0)], []):
        with pytest.raises(Invalid):
            rules.check_lines(asks)


def test_refund_amounts_and_window_days():
    rules.check_refund_amount(4000, 4000)
    for amount in (0, -1, 4001):
        with pytest.raises(Invalid):
            rules.check_refund_amount(amount, 4000)
    assert rules.check_window_days(0) == 0 and rules.check_window_days(365) == 365
    for days in (-1, 366):
        with pytest.raises(Invalid):
            rules.check_window_days(days)


def test_text_is_trimmed_bounded_and_required_when_asked():
    assert rules.check_text("  hi \x00", 10) == "hi"
    with pytest.raises(Invalid):
        rules.check_text("   ", 10, required=True)
    with pytest.raises(Invalid):
        rules.check_text("x" * 11, 10)
