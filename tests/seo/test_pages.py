"""Structured data parsed from the rendered shopper pages (extruct), checked against Google's lists and the database.

Each test runs on SQLite and PostgreSQL (the `app` fixture). tests/seo/google.py holds the
properties Google Search Central documents for each rich result.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import extruct
import pytest
from flask import render_template_string
from sqlalchemy import select

from storefront.aftersales.service import save_window_days
from storefront.brand.service import save_brand
from storefront.catalog.models import Product, Variant
from storefront.extensions import db
from storefront.orders.models import OrderLine
from storefront.reviews.service import PhotoLimits, Submission, publish, submit_review
from storefront.seo import sources
from storefront.seo.jsonld import IN_STOCK, OUT_OF_STOCK, ReviewFacts
from tests.builders import CHECKOUT_DELIVERY, ShopClient, add_demo_photos, make_category, make_product
from tests.helpers import _make_app
from tests.reviews.conftest import make_order
from tests.seo.google import (
    AGGREGATE_RATING,
    BREADCRUMB,
    LOCAL_BUSINESS,
    MERCHANT_LISTING,
    ORGANIZATION,
    PRODUCT_SNIPPET,
    REVIEW_SNIPPET,
    missing,
)
from tests.stores.builders import make_store

BASE = "http://localhost"
NOW = datetime(2026, 12, 6, 12, 0)


def items(client, path: str, kind: str | None = None) -> list[dict]:
    """The JSON-LD items of a rendered page (of one @type when asked)."""
    response = client.get(path)
    assert response.status_code == 200, path
    found = extruct.extract(response.text, base_url=BASE + path, syntaxes=["json-ld"], uniform=False)["json-ld"]
    return [item for item in found if kind is None or item.get("@type") == kind]


def one(client, path: str, kind: str) -> dict:
    """The page's only item of that @type."""
    found = items(client, path, kind)
    assert len(found) == 1, f"{path}: {len(found)} {kind} items"
    return found[0]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture
def mugs(app):
    """A category with a two-variant product (one sold out, its own price) and a photo."""
    with app.app_context():
        category = make_category("Mugs")
        product = make_product(
            "Moon mug",
            price=1250,
            variants=(("Small", 4), ("Large", 0)),
            category=category,
            description="Warm *merino* glaze.\n\nTwo sizes.",
            overrides={"Large": 1575},
        )
        add_demo_photos(product, 1, size=(900, 600))
        return product.slug


def test_product_page_meets_google_lists_with_each_variant_from_the_database(app, client, mugs):
    product = one(client, f"/p/{mugs}", "Product")
    assert missing(product, PRODUCT_SNIPPET) == [] and missing(product, MERCHANT_LISTING) == []
    with app.app_context():
        item = db.session.query(Product).filter_by(slug=mugs).one()
        expected = {
            v.sku: (f"{Decimal(v.unit_price) / 100:.2f}", IN_STOCK if v.available else OUT_OF_STOCK, v.id)
            for v in item.active_variants
        }
        photo = item.photos[0]
        largest = f"{BASE}/media/{photo.key}-{max(photo.width_list)}.jpg"
    offers = as_list(product["offers"])
    assert {o["sku"]: (o["price"], o["availability"], int(o["url"].rsplit("=", 1)[1])) for o in offers} == expected
    assert {o["priceCurrency"] for o in offers} == {"USD"}
    assert {o["hasMerchantReturnPolicy"]["merchantReturnDays"] for o in offers} == {14}, "the default window"
    assert {o["shippingDetails"]["shippingRate"]["value"] for o in offers} == {"5.00"}, "SHIPPING_FLAT_FEE"
    assert product["image"] == [largest] and client.get(largest[len(BASE) :]).status_code == 200
    assert product["url"] == f"{BASE}/p/{mugs}" and product["brand"]["name"] == "Storefront"
    assert product["description"] == "Warm merino glaze. Two sizes.", "plain text, not the page's HTML"
    assert "aggregateRating" not in product and "review" not in product, "no reviews: none stated"
    trail = one(client, f"/p/{mugs}", "BreadcrumbList")
    assert missing(trail, BREADCRUMB) == []
    steps = [(s["position"], s["name"], s["item"]) for s in trail["itemListElement"]]
    assert steps == [(1, "Home", f"{BASE}/"), (2, "Mugs", f"{BASE}/c/mugs"), (3, "Moon mug", f"{BASE}/p/{mugs}")]


