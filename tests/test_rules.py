"""Pure rules, tested without Flask or a database."""

from __future__ import annotations

import pytest

from storefront.cart.rules import check_line_quantity, parse_id, parse_quantity
from storefront.catalog.rules import like_pattern, parse_page, render_description, search_terms, slugify, stock_state
from storefront.core.security import is_safe_next
from storefront.domain import Conflict, Invalid
from storefront.inventory.rules import InvalidCsv, check_adjustment, parse_stock_csv
from storefront.money import format_money, parse_amount
from storefront.orders.rules import (
    TRANSITIONS,
    Delivery,
    OrderEvent,
    OrderStatus,
    PricedLine,
    TransitionRefused,
    allowed_events,
    compute_totals,
    next_status,
    normalise_phone,
)


def test_lifecycle_table_delivery_path():
    status = OrderStatus.PLACED
    for event in ("confirm", "pack", "ship", "deliver"):
        status = next_status(status, event, "delivery")
    assert status == OrderStatus.DELIVERED


def test_lifecycle_table_pickup_path():
    status = OrderStatus.PLACED
    for event in ("confirm", "pack", "mark_ready", "collect"):
        status = next_status(status, event, "pickup")
    assert status == OrderStatus.COLLECTED


@pytest.mark.parametrize(
    "status,event,delivery",
    [
        ("placed", "ship", "delivery"),
        ("packed", "ship", "pickup"),
        ("packed", "mark_ready", "delivery"),
        ("delivered", "cancel", "delivery"),
        ("cancelled", "confirm", "pickup"),
        ("shipped", "cancel", "delivery"),
        ("placed", "bogus", "delivery"),
        ("nonsense", "confirm", "delivery"),
        ("placed", "confirm", "teleport"),
    ],
)
def test_lifecycle_refuses_what_the_table_does_not_list(status, event, delivery):
    with pytest.raises(TransitionRefused):
        next_status(status, event, delivery)


def test_terminal_states_have_no_way_out():
    for terminal in (OrderStatus.DELIVERED, OrderStatus.COLLECTED, OrderStatus.CANCELLED):
        assert not [key for key in TRANSITIONS if key[0] == terminal]
        assert allowed_events(terminal, Delivery.DELIVERY) == []
    assert allowed_events("packed", "pickup") == [OrderEvent.MARK_READY, OrderEvent.CANCEL]


def test_totals_in_integer_minor_units():
    lines = [PricedLine(1, 3, 1999), PricedLine(2, 1, 1)]
    assert compute_totals(lines, "delivery", 500).total == 3 * 1999 + 1 + 500
    assert compute_totals(lines, "pickup", 500).shipping == 0
    assert compute_totals([], "delivery", 500).total == 0


@pytest.mark.parametrize("raw,expected", [("1", 1), (" 20 ", 20), (7, 7)])
def test_quantity_accepted(raw, expected):
    assert parse_quantity(raw, allow_zero=False, maximum=20) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "21", "", None, "abc", True, "１", "1e2", "9" * 50])
def test_quantity_refused(raw):
    with pytest.raises(Invalid):
        parse_quantity(raw, allow_zero=False, maximum=20)


def test_line_quantity_against_stock():
    check_line_quantity(3, 3, 20)
    with pytest.raises(Conflict, match="Only 2 left"):
        check_line_quantity(3, 2, 20)
    with pytest.raises(Conflict, match="sold out"):
        check_line_quantity(1, 0, 20)
    with pytest.raises(Invalid):
        parse_id("0")


def test_stock_adjustment_floor():
    assert check_adjustment(5, 0, -5) == 0
    assert check_adjustment(5, 2, 3) == 8
    with pytest.raises(Conflict):
        check_adjustment(5, 2, -4)  # two units are held for orders
    with pytest.raises(Invalid):
        check_adjustment(5, 0, 0)
    assert [stock_state(0, 3), stock_state(3, 3), stock_state(4, 3)] == ["sold_out", "low", "in_stock"]


def test_stock_csv_all_rows_checked_first():
    rows = parse_stock_csv("\ufeffsku,product,on_hand,low_stock_threshold\nA-1,Coat,5,2\n\nB-2,Hat,0,\n")
    assert [(r.sku, r.on_hand, r.low_stock_threshold, r.line) for r in rows] == [("A-1", 5, 2, 2), ("B-2", 0, None, 4)]
    for text, line in [
        ("sku,on_hand\nA,1\nB,x\n", 3),
        ("sku,on_hand\nA,1\nA,2\n", 3),
        ("sku,qty\nA,1\n", 1),
        ("sku,on_hand\nA,-1\n", 2),
        ("sku,on_hand\n", 2),
        ("sku,on_hand\nA,1\n,3\n", 3),
        ("sku,on_hand\nA,1\nB\n", 3),
        ("sku,on_hand\nA,99999999\n", 2),
    ]:
        with pytest.raises(InvalidCsv) as err:
            parse_stock_csv(text)
        assert err.value.line == line, text
        assert f"Line {line}:" in str(err.value)


def test_money_parse_and_format():
    assert parse_amount("12.50", "USD") == 1250
    assert parse_amount("1,200", "USD") == 120000
    assert parse_amount("500", "JPY") == 500
    for bad in ("abc", "-1", "1.234", "nan", "inf", "1e30", ""):
        with pytest.raises(ValueError):
            parse_amount(bad, "USD")
    assert format_money(123456, "USD", "en") == "$1,234.56"
    assert format_money(1234567, "EUR", "es") == "12.345,67\xa0€"
    assert format_money(500, "JPY", "en") == "¥500"


def test_safe_next_only_allows_local_paths():
    for good in ("/admin", "/admin/orders?status=placed", "/"):
        assert is_safe_next(good)
    for bad in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\t/evil.example",
        "",
        None,
        "evil.example",
        "/" + "a" * 3000,
    ):
        assert not is_safe_next(bad), bad


def test_text_rules():
    assert slugify("Crème Brûlée Mug!") == "creme-brulee-mug"
    assert slugify("চায়ের কাপ") != "item" and slugify("") == "item"
    assert search_terms("  wool   coat\x00 ") == ["wool", "coat"]
    assert len(search_terms("a " * 500)) == 8
    assert like_pattern("50%_off") == "%50\\%\\_off%"
    assert [parse_page(x) for x in ("3", "0", "-1", "x", None, "99999")] == [3, 1, 1, 1, 1, 1]
    html = render_description("<b onclick=x>hi</b> [a](javascript:alert(1)) [b](https://ok.example)")
    assert "<b onclick" not in html and 'href="javascript:' not in html and 'href="https://ok.example"' in html


def test_phone_normalisation():
    assert normalise_phone("+44 (20) 7946-0958") == "+442079460958"
    assert normalise_phone("12") is None and normalise_phone("call me") is None
