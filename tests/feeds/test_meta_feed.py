"""The Meta catalogue CSV, row by row, against the fields of Meta's Commerce Manager data feeds.

The fields encoded below are Meta's "Catalog fields for products" / "Supported fields for
products" (https://developers.facebook.com/docs/marketing-api/catalog/reference#da-commerce and
https://www.facebook.com/business/help/120325381656392, "Product data feed specifications"):
required id (max 100), title (max 200), description (max 9999), availability ("in stock" or
"out of stock"), condition (new, refurbished, used), price ("9.99 USD": number, space, ISO 4217
code), link, image_link, brand (max 100); optional item_group_id, additional_image_link (up to
20 URLs, comma-separated), sale_price, google_product_category, product_type and shipping
("COUNTRY:STATE:SHIPPING_TYPE:PRICE", e.g. "US:CA:Ground:9.99 USD", region optional).
"""

from __future__ import annotations

import csv
import io
import re

from storefront.catalog.models import Product
from storefront.extensions import db
from tests.feeds.conftest import make_link, photographed

PRICE = re.compile(r"\d+(\.\d+)? [A-Z]{3}")
URL = re.compile(r"https?://\S+")
# Column -> (required, max characters or None, allowed values or a pattern or None)
META_SPEC = {
    "id": (True, 100, None),
    "title": (True, 200, None),
    "description": (True, 9999, None),
    "availability": (True, None, {"in stock", "out of stock"}),
    "condition": (True, None, {"new", "refurbished", "used"}),
    "price": (True, None, PRICE),
    "link": (True, None, URL),
    "image_link": (True, None, URL),
    "brand": (True, 100, None),
    "item_group_id": (False, 100, None),
    "additional_image_link": (False, None, re.compile(r"(https?://[^,\s]+)(,https?://[^,\s]+){0,19}")),
    "sale_price": (False, None, PRICE),
    "google_product_category": (False, None, None),
    "product_type": (False, 750, None),
    "shipping": (False, None, re.compile(r"[A-Z]{2}:[^:]*:[^:]+:\d+(\.\d+)? [A-Z]{3}")),
}


def rows_of(response) -> list[dict[str, str]]:
    """The CSV's rows by header (every row as long as the header)."""
    reader = csv.reader(io.StringIO(response.get_data(as_text=True), newline=""))
    header, *rows = list(reader)
    assert header == list(META_SPEC), "the columns Meta reads, in this order"
    assert all(len(row) == len(header) for row in rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def check_against_spec(row: dict[str, str]) -> None:
    for name, (required, limit, allowed) in META_SPEC.items():
        value = row[name]
        if required:
            assert value, f"required {name} empty"
        if not value:
            continue
        if limit:
            assert len(value) <= limit, name
        if isinstance(allowed, set):
            assert value in allowed, f"{name}={value!r}"
        elif allowed is not None:
            assert allowed.fullmatch(value), f"{name}={value!r}"


def test_every_row_meets_the_fields_and_matches_the_database(app, client, shelf):
    with app.app_context():
        token = make_link("meta")
    response = client.get(f"/feeds/{token}/meta.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {row["id"]: row for row in rows_of(response)}
    for row in rows.values():
        check_against_spec(row)
    with app.app_context():
        mug = db.session.get(Product, shelf["two"])
        (blue, green), keys = mug.variants, [p.key for p in mug.photos]
        row = rows[blue.sku]
        assert row["title"] == "Stoneware mug — Blue" and row["description"] == "Warm and soft."
        assert (row["availability"], rows[green.sku]["availability"]) == ("in stock", "out of stock")
        assert (row["condition"], row["price"], row["brand"]) == ("new", "12.50 USD", app.config["SHOP_NAME"])
        assert row["link"] == f"http://localhost/p/{mug.slug}?variant={blue.id}"
        assert row["image_link"] == f"http://localhost/media/{keys[0]}-1024.jpg"
        assert row["additional_image_link"] == (
            f"http://localhost/media/{keys[1]}-640.jpg,http://localhost/media/{keys[2]}-1600.jpg"
        )
        assert row["item_group_id"] == rows[green.sku]["item_group_id"] == str(mug.id)
        assert (row["sale_price"], row["product_type"]) == ("", "Mugs")
        assert row["shipping"] == "US::Standard:5.00 USD"
    assert rows["LINEN-TOWEL-0"]["item_group_id"] == "" and rows["LINEN-TOWEL-0"]["price"] == "9.90 USD"


def test_a_jpy_shop_writes_whole_yen(app, client):
    app.config.update(SHOP_CURRENCY="JPY", SHOP_COUNTRY="JP", SHIPPING_FLAT_FEE=800)
    with app.app_context():
        photographed("Tea bowl", 4500)
        token = make_link("meta")
    (row,) = rows_of(client.get(f"/feeds/{token}/meta.csv"))
    assert (row["price"], row["shipping"]) == ("4500 JPY", "JP::Standard:800 JPY")


def test_quotes_commas_and_line_breaks_stay_in_their_cell(app, client):
    with app.app_context():
        photographed('Bowl, "large"', description="Line one\n\nLine two, with a comma.")
        token = make_link("meta")
    (row,) = rows_of(client.get(f"/feeds/{token}/meta.csv"))
    assert row["title"] == 'Bowl, "large"'
    assert row["description"] == "Line one Line two, with a comma."


def test_cells_starting_like_a_formula_are_defused_as_in_every_shop_csv(app, client):
    with app.app_context():
        photographed("=HYPERLINK(1)", description="@SUM(A1)")
        token = make_link("meta")
    (row,) = rows_of(client.get(f"/feeds/{token}/meta.csv"))
    assert row["title"] == "'=HYPERLINK(1)" and row["description"] == "'@SUM(A1)"