def test_each_offer_url_opens_the_page_with_its_variant_chosen(app, client, mugs):
    with app.app_context():
        small = db.session.query(Variant).filter_by(name="Small").one()
    chosen = client.get(f"/p/{mugs}?variant={small.id}").text
    assert re.search(rf'value="{small.id}"[^>]* checked', chosen)
    for odd in ("999999", "abc", "-1", "9" * 40):  # a made-up variant: the page as usual, never an error
        assert client.get(f"/p/{mugs}?variant={odd}").status_code == 200


def test_availability_follows_the_stock_when_the_last_unit_sells(app, mugs):
    shop = ShopClient(app.test_client())
    with app.app_context():
        small = db.session.query(Variant).filter_by(name="Small").one()
    before = {o["sku"]: o["availability"] for o in as_list(one(shop.client, f"/p/{mugs}", "Product")["offers"])}
    assert before[small.sku] == IN_STOCK
    shop.add(small.id, 4)
    assert shop.checkout(CHECKOUT_DELIVERY).status_code in (302, 303)
    after = {o["sku"]: o["availability"] for o in as_list(one(shop.client, f"/p/{mugs}", "Product")["offers"])}
    assert after[small.sku] == OUT_OF_STOCK, "the cached page followed the sale"


def test_a_product_name_cannot_break_out_of_the_script(app, client):
    title = '</script><script>alert(1)</script><!-- "x" & y'
    with app.app_context():
        slug = make_product(title, variants=(("", 1),)).slug
    html = client.get(f"/p/{slug}").text
    assert "<script>alert(1)" not in html and html.count("<script") == html.count("</script>")
    assert one(client, f"/p/{slug}", "Product")["name"] == title


def test_published_reviews_become_the_products_rating_and_reviews(app, client, mugs):
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == mugs))
        for stars, name in ((5, "Ana Pérez"), (4, "Bo Li"), (1, "Cy Doe")):
            bought = make_order([product], name=name)
            line = db.session.get(OrderLine, bought.line_ids[0])
            sent = Submission(rating=stars, body=f"{name} says {stars}.", photos=[])
            review = submit_review(db.session, line.order, line, sent, PhotoLimits(Path(app.instance_path), 1, 1), NOW)
            if stars > 1:  # the one-star review stays pending: unpublished reviews never count
                publish(db.session, review, NOW)
        db.session.commit()
    product = one(client, f"/p/{mugs}", "Product")
    assert missing(product["aggregateRating"], AGGREGATE_RATING) == []
    assert (product["aggregateRating"]["ratingValue"], product["aggregateRating"]["reviewCount"]) == ("4.5", 2)
    assert sorted(r["author"]["name"] for r in product["review"]) == ["Ana P.", "Bo L."]
    assert [missing(r, REVIEW_SNIPPET, recommended=False) for r in product["review"]] == [[], []]


def test_rating_and_reviews_appear_when_the_sources_give_them(app, client, mugs, monkeypatch):
    rating = SimpleNamespace(average=Decimal("4.7"), count=3, distribution={5: 2, 4: 1})
    review = ReviewFacts("Ana P.", 5, None, "Lovely glaze.")
    monkeypatch.setattr(sources, "product_rating", lambda session, product_id: rating)
    monkeypatch.setattr(sources, "product_reviews", lambda session, product_id: (review,))
    with app.test_request_context(f"/p/{mugs}"):  # without the section's reviews, the builder asks the sources
        item = db.session.scalar(select(Product).where(Product.slug == mugs))
        html = render_template_string("{{ product_jsonld(item, item.variants) }}", item=item)
    product = next(
        i
        for i in extruct.extract(html, base_url=BASE, syntaxes=["json-ld"], uniform=False)["json-ld"]
        if i["@type"] == "Product"
    )
    assert missing(product["aggregateRating"], AGGREGATE_RATING) == []
    assert (product["aggregateRating"]["ratingValue"], product["aggregateRating"]["reviewCount"]) == ("4.7", 3)
    assert [missing(r, REVIEW_SNIPPET, recommended=False) for r in product["review"]] == [[]]
    assert product["review"][0]["author"]["name"] == "Ana P."


