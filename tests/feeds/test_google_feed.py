"""The Google Merchant Center feed, item by item, against Google's product data specification.

The specification encoded below is Google's "Product data specification"
(https://support.google.com/merchants/answer/7052112) with the pages it links for each attribute:
id (answer/6324405), title (6324415), description (6324468), link (6324416), image_link (6324350),
additional_image_link (6324370), availability (6324448), price (6324371), sale_price (6324471),
brand (6324351), condition (6324469), identifier_exists (6324478), item_group_id (6324507),
product_type (6324406), shipping (6324484). The RSS 2.0 format and its g: namespace are in
"RSS 2.0 specification for product data" (https://support.google.com/merchants/answer/160589).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from storefront.catalog import service as catalog
from storefront.catalog.models import Product, Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from tests.builders import make_product
from tests.feeds.conftest import make_link, photographed, rebuild_feeds

G = "http://base.google.com/ns/1.0"
# Attribute -> (required, max characters or None, allowed values or a pattern). "Required" is
# Google's for a new product without GTIN/MPN (so identifier_exists is required, brand too).
GOOGLE_SPEC = {
    "id": (True, 50, None),
    "title": (True, 150, None),
    "description": (True, 5000, None),
    "link": (True, 2000, re.compile(r"https?://\S+")),
    "image_link": (True, 2000, re.compile(r"https?://\S+")),
    "availability": (True, None, {"in_stock", "out_of_stock", "preorder", "backorder"}),
    "price": (True, None, re.compile(r"\d+(\.\d+)? [A-Z]{3}")),  # number, space, ISO 4217 code
    "brand": (True, 70, None),
    "condition": (True, None, {"new", "refurbished", "used"}),
    "identifier_exists": (True, None, {"yes", "no"}),
    "shipping": (True, None, None),  # a group: country, (service), price
    "additional_image_link": (False, 2000, re.compile(r"https?://\S+")),  # up to 10
    "sale_price": (False, None, re.compile(r"\d+(\.\d+)? [A-Z]{3}")),
    "item_group_id": (False, 50, None),  # required for variants
    "product_type": (False, 750, None),
}
MAX_ADDITIONAL_IMAGES = 10


def fetch(client, token: str, **headers):
    return client.get(f"/feeds/{token}/google.xml", headers=headers)


def items_of(body: bytes) -> list[dict[str, list]]:
    """Parse the feed (it must be well-formed XML) and return each <item>'s g: children by name."""
    root = ET.fromstring(body)  # noqa: S314 - the shop's own feed, parsed in a test
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None and channel.findtext("title") and channel.findtext("link")
    items = []
    for element in channel.findall("item"):
        fields: dict[str, list] = {}
        for child in element:
            assert child.tag.startswith("{" + G + "}"), f"{child.tag} is not in Google's namespace"
            fields.setdefault(child.tag.split("}")[1], []).append(child)
        items.append(fields)
    return items


def check_against_spec(item: dict[str, list]) -> None:
    """Every required attribute present once, every value within its limits and formats."""
    unknown = set(item) - set(GOOGLE_SPEC)
    assert not unknown, f"attributes outside the spec: {unknown}"
    for name, (required, limit, allowed) in GOOGLE_SPEC.items():
        values = item.get(name, [])
        if required:
            assert values, f"required {name} missing"
        if name != "additional_image_link":
            assert len(values) <= 1, f"{name} repeated"
        for element in values:
            if name == "shipping":
                parts = {child.tag.split("}")[1]: child.text for child in element}
                assert set(parts) <= {"country", "service", "price", "region"} and parts["country"]
                assert re.fullmatch(r"\d+(\.\d+)? [A-Z]{3}", parts["price"])
                continue
            text = element.text or ""
            assert text.strip() == text and text, f"{name} empty or padded"
            if limit:
                assert len(text) <= limit, f"{name} over {limit} characters"
            if isinstance(allowed, set):
                assert text in allowed, f"{name}={text!r}"
            elif allowed is not None:
                assert allowed.fullmatch(text), f"{name}={text!r}"
    assert len(item.get("additional_image_link", [])) <= MAX_ADDITIONAL_IMAGES


def by_id(items) -> dict[str, dict[str, str]]:
    """Items as {id: {attribute: text}} (additional images joined by spaces)."""
    return {
        i["id"][0].text: {k: " ".join((e.text or "") for e in v) if k != "shipping" else v[0] for k, v in i.items()}
        for i in items
    }


