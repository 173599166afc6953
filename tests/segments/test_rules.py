"""Reading, checking and writing segment definitions (pure: no database)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from storefront.domain import Invalid
from storefront.segments import rules


def test_args_are_normalised_lists_sorted_unique_and_empty_values_dropped():
    args = MultiDict(
        [
            ("bought_products", "13"),
            ("bought_products", "12,13"),
            ("orders_min", ""),
            ("spend_min", " 500 "),
            ("cities", "Dhaka, Lima,"),
            ("rfm", "lapsed"),
            ("rfm", "champions"),
            ("csrf_token", "x"),
            ("name", "VIPs"),
        ]
    )
    assert rules.parse_args(args) == {
        "rfm": ["champions", "lapsed"],
        "spend_min": 500,
        "bought_products": [12, 13],
        "cities": ["Dhaka", "Lima"],
    }


def test_json_ignores_unknown_keys_and_round_trips():
    definition = rules.parse_json({"tags": ["vip"], "consent": ["whatsapp", "email"], "colour": "red"})
    assert definition == {"tags": ["vip"], "consent": ["email", "whatsapp"]}
    assert rules.parse_json(rules.to_json(definition)) == definition
    assert rules.parse_args(MultiDict(rules.to_args(definition))) == definition


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"orders_min": -1}, "orders_min"),
        ({"orders_min": "3.5"}, "orders_min"),
        ({"orders_min": True}, "orders_min"),
        ({"last_order_within_days": 10**9}, "last_order_within_days"),
        ({"spend_max": "١٢"}, "spend_max"),
        ({"bought_products": ["abc"]}, "bought_products"),
        ({"stores": [0]}, "stores"),
        ({"stores": [2**31]}, "stores"),
        ({"sellers": [{"id": 1}]}, "sellers"),
        ({"rfm": ["vip"]}, "rfm"),
        ({"consent": ["sms"]}, "consent"),
        ({"tags": ["x" * 41]}, "tags"),
        ({"cities": ["a\x00b"]}, "cities"),
        ({"bought_products": list(range(1, 300))}, "bought_products"),
        ({"orders_min": 5, "orders_max": 2}, "orders_min"),
        ({"spend_min": 900, "spend_max": 100}, "spend_min"),
    ],
)
def test_bad_values_are_refused_naming_the_field(data, field):
    with pytest.raises(rules.InvalidDefinition) as caught:
        rules.parse_json(data)
    assert caught.value.field == field
    assert rules.FIELD_LABELS[field] in str(caught.value)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"x"', "null"])
def test_json_that_is_not_an_object_is_refused(text):
    with pytest.raises(Invalid):
        rules.parse_json(text)


def test_summary_names_each_condition_in_field_order():
    definition = rules.parse_json({"spend_min": 1250, "bought_products": [2, 99], "rfm": ["at_risk"], "tags": ["vip"]})
    names = {2: "Red shoe"}
    phrases = rules.summary(
        definition,
        translate=str.upper,
        name_of=lambda key, item: names.get(item, f"#{item}"),
        money=lambda amount: f"${amount / 100:.2f}",
    )
    assert phrases == [
        "RFM SEGMENT: AT RISK",
        "SPENT AT LEAST: $12.50",
        "BOUGHT ANY OF THESE PRODUCTS: Red shoe, #99",
        "TAGS: vip",
    ]
    assert rules.summary({}, str, str, str) == []
