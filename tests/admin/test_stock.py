"""Stock in the admin: manual adjustments, the ledger, low stock, CSV export and import."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from storefront.auth.models import User
from storefront.catalog.models import Variant
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from tests.builders import ShopClient, make_product, make_user, stock_of

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


HEADER = "sku,product,variant,on_hand,reserved,available,low_stock_threshold"


def signed_in(app, role: str) -> tuple[ShopClient, int]:
    """A browser signed in as a fresh account of `role`, and that account's id."""
    email = f"{role}@example.com"
    with app.app_context():
        user_id = make_user(email, role).id
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop, user_id


def ledger_rows(variant_id: int | None = None) -> list[StockMovement]:
    """Ledger lines read fresh, oldest first (call inside an app context)."""
    db.session.expire_all()
    stmt = select(StockMovement).order_by(StockMovement.id)
    if variant_id is not None:
        stmt = stmt.where(StockMovement.variant_id == variant_id)
    return list(db.session.scalars(stmt))


def levels() -> dict[str, tuple[int, int]]:
    """sku -> (on_hand, low_stock_threshold), read fresh."""
    db.session.expire_all()
    return {v.sku: (v.on_hand, v.low_stock_threshold) for v in db.session.scalars(select(Variant))}


def upload_csv(shop: ShopClient, data: bytes, filename: str = "stock.csv"):
    return shop.post(
        "/admin/stock/import", {"file": (io.BytesIO(data), filename, "text/csv")}, content_type="multipart/form-data"
    )


@pytest.fixture
def coat(app) -> dict:
    """Variants S (2 on hand), M (3) and L (10), each with a low-stock threshold of 3."""
    with app.app_context():
        product = make_product("Wool coat", variants=(("S", 2), ("M", 3), ("L", 10)))
        return {v.name: {"id": v.id, "sku": v.sku} for v in product.variants}


@pytest.fixture
def staff(app):
    return signed_in(app, "staff")


@pytest.fixture
def owner(app):
    return signed_in(app, "owner")


# --- manual adjustments --------------------------------------------------------------


def test_adjustment_changes_stock_and_writes_the_ledger(app, coat, staff):
    shop, staff_id = staff
    large = coat["L"]["id"]
    response = shop.post(f"/admin/stock/{large}/adjust", {"delta": "+5", "reason": "received", "note": "Box 42"})
    assert response.status_code == 303
    assert "Stock is now 15." in shop.client.get(response.headers["Location"]).text
    with app.app_context():
        assert stock_of(large) == 15
        movement = ledger_rows(large)[-1]
        assert (
            movement.user_id,
            movement.delta,
            movement.reason,
            movement.on_hand_after,
            movement.note,
            movement.order_id,
        ) == (staff_id, 5, "received", 15, "Box 42", None)
    assert shop.post(f"/admin/stock/{large}/adjust", {"delta": "-4", "reason": "damaged"}).status_code == 303
    with app.app_context():
        assert stock_of(large) == 11
        assert [(m.delta, m.reason, m.on_hand_after) for m in ledger_rows(large)] == [
            (10, "initial", 10),
            (5, "received", 15),
            (-4, "damaged", 11),
        ]
    ledger = shop.client.get(f"/admin/stock/ledger?variant={large}").text
    assert "Goods received: Box 42" in ledger and "staff@example.com" in ledger and "+5" in ledger


def test_after_an_adjustment_the_owner_returns_to_the_stock_page_of_this_site(app, coat, staff):
    shop, _ = staff
    url = f"/admin/stock/{coat['L']['id']}/adjust"
    for referrer, location in [
        ("http://localhost/admin/stock?low=1", "/admin/stock?low=1"),
        ("http://localhost/admin/stock/ledger", "/admin/stock/ledger"),
        (None, "/admin/stock"),
        ("http://localhost/admin/orders", "/admin/stock"),
        ("https://evil.example/admin/stock", "/admin/stock"),
        ("https://evil.example/?/admin/stock", "/admin/stock"),
        ("http://localhost//evil.example/admin/stock", "/admin/stock"),
    ]:
        headers = {"Referer": referrer} if referrer else {}
        response = shop.client.post(
            url, data={"csrf_token": shop.csrf(), "delta": "1", "reason": "received"}, headers=headers
        )
        assert response.status_code == 303, referrer
        assert response.headers["Location"] == location, referrer
    with app.app_context():
        assert stock_of(coat["L"]["id"]) == 17


