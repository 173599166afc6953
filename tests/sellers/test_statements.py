"""Issue 21 item 5: the seller's monthly statements and their CSV, months in the shop's time zone."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from storefront.extensions import db
from storefront.sellers.models import CommissionEntry, Payout
from tests.builders import ShopClient, make_product, make_user
from tests.sellers.builders import make_order, make_seller

ZONE = "Asia/Dhaka"  # UTC+6: 31 March 19:00 UTC is already 1 April there


def _entry(seller_id: int, product, amount: int, status: str, **times) -> str:
    order = make_order([(product, 1)])
    db.session.add(
        CommissionEntry(
            order_id=order.id,
            seller_id=seller_id,
            currency="USD",
            base=amount * 10,
            original_amount=amount,
            amount=0 if status == "reversed" else amount,
            status=status,
            created_at=datetime(2026, 3, 1),
            **times,
        )
    )
    db.session.commit()
    return order.reference


@pytest.fixture
def books(app):
    """ANNA24: one approval each side of the March/April boundary in Dhaka, a reversal, a payout; BENI77 too."""
    app.extensions["babel"].default_timezone = ZONE  # as SHOP_TIMEZONE would set it
    with app.app_context():
        coat = make_product("Wool coat", price=10000)
        anna = make_seller("ANNA24", email="anna@sellers.example").id
        beni = make_seller("BENI77", email="beni@sellers.example").id
        refs = {
            "april": _entry(anna, coat, 1000, "approved", approved_at=datetime(2026, 3, 31, 19, 0)),
            "march": _entry(anna, coat, 500, "paid", approved_at=datetime(2026, 3, 31, 17, 0)),
            "reversed": _entry(anna, coat, 700, "reversed", approved_at=None, reversed_at=datetime(2026, 4, 10, 9, 0)),
            "other": _entry(beni, coat, 4321, "approved", approved_at=datetime(2026, 4, 2, 9, 0)),
        }
        db.session.add_all(
            [
                Payout(
                    seller_id=anna, amount=800, currency="USD", note="=HYPERLINK(x)", created_at=datetime(2026, 4, 15)
                ),
                Payout(seller_id=beni, amount=999, currency="USD", created_at=datetime(2026, 4, 15)),
            ]
        )
        db.session.commit()
    client = ShopClient(app.test_client())
    assert client.login("anna@sellers.example").status_code == 303
    return client, refs


def test_the_statement_page_sums_each_shop_month(books):
    client, _refs = books
    page = client.client.get("/seller/statements")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    text = page.text
    assert text.index('data-month="2026-04"') < text.index('data-month="2026-03"'), "newest first"
    april = text[text.index('data-month="2026-04"') : text.index('data-month="2026-03"')]
    march = text[text.index('data-month="2026-03"') :]
    assert "$10.00" in april.split("data-earned>")[1].split("<")[0]
    assert "$7.00" in april.split("data-reversed>")[1].split("<")[0]
    assert "$8.00" in april.split("data-paid>")[1].split("<")[0]
    assert "$7.00" in april.split("data-balance>")[1].split("<")[0], "5 + 10 earned - 8 paid"
    assert "$5.00" in march.split("data-earned>")[1].split("<")[0]
    assert "$5.00" in march.split("data-balance>")[1].split("<")[0]
    assert "43.21" not in text and "9.99" not in text, "another seller's figures never show"


def test_each_month_downloads_as_csv_with_the_month_boundary_in_the_shop_zone(books):
    client, refs = books
    response = client.client.get("/seller/statements/2026-04.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["type", "order", "date", "base", "amount", "status", "note"]
    assert ["commission", refs["april"], "2026-04-01", "100.00", "10.00", "approved", ""] in rows
    assert ["commission", refs["reversed"], "2026-04-10", "70.00", "7.00", "reversed", ""] in rows
    assert ["payout", "", "2026-04-15", "", "8.00", "paid", "'=HYPERLINK(x)"] in rows, "cells are defused"
    assert refs["march"] not in response.text and refs["other"] not in response.text
    march = list(csv.reader(io.StringIO(client.client.get("/seller/statements/2026-03.csv").text)))
    assert march[1:] == [["commission", refs["march"], "2026-03-31", "50.00", "5.00", "paid", ""]]
    assert list(csv.reader(io.StringIO(client.client.get("/seller/statements/2025-01.csv").text)))[1:] == []
    for bad in ("2026-13", "26-04", "april", "2026-4"):
        assert client.client.get(f"/seller/statements/{bad}.csv").status_code == 404, bad


def test_only_sellers_reach_statements(app):
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    owner.login("owner@example.com")
    assert owner.client.get("/seller/statements").status_code == 403
    assert owner.client.get("/seller/statements/2026-04.csv").status_code == 403
    assert app.test_client().get("/seller/statements").status_code in (302, 303, 401)
