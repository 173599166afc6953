"""Pure rules of payment by transfer: transaction ids, method values, and the lifecycle table's transfer rows."""

from __future__ import annotations

from datetime import datetime

import pytest

from storefront.domain import Invalid
from storefront.orders.rules import (
    SALE_STATUSES,
    STOCK_STATE,
    OrderEvent,
    OrderStatus,
    Stock,
    TransitionRefused,
    allowed_events,
    next_status,
)
from storefront.payments.transfer_rules import (
    accepts,
    check_hold_hours,
    check_method,
    choice_value,
    hold_deadline,
    method_id_of,
    normalise_transaction_id,
    parse_currencies,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("8n7a6d5e4f", "8N7A6D5E4F"),
        (" 8N7A 6D5E ", "8N7A6D5E"),
        ("E1234-5678", "E12345678"),
        ("A-B-C-D", "ABCD"),
        ("ABCD", "ABCD"),
    ],
)
def test_a_transaction_id_has_one_spelling(raw, normal):
    assert normalise_transaction_id(raw) == normal


@pytest.mark.parametrize(
    "raw", ["", "abc", "AB-C", "----", "A" * 41, "8N7A_6D5E", "8N7A/6D", "<script>", "١٢٣٤٥", None]
)
def test_a_transaction_id_of_the_wrong_shape_is_refused(raw):
    with pytest.raises(Invalid):
        normalise_transaction_id(raw)


def test_currencies_are_known_iso_codes_in_one_spelling():
    assert parse_currencies("bdt, usd;BDT") == ("BDT", "USD")
    for bad in (
        "",
        "XYZW",
        "BDT, QQQ",
        ",".join(["USD", "EUR", "GBP", "JPY", "BDT", "BRL", "CNY", "MXN", "INR", "KES", "NGN"]),
    ):
        with pytest.raises(Invalid):
            parse_currencies(bad)
    assert accepts("BDT,USD", "usd") and not accepts("BDT", "USD")


@pytest.mark.parametrize(
    ("raw", "ok"), [("1", True), ("168", True), ("0", False), ("169", False), ("2.5", False), ("", False), ("٣", False)]
)
def test_hold_hours_are_a_whole_number_from_1_to_168(raw, ok):
    if ok:
        assert check_hold_hours(raw) == int(raw)
    else:
        with pytest.raises(Invalid):
            check_hold_hours(raw)


def test_a_method_needs_a_name_and_an_account():
    values = check_method(" bKash ", " 01712345678 ", "Send money", "BDT", "24")
    assert (values.name, values.account, values.currencies, values.hold_hours) == ("bKash", "01712345678", ("BDT",), 24)
    with pytest.raises(Invalid):
        check_method("", "017", "", "BDT", "24")
    with pytest.raises(Invalid):
        check_method("bKash", " ", "", "BDT", "24")
    with pytest.raises(Invalid):
        check_method("bKash", "017", "x" * 2001, "BDT", "24")


def test_checkout_choices_name_a_method_id_and_nothing_else():
    assert method_id_of(choice_value(7)) == 7
    for other in ("cash", "card", "transfer-", "transfer-0", "transfer-x", "transfer-1 ", None):
        assert method_id_of(other) is None


def test_the_hold_lasts_the_hours_the_owner_set():
    assert hold_deadline(datetime(2026, 12, 31, 23, 0), 24) == datetime(2027, 1, 1, 23, 0)


def test_the_lifecycle_table_holds_stock_until_the_transfer_is_received():
    assert STOCK_STATE[OrderStatus.AWAITING_TRANSFER] == Stock.HELD
    assert OrderStatus.AWAITING_TRANSFER not in SALE_STATUSES  # revenue only once received
    for delivery in ("delivery", "pickup"):
        assert next_status("awaiting_transfer", "receive", delivery) == OrderStatus.PLACED
        assert next_status("awaiting_transfer", "reject", delivery) == OrderStatus.UNPAID
        assert next_status("awaiting_transfer", "expire", delivery) == OrderStatus.UNPAID
    assert next_status("unpaid", "receive", "pickup") == OrderStatus.PLACED  # a late transfer
    with pytest.raises(TransitionRefused):
        next_status("placed", "receive", "delivery")
    with pytest.raises(TransitionRefused):
        next_status("awaiting_payment", "receive", "delivery")


def test_staff_see_reject_as_a_button_but_receive_only_with_its_transaction_id():
    events = allowed_events("awaiting_transfer", "delivery")
    assert OrderEvent.REJECT in events
    assert OrderEvent.RECEIVE not in events and OrderEvent.EXPIRE not in events
    assert OrderEvent.RECEIVE not in allowed_events("unpaid", "delivery")