def test_adjustment_below_zero_is_409_and_changes_nothing(app, coat, staff):
    shop, _ = staff
    small = coat["S"]["id"]
    response = shop.post(f"/admin/stock/{small}/adjust", {"delta": "-3", "reason": "damaged", "note": "oops"})
    assert response.status_code == 409
    assert "Stock cannot go below 0 (there are 2 on hand)." in response.text
    assert 'value="-3"' in response.text, "the typed change is kept"
    with app.app_context():
        assert stock_of(small) == 2
        assert len(ledger_rows(small)) == 1
    # Down to exactly zero is fine.
    assert shop.post(f"/admin/stock/{small}/adjust", {"delta": "-2", "reason": "count"}).status_code == 303
    with app.app_context():
        assert stock_of(small) == 0


def test_bad_adjustments_are_refused(app, coat, staff):
    shop, _ = staff
    medium = coat["M"]["id"]
    for fields, message in [
        ({"delta": "abc"}, "Enter a change like 5 or -2."),
        ({"delta": ""}, "Enter a change like 5 or -2."),
        ({"delta": "1.5"}, "Enter a change like 5 or -2."),
        ({"delta": "0"}, "Enter a change like 5 or -2."),
        ({"delta": "99999999"}, "Number must be between -1000000 and 1000000."),
        ({"delta": "5", "reason": "initial"}, "Not a valid choice."),
        ({"delta": "5", "reason": "bogus"}, "Not a valid choice."),
    ]:
        response = shop.post(f"/admin/stock/{medium}/adjust", {"reason": "received", **fields})
        assert response.status_code == 422, fields
        assert message in response.text, fields
        with app.app_context():
            assert stock_of(medium) == 3, fields
            assert len(ledger_rows()) == 3, fields


def test_adjusting_an_unknown_variant_is_404(app, coat, staff):
    shop, _ = staff
    response = shop.post("/admin/stock/999/adjust", {"delta": "5", "reason": "received"})
    assert response.status_code == 404
    assert "That variant does not exist." in response.text
    with app.app_context():
        assert len(ledger_rows()) == 3


# --- low stock ----------------------------------------------------------------------------


def muted_skus(html: str) -> set[str]:
    """The SKUs listed in the stock table."""
    return set(re.findall(r'<span class="muted">([^<]+)</span>', html))


def test_low_stock_lists_variants_at_or_under_their_threshold(app, coat, staff):
    shop, _ = staff
    low = shop.client.get("/admin/stock?low=1")
    assert low.status_code == 200
    assert muted_skus(low.text) == {coat["S"]["sku"], coat["M"]["sku"]}  # 2 and 3, threshold 3; L has 10
    everything = shop.client.get("/admin/stock")
    assert muted_skus(everything.text) == {coat["S"]["sku"], coat["M"]["sku"], coat["L"]["sku"]}
    assert shop.post(f"/admin/stock/{coat['M']['id']}/adjust", {"delta": "1", "reason": "received"}).status_code == 303
    assert muted_skus(shop.client.get("/admin/stock?low=1").text) == {coat["S"]["sku"]}
    dashboard = shop.client.get("/admin/").text
    assert coat["S"]["sku"] in dashboard and coat["L"]["sku"] not in dashboard


# --- CSV export -----------------------------------------------------------------------------


