"""The pure JSON-LD builders (storefront/seo/jsonld.py), ratings and reviews given."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from storefront.seo import jsonld
from storefront.seo.jsonld import OfferFacts, ProductFacts, ReviewFacts, Shop
from tests.seo.google import (
    AGGREGATE_RATING,
    BREADCRUMB,
    LOCAL_BUSINESS,
    MERCHANT_LISTING,
    ORGANIZATION,
    PRODUCT_SNIPPET,
    REVIEW_SNIPPET,
    STANDALONE_REVIEW,
    missing,
)

SHOP = Shop(
    name="Alder & Clay", url="https://shop.example/", currency="USD", country="US", shipping_fee=500, return_days=30
)
MUG = ProductFacts(
    name="Moon mug",
    description="A mug.",
    images=("https://shop.example/media/a-1600.jpg",),
    url="https://shop.example/p/moon-mug",
    sku="MOON-S",
    offers=(
        OfferFacts("MOON-S", "Small", 1250, 3, "https://shop.example/p/moon-mug?variant=1"),
        OfferFacts("MOON-L", "Large", 1500, 0, "https://shop.example/p/moon-mug?variant=2"),
    ),
)


@dataclass(frozen=True)
class Rating:
    """What storefront.reviews' product_rating returns (average with one decimal, count)."""

    average: Decimal
    count: int


REVIEWS = (
    ReviewFacts("Ana P.", 5, datetime(2026, 11, 2, 9, 30, tzinfo=UTC), "Lovely glaze."),
    ReviewFacts("Bo K.", 4, date(2026, 11, 20), ""),
)


def test_a_product_with_offers_meets_product_snippet_and_merchant_listing_properties():
    data = jsonld.product(MUG, SHOP)
    assert missing(data, PRODUCT_SNIPPET) == [] and missing(data, MERCHANT_LISTING) == []
    small, large = data["offers"]
    assert (small["price"], small["priceCurrency"], small["availability"]) == ("12.50", "USD", jsonld.IN_STOCK)
    assert (large["price"], large["availability"], large["sku"]) == ("15.00", jsonld.OUT_OF_STOCK, "MOON-L")
    assert small["url"].endswith("?variant=1") and small["itemCondition"] == jsonld.NEW_CONDITION
    assert small["seller"] == {"@type": "Organization", "name": "Alder & Clay", "url": "https://shop.example/"}
    assert small["shippingDetails"]["shippingRate"] == {"@type": "MonetaryAmount", "value": "5.00", "currency": "USD"}
    assert small["shippingDetails"]["shippingDestination"]["addressCountry"] == "US"
    assert "deliveryTime" not in small["shippingDetails"], "not stated when unknown"
    assert data["brand"] == {"@type": "Brand", "name": "Alder & Clay"}
    assert "aggregateRating" not in data and "review" not in data, "no rating given: none stated"


def test_one_offer_is_an_object_and_prices_follow_the_currency_exponent():
    yen = replace(SHOP, currency="JPY", country="JP", shipping_fee=800)
    single = replace(MUG, offers=(OfferFacts("MOON-S", "", 1500, 2, MUG.url),))
    data = jsonld.product(single, yen)
    assert isinstance(data["offers"], dict)
    assert data["offers"]["price"] == "1500" and data["offers"]["priceCurrency"] == "JPY"
    assert data["offers"]["shippingDetails"]["shippingRate"]["value"] == "800"
    assert jsonld.price_text(1, "BHD") == "0.001" and jsonld.price_text(123456, "USD") == "1234.56"


def test_rating_and_reviews_are_stated_when_given():
    data = jsonld.product(MUG, SHOP, Rating(Decimal("4.5"), 12), REVIEWS)
    assert missing(data["aggregateRating"], AGGREGATE_RATING) == []
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "4.5",
        "reviewCount": 12,
        "bestRating": 5,
        "worstRating": 1,
    }
    first, second = data["review"]
    assert missing(first, REVIEW_SNIPPET) == [] and missing(second, REVIEW_SNIPPET) == []
    assert first["author"] == {"@type": "Person", "name": "Ana P."} and first["reviewBody"] == "Lovely glaze."
    assert first["reviewRating"]["ratingValue"] == 5 and first["datePublished"] == "2026-11-02T09:30:00+00:00"
    assert second["datePublished"] == "2026-11-20" and "reviewBody" not in second
    assert "itemReviewed" not in first, "nested in its product: the product is what it reviews"


def test_no_rating_or_an_empty_one_states_neither_rating_nor_reviews():
    assert "aggregateRating" not in jsonld.product(MUG, SHOP, Rating(Decimal("0"), 0), REVIEWS)
    assert "review" not in jsonld.product(MUG, SHOP, None, REVIEWS)


