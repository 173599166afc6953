"""Pure rules: addresses in each country's own layout, and the checkout's per-method totals."""

from __future__ import annotations

import pytest

from storefront.orders.addresses import DEFAULT_FORMAT, address_lines
from storefront.orders.rules import (
    Delivery,
    PricedLine,
    TotalChanged,
    check_shown_total,
    compute_totals,
    totals_by_delivery,
)


def _lines(country: str, street="1 Main St", city="Springfield", region="", postcode="12345") -> list[str]:
    return address_lines(country, street=street, city=city, region=region, postcode=postcode)


@pytest.mark.parametrize(
    ("country", "region", "postcode", "expected"),
    [
        ("US", "CA", "94104", ["1 Main St", "San Francisco, CA 94104"]),
        ("US", "", "94104", ["1 Main St", "San Francisco 94104"]),  # no dangling comma
        ("CA", "ON", "M5V 2T6", ["1 Main St", "San Francisco ON M5V 2T6"]),
        ("GB", "", "N1 9GU", ["1 Main St", "San Francisco", "N1 9GU"]),
        ("DE", "", "10115", ["1 Main St", "10115 San Francisco"]),
        ("FR", "", "75011", ["1 Main St", "75011 San Francisco"]),
        ("ES", "Madrid", "28001", ["1 Main St", "28001 San Francisco Madrid"]),
        ("IN", "Maharashtra", "400001", ["1 Main St", "San Francisco 400001", "Maharashtra"]),
        ("BD", "", "1205", ["1 Main St", "San Francisco - 1205"]),
        ("JP", "東京都", "100-0001", ["〒100-0001", "東京都San Francisco", "1 Main St"]),
        ("CN", "北京市", "100000", ["100000", "北京市San Francisco", "1 Main St"]),
    ],
)
def test_each_country_writes_its_addresses_its_own_way(country, region, postcode, expected):
    assert _lines(country, city="San Francisco", region=region, postcode=postcode) == expected


def test_empty_parts_leave_no_separators_or_blank_lines():
    assert _lines("US", city="", region="", postcode="") == ["1 Main St"]
    assert _lines("US", city="", region="NY", postcode="10001") == ["1 Main St", "NY 10001"]
    assert _lines("JP", postcode="", region="", city="Kyoto") == ["Kyoto", "1 Main St"], "no bare 〒"
    assert _lines("GB", street="  2   Long   Lane ") == ["2 Long Lane", "Springfield", "12345"]


def test_unknown_or_missing_country_uses_the_default_layout():
    assert DEFAULT_FORMAT == ("{street}", "{city} {postcode}", "{region}")
    assert _lines("ZZ", region="Region") == ["1 Main St", "Springfield 12345", "Region"]
    assert _lines("", region="") == _lines("ZZ") == ["1 Main St", "Springfield 12345"]
    assert _lines("us", region="CA") == _lines("US", region="CA"), "codes in any case"


def test_totals_for_each_delivery_method_come_from_the_one_pricing_rule():
    lines = [PricedLine(1, 2, 6000), PricedLine(2, 1, 99)]
    quotes = totals_by_delivery(lines, 500)
    assert set(quotes) == set(Delivery)
    for method in Delivery:
        assert quotes[method] == compute_totals(lines, method, 500)
    assert (quotes[Delivery.DELIVERY].total, quotes[Delivery.PICKUP].total) == (12599, 12099)
    assert quotes[Delivery.PICKUP].shipping == 0
    assert totals_by_delivery([], 500)[Delivery.DELIVERY].total == 0, "an empty cart costs nothing to deliver"


def test_a_charge_other_than_the_shown_total_is_refused():
    check_shown_total("12099", 12099)
    check_shown_total("", 12099)  # no figure sent (not from the checkout page): nothing to compare
    check_shown_total(None, 12099)
    for shown in ("12599", "0", "-12099", "12099.0", "１２０９９", "9" * 40, "abc"):
        with pytest.raises(TotalChanged) as refused:
            check_shown_total(shown, 12099)
        assert refused.value.status_code == 409
