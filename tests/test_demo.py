"""The demo shop (`flask seed-demo`): one coherent identity that agrees with the shop's default settings."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import func, select

from storefront import demo
from storefront.catalog.demo_pictures import COLOURS, KINDS
from storefront.catalog.models import Photo, Product, Variant
from storefront.config import Config
from storefront.extensions import db
from storefront.stores.models import Store

# North American numbers: +1, an area code and an exchange that do not start with 0 or 1.
E164_US = re.compile(r"\+1[2-9]\d{2}[2-9]\d{6}")
NANP_DISPLAY = re.compile(r"\([2-9]\d{2}\) [2-9]\d{2}-\d{4}")
# Portland, Oregon, roughly: the stores must be in the shop's own city.
PORTLAND = ((45.43, 45.62), (-122.80, -122.52))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_brand_agrees_with_the_shops_default_settings():
    brand = demo.DEMO_BRAND
    assert (brand["currency"], brand["country"], brand["locale"]) == (
        Config.SHOP_CURRENCY,
        Config.SHOP_COUNTRY,
        Config.SHOP_LOCALE,
    )
    for key in ("shop_name", "short_name", "headline", "sub_headline", "announcement", "shipping_note"):
        assert brand[key].strip(), key
    assert len(brand["short_name"]) <= 12  # a home-screen label
    assert E164_US.fullmatch(brand["whatsapp"]) and NANP_DISPLAY.fullmatch(brand["phone"])
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", brand["email"])
    assert brand["instagram"].startswith("https://www.instagram.com/")
    assert "$" in brand["announcement"] and "£" not in " ".join(brand.values())
    assert (1.05 / (_luminance(brand["brand_colour"]) + 0.05)) >= 4.5  # white button text on it: WCAG AA


def test_demo_stores_are_in_the_shops_country_and_city():
    assert len(demo.DEMO_STORES) == 3 and sum(s.pickup for s in demo.DEMO_STORES) == 2
    for store in demo.DEMO_STORES:
        assert store.country == Config.SHOP_COUNTRY == "US"
        assert store.region == "OR" and re.fullmatch(r"97\d{3}", store.postcode), store
        assert E164_US.fullmatch(store.phone) and store.phone.startswith(("+1503", "+1971")), store
        assert re.fullmatch(r"\d+ (NE|SE|NW|SW|N) \w+ (St|Ave|Blvd)", store.address), store
        (south, north), (west, east) = PORTLAND
        assert south < store.latitude < north and west < store.longitude < east, store
        assert store.hours and re.search(r"\d(am|pm)", store.hours), store
    assert demo.DEMO_STORES[0].phone == demo.DEMO_BRAND["whatsapp"]
    assert E164_US.fullmatch(demo.DEMO_SELLER["phone"])


def test_demo_catalogue_is_priced_in_cents_and_drawn_as_what_it_sells():
    titles = [item.title for items in demo.CATALOGUE.values() for item in items]
    assert 35 <= len(titles) <= 60 and len(set(titles)) == len(titles)
    assert len(demo.CATALOGUE) == 6
    for items in demo.CATALOGUE.values():
        for item in items:
            assert isinstance(item.price, int) and 500 <= item.price <= 50_000, item  # $5 to $500, in cents
            assert item.kind in KINDS and item.colours and set(item.colours) <= set(COLOURS), item
            assert item.story.endswith(".") and len(demo._photo_plan(item)) == 2, item
    assert any("wool" in t.lower() for t in titles)  # the benchmarks search for "wool"


def test_seed_demo_builds_the_shop_once_with_distinct_photos(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    media = Path(sqlite_app.config["MEDIA_ROOT"])
    with sqlite_app.app_context():
        products = db.session.scalars(select(Product).order_by(Product.id)).all()
        assert len(products) == sum(len(items) for items in demo.CATALOGUE.values())
        stores = db.session.scalars(select(Store).order_by(Store.id)).all()
        assert [s.name for s in stores] == [s.name for s in demo.DEMO_STORES]
        assert all(s.city == "Portland, OR" for s in stores)
        first_photos = set()
        for product in products:
            assert len(product.photos) == 2 and product.title in product.photos[0].alt
            assert "**Material:**" in product.description_md and "**Care:**" in product.description_md
            assert product.price > 0 and isinstance(product.price, int)
            files = [(media / f"{photo.key}-320.jpg").read_bytes() for photo in product.photos]
            assert files[0] != files[1], product.title
            first_photos.add(hashlib.sha256(files[0]).hexdigest())
        assert len(first_photos) == len(products)  # no two products share a picture
        # Colour variants are the photographed colours.
        mug = next(p for p in products if p.title == "Speckled morning mug")
        assert [v.name for v in mug.variants] == ["Oat", "Sage", "Charcoal"]
        counts = (
            db.session.scalar(select(func.count(Product.id))),
            db.session.scalar(select(func.count(Variant.id))),
            db.session.scalar(select(func.count(Photo.id))),
            db.session.scalar(select(func.count(Store.id))),
        )
    files_before = sorted(p.name for p in media.iterdir())
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "nothing seeded" in again.output
    with sqlite_app.app_context():
        assert counts == (
            db.session.scalar(select(func.count(Product.id))),
            db.session.scalar(select(func.count(Variant.id))),
            db.session.scalar(select(func.count(Photo.id))),
            db.session.scalar(select(func.count(Store.id))),
        )
    assert sorted(p.name for p in media.iterdir()) == files_before
    client = sqlite_app.test_client()
    page = client.get("/stores").text
    assert "1823 NE Alberta St" in page and "97211" in page
    # The shop wears the demo brand: its name, colour, logo, announcement and notes, not "Storefront".
    home = client.get("/").text
    assert "<title>Alder &amp; Clay</title>" in home and "Storefront" not in home
    assert demo.DEMO_BRAND["headline"] in home and "Free pickup at our Portland studios" in home
    assert 'class="brand-logo"' in home
    manifest = client.get("/manifest.json").get_json()
    assert manifest["name"] == "Alder & Clay" and manifest["theme_color"] == demo.DEMO_BRAND["brand_colour"]
    product = client.get(f"/p/{mug.slug}").text
    assert "Packed by hand in recycled paper" in product and "wa.me/15035550142" in product
    # The demo seller has a page, collections and customers who came through their link (issue 21).
    assert client.get(f"/s/{demo.DEMO_SELLER_CODE}").status_code == 200
    with sqlite_app.app_context():
        from storefront.customers.models import Customer
        from storefront.sellers.models import Seller

        seller_id = db.session.scalar(select(Seller.id).where(Seller.code == demo.DEMO_SELLER_CODE))
        assert db.session.scalar(select(func.count(Customer.id)).where(Customer.seller_id == seller_id)) == 2


def test_demo_logo_uses_the_brand_colour():
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(demo.demo_logo())) as logo:
        assert logo.size == (512, 512)
        colour = demo.DEMO_BRAND["brand_colour"]
        assert logo.getpixel((256, 20))[:3] == tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_seed_demo_says_which_settings_disagree_with_the_demo():
    matching = {
        "SHOP_CURRENCY": "USD",
        "SHOP_COUNTRY": "US",
        "SHOP_LOCALE": "en",
        "SHOP_TIMEZONE": "America/Los_Angeles",
    }
    assert demo.settings_mismatches(matching) == []
    euro = {**matching, "SHOP_CURRENCY": "EUR", "SHOP_TIMEZONE": "UTC"}
    assert demo.settings_mismatches(euro) == [
        "SHOP_CURRENCY=USD (is EUR)",
        "SHOP_TIMEZONE=America/Los_Angeles (is UTC)",
    ]
