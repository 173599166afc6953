"""The pure hoarding rules: limits' ranges, the checks, client networks and their keyed hash, phone links."""

from __future__ import annotations

import pytest

from storefront.domain import Invalid
from storefront.orders import limit_rules
from storefront.orders.limit_rules import (
    DEFAULT_LIMITS,
    HoardingLimits,
    TooManyOpenOrders,
    TooManyUnits,
    check_limits,
    check_open_orders,
    check_units,
    client_hash,
    client_network,
    lock_key,
    whatsapp_number,
)

VALUES = {"max_units_per_order": 30, "max_open_per_phone": 3, "max_open_per_address": 3, "release_after_hours": 48}


def test_limits_in_range_are_accepted_and_out_of_range_refused():
    assert check_limits(VALUES) == DEFAULT_LIMITS
    assert check_limits(dict.fromkeys(VALUES, 0)) == HoardingLimits(0, 0, 0, 0)
    for name, bad in [
        ("max_units_per_order", -1),
        ("max_units_per_order", 10_001),
        ("max_open_per_phone", "3"),
        ("max_open_per_address", True),
        ("release_after_hours", 24 * 90 + 1),
        ("release_after_hours", None),
    ]:
        with pytest.raises(Invalid):
            check_limits({**VALUES, name: bad})


def test_units_and_open_orders_checks():
    check_units(30, DEFAULT_LIMITS)
    with pytest.raises(TooManyUnits) as refused:
        check_units(31, DEFAULT_LIMITS)
    assert refused.value.status_code == 422 and refused.value.params == {"limit": 30, "units": 31}
    check_units(10_000, HoardingLimits(0, 3, 3, 48))
    check_open_orders(2, 2, DEFAULT_LIMITS)
    for by_phone, by_address in ((3, 0), (0, 3)):
        with pytest.raises(TooManyOpenOrders) as refused:
            check_open_orders(by_phone, by_address, DEFAULT_LIMITS)
        assert refused.value.status_code == 429
    check_open_orders(99, 99, HoardingLimits(30, 0, 0, 48))


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", None),
        (None, None),
        ("not an address", None),
        ("203.0.113.7\x00", None),
    ],
)
def test_client_network(address, network):
    assert client_network(address) == network


def test_client_hash_is_keyed_and_per_network():
    one = client_hash("2001:db8:1:2::1", "k")
    assert one == client_hash("2001:db8:1:2:ffff::9", "k") == client_hash("2001:db8:1:2::1", b"k")
    assert one != client_hash("2001:db8:1:3::1", "k") and one != client_hash("2001:db8:1:2::1", "other")
    assert len(one) == 64 and client_hash("junk", "k") is None


def test_lock_keys_are_signed_64_bit_and_stable():
    key = lock_key("phone", "14155550100")
    assert key == lock_key("phone", "14155550100") and -(2**63) <= key < 2**63
    assert key != lock_key("address", "14155550100")


@pytest.mark.parametrize(
    "phone, code, number",
    [
        ("+14155550100", "", "14155550100"),
        ("+44 20 7946 0958", "1", "442079460958"),
        ("01715550100", "44", "441715550100"),
        ("4155550100", "+1", "14155550100"),
        ("01715550100", "", None),
        ("", "44", None),
    ],
)
def test_whatsapp_number(phone, code, number):
    assert whatsapp_number(phone, code) == number


@pytest.mark.parametrize(
    ("peer", "forwarded", "trust", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", 0, None),  # nginx on the same machine, TRUST_PROXY forgotten
        ("10.1.2.3", "203.0.113.7", 0, None),
        ("::ffff:192.168.1.2", "203.0.113.7", 0, None),
        ("192.0.2.66", "198.51.100.1", 0, "192.0.2.66"),  # a public client forging the header
        ("127.0.0.1", "", 0, "127.0.0.1"),  # no proxy at all
        ("203.0.113.7", "203.0.113.7", 1, "203.0.113.7"),  # ProxyFix already set the real client
        ("not an ip", "203.0.113.7", 0, "not an ip"),
    ],
)
def test_counted_address(peer, forwarded, trust, expected):
    assert limit_rules.counted_address(peer, forwarded, trust) == expected


def test_phone_key_and_whatsapp_read_the_00_prefix_as_international():
    assert limit_rules.phone_key("0044 20 7946 0958") == limit_rules.phone_key("+44 20 7946 0958") == "442079460958"
    assert limit_rules.whatsapp_number("0044 20 7946 0958", "1") == "442079460958"
    assert limit_rules.whatsapp_number("020 7946 0958", "44") == "442079460958"