def test_a_review_without_a_shown_name_is_by_a_shopper_in_the_pages_language(app, client, mugs):
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == mugs))
        for stars, name in ((5, "+44 20 7946 0958"), (4, "Bo Li")):  # a phone in the name field: never shown
            bought = make_order([product], name=name)
            line = db.session.get(OrderLine, bought.line_ids[0])
            sent = Submission(rating=stars, body=f"{stars} stars.", photos=[])
            review = submit_review(db.session, line.order, line, sent, PhotoLimits(Path(app.instance_path), 1, 1), NOW)
            publish(db.session, review, NOW)
        db.session.commit()
    product = one(client, f"/p/{mugs}", "Product")
    assert sorted(r["author"]["name"] for r in product["review"]) == ["A shopper", "Bo L."]
    assert [missing(r, REVIEW_SNIPPET, recommended=False) for r in product["review"]] == [[], []]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert "Un cliente" in {r["author"]["name"] for r in one(client, f"/p/{mugs}", "Product")["review"]}


def test_return_window_follows_the_owners_after_sales_setting(app, client, mugs):
    with app.app_context():
        save_window_days(db.session, 30, None, NOW)
        db.session.commit()
    offers = as_list(one(client, f"/p/{mugs}", "Product")["offers"])
    assert {o["hasMerchantReturnPolicy"]["merchantReturnDays"] for o in offers} == {30}


def test_return_window_zero_says_no_returns(app, client, mugs):
    with app.app_context():
        save_window_days(db.session, 0, None, NOW)
        db.session.commit()
    offers = as_list(one(client, f"/p/{mugs}", "Product")["offers"])
    policy = offers[0]["hasMerchantReturnPolicy"]
    assert policy["returnPolicyCategory"] == "https://schema.org/MerchantReturnNotPermitted"
    assert "merchantReturnDays" not in policy


@pytest.fixture
def yen_app(db_url, tmp_path):
    """A shop selling in yen (no minor digits) in Japan."""
    yield from _make_app(db_url, tmp_path, {"SHOP_CURRENCY": "JPY", "SHOP_COUNTRY": "JP", "SHIPPING_FLAT_FEE": 800})


def test_a_yen_shop_states_whole_yen(yen_app):
    with yen_app.app_context():
        slug = make_product("Tea bowl", price=4500, variants=(("", 2),)).slug
    offer = one(yen_app.test_client(), f"/p/{slug}", "Product")["offers"]
    assert (offer["price"], offer["priceCurrency"]) == ("4500", "JPY")
    assert offer["shippingDetails"]["shippingRate"] == {"@type": "MonetaryAmount", "value": "800", "currency": "JPY"}
    assert offer["shippingDetails"]["shippingDestination"]["addressCountry"] == "JP"
    assert offer["hasMerchantReturnPolicy"]["applicableCountry"] == "JP"


def test_category_page_has_its_trail_and_the_products_it_lists(app, client, mugs):
    with app.app_context():
        make_product("Sun mug", category=db.session.query(Product).filter_by(slug=mugs).one().category)
    trail = one(client, "/c/mugs", "BreadcrumbList")
    assert missing(trail, BREADCRUMB) == [] and trail["itemListElement"][-1]["item"] == f"{BASE}/c/mugs"
    listed = [i["url"] for i in one(client, "/c/mugs", "ItemList")["itemListElement"]]
    cards = re.findall(r'<li class="card">\s*<a href="([^"]+)"', client.get("/c/mugs").text)
    assert sorted(listed) == sorted({f"{BASE}/p/{mugs}", f"{BASE}/p/sun-mug"})
    assert sorted(BASE + c for c in cards) == sorted(listed), "the list is the cards the page shows"