def test_export_has_the_header_and_a_row_per_variant(app, coat, staff):
    with app.app_context():
        make_product('=HYPERLINK("http://evil.example")', variants=(("@SUM(A1)", 1), ("+1", 0), ("-x", 0)))
    shop, _ = staff
    response = shop.client.get("/admin/stock/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.text.splitlines()
    assert lines[0] == HEADER
    rows = {row["sku"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert len(rows) == 6
    large = rows[coat["L"]["sku"]]
    assert large == {
        "sku": coat["L"]["sku"],
        "product": "Wool coat",
        "variant": "L",
        "on_hand": "10",
        "reserved": "0",
        "available": "10",
        "low_stock_threshold": "3",
    }
    evil = [row for row in rows.values() if "HYPERLINK" in row["product"]]
    assert len(evil) == 3
    for row in evil:
        assert row["product"] == '\'=HYPERLINK("http://evil.example")', "formulas are defused with a quote"
        assert row["variant"][0] == "'"
    assert {row["variant"] for row in evil} == {"'@SUM(A1)", "'+1", "'-x"}


# --- CSV import -----------------------------------------------------------------------------


def test_import_sets_levels_and_writes_the_ledger(app, coat, owner):
    shop, owner_id = owner
    s, m, large = coat["S"]["sku"], coat["M"]["sku"], coat["L"]["sku"]
    data = f"sku,on_hand,low_stock_threshold\n{s},7,\n{m},3,1\n{large},0,5\n".encode()
    response = upload_csv(shop, data)
    assert response.status_code == 303, response.text
    assert "Imported: 2 variants changed." in shop.client.get(response.headers["Location"]).text
    with app.app_context():
        assert levels() == {s: (7, 3), m: (3, 1), large: (0, 5)}
        imported = [m for m in ledger_rows() if m.reason == "import"]
        assert sorted((mv.variant_id, mv.delta, mv.on_hand_after, mv.user_id) for mv in imported) == sorted(
            [(coat["S"]["id"], 5, 7, owner_id), (coat["L"]["id"], -10, 0, owner_id)]
        )


def test_export_imports_back_unchanged(app, coat, owner):
    shop, _ = owner
    exported = shop.client.get("/admin/stock/export.csv").data
    response = upload_csv(shop, b"\xef\xbb\xbf" + exported)  # with a BOM, as spreadsheets save it
    assert response.status_code == 303
    assert "Imported: 0 variants changed." in shop.client.get("/admin/stock").text
    with app.app_context():
        assert [m.reason for m in ledger_rows()] == ["initial"] * 3


def test_a_bad_line_names_itself_and_nothing_is_applied(app, coat, owner):
    shop, _ = owner
    s, m = coat["S"]["sku"], coat["M"]["sku"]
    for third_line, message in [
        ("NO-SUCH-SKU,4", "Line 3: no variant has the sku NO-SUCH-SKU."),
        (f"{m},abc", "Line 3: on_hand must be a whole number of 0 or more."),
        (f"{m},-1", "Line 3: on_hand must be a whole number of 0 or more."),
        (f"{m},4.5", "Line 3: on_hand must be a whole number of 0 or more."),
        (f"{m}", "Line 3: expected 2 columns, found 1."),
        (f"{s},9", f"Line 3: the sku {s} appears twice."),
        (f"{m},2000000", "Line 3: on_hand must be at most 1,000,000."),  # counts as the locale writes them
    ]:
        response = upload_csv(shop, f"sku,on_hand\n{s},50\n{third_line}\n".encode())
        assert response.status_code == 422, third_line
        assert message in response.text, third_line
        with app.app_context():
            assert levels()[s] == (2, 3), f"{third_line}: line 2 was not applied"
            assert levels()[m] == (3, 3), third_line
            assert len(ledger_rows()) == 3, third_line


def test_unreadable_files_are_refused_with_a_message(app, coat, owner):
    shop, _ = owner
    for data, message in [
        ("sku,on_hand\nCAFÉ-1,5\n".encode("latin-1"), "The file must be UTF-8 encoded CSV."),
        (b"\xff\xfe\x00\x00garbage", "The file must be UTF-8 encoded CSV."),
        (b"name,count\nA,1\n", "Line 1: the header must name the columns sku and on_hand."),
        (b"sku,on_hand\n", "Line 2: the file has no rows."),
        (b"", "Line 1: the header must name the columns sku and on_hand."),
        (None, "Please choose a file."),
    ]:
        response = upload_csv(shop, data) if data is not None else shop.post("/admin/stock/import")
        assert 400 <= response.status_code < 500, data
        assert message in response.text, data
        with app.app_context():
            assert len(ledger_rows()) == 3, data


def test_staff_cannot_import(app, coat, staff):
    shop, _ = staff
    assert shop.client.get("/admin/stock/import").status_code == 403
    response = upload_csv(shop, f"sku,on_hand\n{coat['S']['sku']},99\n".encode())
    assert response.status_code == 403
    with app.app_context():
        assert stock_of(coat["S"]["id"]) == 2
        assert len(ledger_rows()) == 3
        assert db.session.scalars(select(User.role)).all() == ["staff"]
