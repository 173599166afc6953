"""Opening hours read from the owner's free text (storefront/seo/rules.py)."""

from __future__ import annotations

import pytest

from storefront.seo.rules import DAYS, OpeningHours, parse_opening_hours

WEEKDAYS = DAYS[:5]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tue-Sat 10am-6pm, Sun 11am-5pm",
            [OpeningHours(DAYS[1:6], "10:00", "18:00"), OpeningHours(("Sunday",), "11:00", "17:00")],
        ),
        ("Daily 10am-7pm", [OpeningHours(DAYS, "10:00", "19:00")]),
        ("Every day 9-20", [OpeningHours(DAYS, "09:00", "20:00")]),
        ("Mon-Sat 9-18", [OpeningHours(DAYS[:6], "09:00", "18:00")]),
        ("Wed-Sun 11am-5pm (classes and kiln pickups only)", [OpeningHours(DAYS[2:], "11:00", "17:00")]),
        (
            "Mon, Wed, Fri 9:30-17:30; Sat 10-2pm",
            [
                OpeningHours(("Monday", "Wednesday", "Friday"), "09:30", "17:30"),
                OpeningHours(("Saturday",), "10:00", "14:00"),
            ],
        ),
        ("Sat-Mon 12-5pm", [OpeningHours(("Monday", "Saturday", "Sunday"), "12:00", "17:00")]),  # wraps the week
        ("Mon-Fri 9-12, 14-18", [OpeningHours(WEEKDAYS, "09:00", "12:00"), OpeningHours(WEEKDAYS, "14:00", "18:00")]),
        ("Monday to Friday 9am to 5pm", [OpeningHours(WEEKDAYS, "09:00", "17:00")]),
        ("mon–fri 08.30–17.00", [OpeningHours(WEEKDAYS, "08:30", "17:00")]),
        ("Mon-Fri 0:00-24:00", [OpeningHours(WEEKDAYS, "00:00", "23:59")]),  # "until midnight"
        ("Fri 12am-12pm", [OpeningHours(("Friday",), "00:00", "12:00")]),
        ("Sat 6pm-2am", [OpeningHours(("Saturday",), "18:00", "02:00")]),  # closes after midnight
        ("Fri-Sat 18-2", [OpeningHours(("Friday", "Saturday"), "18:00", "02:00")]),
        ("Mon-Fri 9-5", [OpeningHours(WEEKDAYS, "09:00", "17:00")]),  # a working day, not a night
        ("Sun 12-4", [OpeningHours(("Sunday",), "12:00", "16:00")]),
    ],
)
def test_opening_hours_are_read_as_days_and_24h_times(text, expected):
    assert parse_opening_hours(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", None, "By appointment", "Closed for the winter", "Mon 25-26", "Tue 9:75-10", "Sun 13pm-5pm", "Month 9-5"],
)
def test_unreadable_hours_are_left_out_not_guessed(text):
    assert parse_opening_hours(text) == []


def test_a_huge_text_is_read_quickly_and_only_up_to_the_form_limit():
    assert len(parse_opening_hours("Mon 9-5, " * 10_000)) == len(parse_opening_hours("Mon 9-5, " * 111))