def test_every_item_meets_the_specification_and_matches_the_database(app, client, shelf):
    with app.app_context():
        token = make_link("google")
    response = fetch(client, token)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    items = items_of(response.data)
    for item in items:
        check_against_spec(item)
    found = by_id(items)
    assert set(found) == {"STONEWARE-MUG-0", "STONEWARE-MUG-1", "LINEN-TOWEL-0"}
    with app.app_context():
        mug = db.session.get(Product, shelf["two"])
        blue, green = mug.variants
        keys = [p.key for p in mug.photos]
        blue_item = found[blue.sku]
        assert blue_item["title"] == "Stoneware mug — Blue"
        assert blue_item["description"] == "Warm and soft."
        assert blue_item["link"] == f"http://localhost/p/{mug.slug}?variant={blue.id}"
        assert blue_item["image_link"] == f"http://localhost/media/{keys[0]}-1024.jpg"
        assert blue_item["additional_image_link"].split() == [
            f"http://localhost/media/{keys[1]}-640.jpg",
            f"http://localhost/media/{keys[2]}-1600.jpg",
        ]
        assert (blue_item["availability"], found[green.sku]["availability"]) == ("in_stock", "out_of_stock")
        assert blue_item["price"] == "12.50 USD"
        assert blue_item["brand"] == app.config["SHOP_NAME"]
        assert (blue_item["condition"], blue_item["identifier_exists"]) == ("new", "no")
        assert blue_item["item_group_id"] == found[green.sku]["item_group_id"] == str(mug.id)
        assert blue_item["product_type"] == "Mugs"
        assert "sale_price" not in blue_item, "the shop has no sale prices"
    shipping = {c.tag.split("}")[1]: c.text for c in blue_item["shipping"]}
    assert shipping == {"country": "US", "service": "Standard", "price": "5.00 USD"}
    towel = found["LINEN-TOWEL-0"]
    assert "item_group_id" not in towel and "product_type" not in towel and "additional_image_link" not in towel


def test_a_jpy_shop_writes_whole_yen(app, client):
    app.config.update(SHOP_CURRENCY="JPY", SHOP_COUNTRY="JP", SHIPPING_FLAT_FEE=800)
    with app.app_context():
        photographed("Tea bowl", 4500, variants=(("", 2),))
        token = make_link("google")
    (item,) = by_id(items_of(fetch(client, token).data)).values()
    assert item["price"] == "4500 JPY"
    shipping = {c.tag.split("}")[1]: c.text for c in item["shipping"]}
    assert shipping["country"] == "JP" and shipping["price"] == "800 JPY"


def test_drafts_archived_products_and_archived_variants_never_appear(app, client):
    with app.app_context():
        keep = photographed("Kept mug", variants=(("Small", 1), ("Large", 1)))
        gone = photographed("Gone mug")
        draft = photographed("Draft mug")
        catalog.set_archived(db.session, db.session.get(Product, gone.id), True)
        db.session.get(Product, draft.id).status = "draft"
        db.session.get(Variant, keep.variants[1].id).archived = True
        make_product("No photo mug")  # on sale, but Google refuses an item without an image
        db.session.commit()
        token = make_link("google")
    found = by_id(items_of(fetch(client, token).data))
    assert set(found) == {"KEPT-MUG-0"}
    assert "item_group_id" not in found["KEPT-MUG-0"], "one variant left on offer: no group"


def test_availability_follows_stock_and_the_feed_follows_the_catalog(app, client, shelf):
    with app.app_context():
        token = make_link("google")
        blue = db.session.get(Product, shelf["two"]).variants[0]
        sku, blue_id = blue.sku, blue.id
    first = fetch(client, token)
    assert by_id(items_of(first.data))[sku]["availability"] == "in_stock"
    with app.app_context():
        adjust_stock(db.session, blue_id, -4, "correction", utcnow(), None)
        db.session.commit()
    assert rebuild_feeds(app) == ["google"]  # the background job, which fetches then get
    second = fetch(client, token, **{"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert by_id(items_of(second.data))[sku]["availability"] == "out_of_stock"


def test_special_characters_stay_well_formed(app, client):
    with app.app_context():
        photographed('Mug <b>&</b> "saucer" \x0b', description="Fish & chips <3 — 100 % ceramic\x01.")
        token = make_link("google")
    (item,) = by_id(items_of(fetch(client, token).data)).values()
    assert item["title"] == 'Mug <b>&</b> "saucer"'
    assert item["description"].startswith("Fish & chips <3")
    assert Decimal(item["price"].split()[0]) == Decimal("12.50")