def test_a_standalone_review_names_what_it_reviews():
    data = jsonld.review(REVIEWS[0], item_reviewed={"@type": "Product", "name": "Moon mug"})
    assert missing(data, REVIEW_SNIPPET) == [] and missing(data, STANDALONE_REVIEW) == []


@pytest.mark.parametrize(
    ("days", "free", "expected"),
    [
        (
            30,
            None,
            {
                "@type": "MerchantReturnPolicy",
                "applicableCountry": "US",
                "returnPolicyCategory": "https://schema.org/MerchantReturnFiniteReturnWindow",
                "merchantReturnDays": 30,
                "returnMethod": "https://schema.org/ReturnByMail",
            },
        ),
        (
            0,
            True,
            {
                "@type": "MerchantReturnPolicy",
                "applicableCountry": "US",
                "returnPolicyCategory": "https://schema.org/MerchantReturnNotPermitted",
            },
        ),
    ],
)
def test_return_policy_is_a_finite_window_or_no_returns(days, free, expected):
    assert jsonld.return_policy(replace(SHOP, return_days=days, free_returns=free)) == expected


def test_return_fees_delivery_time_and_an_unknown_policy():
    shop = replace(SHOP, free_returns=True, handling_days=(0, 1), transit_days=(2, 5))
    assert jsonld.return_policy(shop)["returnFees"] == "https://schema.org/FreeReturn"
    paid = jsonld.return_policy(replace(shop, free_returns=False))["returnFees"]
    assert paid == "https://schema.org/ReturnFeesCustomerResponsibility"
    delivery = jsonld.shipping_details(shop)["deliveryTime"]
    assert delivery["handlingTime"] == {"@type": "QuantitativeValue", "minValue": 0, "maxValue": 1, "unitCode": "DAY"}
    assert delivery["transitTime"]["maxValue"] == 5
    assert "hasMerchantReturnPolicy" not in jsonld.offer(MUG.offers[0], replace(SHOP, return_days=None))


def test_breadcrumbs_number_their_steps():
    data = jsonld.breadcrumbs([("Home", "https://s/"), ("Mugs", "https://s/c/mugs"), ("Moon", "https://s/p/moon")])
    assert missing(data, BREADCRUMB) == []
    assert [(i["position"], i["name"], i["item"]) for i in data["itemListElement"]] == [
        (1, "Home", "https://s/"),
        (2, "Mugs", "https://s/c/mugs"),
        (3, "Moon", "https://s/p/moon"),
    ]
    assert jsonld.item_list(["https://s/p/a", "https://s/p/b"])["itemListElement"][1] == {
        "@type": "ListItem",
        "position": 2,
        "url": "https://s/p/b",
    }


def test_organization_website_and_store():
    org = jsonld.organization(
        jsonld.OrganizationFacts(
            "Alder & Clay", "https://s/", "https://s/logo.jpg", ("https://instagram.com/a",), "+1 503", ""
        )
    )
    assert missing(org, ORGANIZATION) == []
    assert org["contactPoint"] == {"@type": "ContactPoint", "contactType": "customer service", "telephone": "+1 503"}
    site = jsonld.website("Alder & Clay", "https://s/", "https://s/search?q={search_term_string}")
    assert site["potentialAction"]["target"]["urlTemplate"].endswith("?q={search_term_string}")
    assert site["potentialAction"]["query-input"] == "required name=search_term_string"
    facts = jsonld.StoreFacts(
        "Alberta",
        "1823 NE Alberta St",
        "Portland, OR",
        "97211",
        "US",
        45.559,
        -122.6468,
        "Tue-Sat 10am-6pm",
        "https://s/stores",
        "+1 503",
        "https://s/stores#store-1",
    )
    shop = jsonld.store(facts)
    assert shop["@type"] == "Store" and missing(shop, LOCAL_BUSINESS) == []
    assert shop["openingHoursSpecification"][0]["dayOfWeek"][0] == "Tuesday"
    assert "openingHoursSpecification" not in jsonld.store(replace(facts, opening_hours="By appointment"))


def test_script_cannot_be_broken_out_of_and_reads_back_the_same():
    evil = {"name": "</script><script>alert(1)</script> & <!-- \u2028"}
    element = jsonld.script(evil)
    body = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', element).group(1)
    assert "<" not in body and ">" not in body and "&" not in body
    assert json.loads(body) == evil
    assert jsonld.script({"a": 1, "b": [1, 2]}).count(" ") == 1, "compact: only the element's own space"
