"""Pure review rules: eligibility, what a review may say, the shown name, the averages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.domain import Conflict, Invalid
from storefront.reviews import rules
from storefront.reviews.rules import LineFacts, Refusal


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (LineFacts("delivered", 2, 0), None),
        (LineFacts("collected", 1, 0), None),
        (LineFacts("delivered", 2, 1), None),  # one of two units returned: the other can be reviewed
        (LineFacts("delivered", 2, 2), Refusal.REFUNDED),
        (LineFacts("placed", 1, 0), Refusal.NOT_RECEIVED),
        (LineFacts("shipped", 1, 0), Refusal.NOT_RECEIVED),
        (LineFacts("cancelled", 1, 0), Refusal.CANCELLED),
        (LineFacts("delivered", 1, 0, paid=5000, paid_back=5000), Refusal.REFUNDED),
        (LineFacts("delivered", 1, 0, paid=5000, paid_back=1000), None),
    ],
)
def test_who_may_review(facts, expected):
    assert rules.refusal(facts) == expected
    if expected is None:
        rules.check_eligible(facts)
    else:
        with pytest.raises(Conflict):
            rules.check_eligible(facts)


@pytest.mark.parametrize("raw", ["", "0", "6", "x", "4.5", "१", "55", None])
def test_rating_must_be_one_to_five(raw):
    with pytest.raises(Invalid):
        rules.parse_rating(raw)


def test_rating_parses():
    assert [rules.parse_rating(str(n)) for n in range(1, 6)] == [1, 2, 3, 4, 5]


def test_text_is_cleaned_and_limited():
    assert rules.clean_text("  hi\r\nthere\x00 ", 10) == "hi\nthere"
    assert rules.clean_text("x" * 2000, rules.MAX_BODY_CHARS) == "x" * 2000
    with pytest.raises(Invalid):
        rules.clean_text("x" * 2001, rules.MAX_BODY_CHARS)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada Lovelace", "Ada L."),
        ("ada  de la cruz", "ada C."),
        ("Cher", "Cher"),
        ("ada@example.com", ""),
        ("+44 20 7946 0958", ""),
        ("Ada 07946 0958", ""),
        ("", ""),
    ],
)
def test_author_is_first_name_and_initial_never_contact_details(name, shown):
    assert rules.author_name(name) == shown


def test_average_rounds_half_up_to_one_decimal():
    assert rules.average(17, 4) == Decimal("4.3")  # 4.25
    assert rules.average(9, 2) == Decimal("4.5")
    assert rules.average(4, 1) == Decimal("4.0")


def test_rating_from_counts():
    rating = rules.rating_from([(5, 3), (1, 1)])
    assert rating.count == 4 and rating.average == Decimal("4.0")
    assert rating.distribution == {5: 3, 4: 0, 3: 0, 2: 0, 1: 1}
    assert (rating.best, rating.worst) == (5, 1)
    assert rules.rating_from([]) is None


def test_photo_count_limit():
    rules.check_photo_count(3)
    with pytest.raises(Invalid):
        rules.check_photo_count(4)
