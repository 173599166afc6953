"""The one parser of ids from outside and the bounded `<int:...>` route converter."""

from __future__ import annotations

import pytest
from werkzeug.routing import Map, Rule

from storefront.core.inputs import MAX_ID, IdConverter, parse_id, token_cookie


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), (" 42 ", 42), ("007", 7), (str(MAX_ID), MAX_ID)])
def test_ids_in_range_are_read(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        7,
        "",
        "0",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "abc",
        "٣",
        "²",
        str(MAX_ID + 1),
        "9" * 26,
        "9" * 5000,
        "1\x00",
        "0x10",
    ],
)
def test_anything_else_is_no_id(raw):
    assert parse_id(raw) is None


def test_the_route_converter_matches_only_ids_in_range():
    urls = Map([Rule("/p/<int:product_id>", endpoint="p")], converters={"int": IdConverter}).bind("localhost")
    assert urls.match("/p/2147483647") == ("p", {"product_id": MAX_ID})
    for raw in ("0", "2147483648", "9" * 26, "9" * 5000, "-1"):
        assert urls.test(f"/p/{raw}") is False, raw


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        ({"cart": "Abc_-09"}, "Abc_-09"),
        ({}, None),
        ({"cart": ""}, None),
        ({"cart": "a\x00b"}, None),
        ({"cart": "a b"}, None),
        ({"cart": "é"}, None),
        ({"cart": "x" * 65}, None),
    ],
)
def test_token_cookies_of_another_shape_are_absent(cookies, expected):
    assert token_cookie(cookies, "cart") == expected