def test_home_page_has_the_organization_and_the_site_search(app, client):
    with app.app_context():
        save_brand(
            db.session,
            app.config,
            name="Alder & Clay",
            phone="+1 503 555 0142",
            email="hello@alder.example",
            instagram="https://www.instagram.com/alderclay",
        )
        db.session.commit()
    org = one(client, "/", "Organization")
    assert missing(org, ORGANIZATION) == []
    assert (org["name"], org["url"], org["sameAs"]) == (
        "Alder & Clay",
        f"{BASE}/",
        ["https://www.instagram.com/alderclay"],
    )
    assert (
        org["contactPoint"]["telephone"] == "+1 503 555 0142" and org["contactPoint"]["email"] == "hello@alder.example"
    )
    assert client.get(org["logo"][len(BASE) :]).status_code == 200, "the logo is a real image"
    site = one(client, "/", "WebSite")
    template = site["potentialAction"]["target"]["urlTemplate"]
    assert template == f"{BASE}/search?q={{search_term_string}}"
    assert client.get(template.replace("{search_term_string}", "mug")[len(BASE) :]).status_code == 200


def test_stores_page_has_a_store_for_each_open_store(app, client):
    with app.app_context():
        save_brand(db.session, app.config, phone="+1 503 555 0142")
        db.session.commit()
        make_store("Alberta", 45.559, -122.6468, "Portland", "97211", opening_hours="Tue-Sat 10am-6pm, Sun 11am-5pm")
        make_store("Division", 45.5048, -122.6297, "Portland", "97202", opening_hours="By appointment")
        make_store("Closed one", 45.52, -122.68, "Portland", "97209", active=False)
    stores = {s["name"]: s for s in items(client, "/stores", "Store")}
    assert set(stores) == {"Alberta", "Division"}
    assert [missing(s, LOCAL_BUSINESS, recommended=False) for s in stores.values()] == [[], []]
    alberta = stores["Alberta"]
    assert missing(alberta, LOCAL_BUSINESS) == []
    assert alberta["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "1 Main Street",
        "addressLocality": "Portland",
        "postalCode": "97211",
        "addressCountry": "US",
    }
    assert (alberta["geo"]["latitude"], alberta["geo"]["longitude"]) == (45.559, -122.6468)
    assert alberta["telephone"] == "+1 503 555 0142" and alberta["url"] == f"{BASE}/stores"
    hours = [(h["dayOfWeek"], h["opens"], h["closes"]) for h in alberta["openingHoursSpecification"]]
    assert hours == [
        (["Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"], "10:00", "18:00"),
        (["Sunday"], "11:00", "17:00"),
    ]
    assert "openingHoursSpecification" not in stores["Division"], "unreadable hours are left out"
    assert missing(one(client, "/stores", "BreadcrumbList"), BREADCRUMB) == []


def test_a_shop_page_can_state_its_trail_in_one_line(app):
    with app.test_request_context("/pages/returns"):
        html = render_template_string("{{ page_jsonld('Returns & refunds') }}")
    (trail,) = extruct.extract(html, base_url=BASE, syntaxes=["json-ld"], uniform=False)["json-ld"]
    assert missing(trail, BREADCRUMB) == []
    assert [(s["name"], s["item"]) for s in trail["itemListElement"]] == [
        ("Home", f"{BASE}/"),
        ("Returns & refunds", f"{BASE}/pages/returns"),
    ]


def test_the_shops_own_pages_carry_their_breadcrumb_trail(app, client):
    from tests.pages.conftest import save_page

    save_page(app, "about", "Our story", "Two potters and a kiln.")
    for path, name in (("/pages/about", "Our story"), ("/pages/contact", "Contact us")):
        trail = one(client, path, "BreadcrumbList")
        assert missing(trail, BREADCRUMB) == []
        assert [(i["position"], i["name"]) for i in trail["itemListElement"]] == [(1, "Home"), (2, name)]
        assert trail["itemListElement"][1]["item"] == f"{BASE}{path}"
