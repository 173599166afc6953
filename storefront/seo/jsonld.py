"""Pure JSON-LD builders (schema.org): plain values in, dicts out; no Flask, no session.

What each builder emits follows Google Search Central's structured data documentation
(Product snippets and merchant listings, review snippets, breadcrumbs, local business,
organization): tests/seo lists the properties checked. Money comes in as integer minor
units and leaves as a decimal string in major units, with the currency's own number of
decimals from Babel (JPY has none). `script()` makes the HTML element, safe to inline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from ..money import format_amount_plain
from .rules import parse_opening_hours

CONTEXT = "https://schema.org"
IN_STOCK, OUT_OF_STOCK = "https://schema.org/InStock", "https://schema.org/OutOfStock"
NEW_CONDITION = "https://schema.org/NewCondition"
BEST_RATING, WORST_RATING = 5, 1
MAX_DESCRIPTION = 5000  # characters; a search engine shows far fewer
# JSON is inlined in HTML: these three would let text end the <script> element or start a comment.
_HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


@dataclass(frozen=True)
class Shop:
    """The seller and its policies, as offers state them."""

    name: str
    url: str  # the home page, absolute
    currency: str
    country: str  # ISO 3166-1 alpha-2: where the shop ships and takes returns from
    shipping_fee: int  # minor units, flat
    return_days: int | None = None  # None: no policy stated; 0: no returns
    free_returns: bool | None = None  # None: the fees are not stated
    handling_days: tuple[int, int] | None = None  # (min, max) business days; with transit_days -> deliveryTime
    transit_days: tuple[int, int] | None = None


@dataclass(frozen=True)
class OfferFacts:
    """One buyable variant: its SKU, name, price (minor units), units available and its own URL."""

    sku: str
    name: str
    price: int
    available: int
    url: str
    regular: int | None = None  # the regular price while a sale runs (shown struck through)
    valid_until: str | None = None  # the sale's last day, ISO 8601, while a sale runs


@dataclass(frozen=True)
class ProductFacts:
    """What the product page shows: name, plain-text description, absolute image URLs, URL, SKU, offers."""

    name: str
    description: str
    images: tuple[str, ...]
    url: str
    sku: str
    offers: tuple[OfferFacts, ...]


@dataclass(frozen=True)
class ReviewFacts:
    """One published review: its author's shown name, stars, publication time and text."""

    author: str
    rating: int
    published: date | datetime | None
    body: str


class RatingLike(Protocol):
    """The average of published reviews (storefront.reviews' Rating has these two)."""

    average: Decimal
    count: int


@dataclass(frozen=True)
class StoreFacts:
    """A store as the stores page shows it, with the brand's telephone."""

    name: str
    street: str
    locality: str
    postcode: str
    country: str
    latitude: float
    longitude: float
    opening_hours: str
    url: str
    telephone: str = ""
    id: str = ""  # an absolute URL naming this store (its @id)


@dataclass(frozen=True)
class OrganizationFacts:
    """The shop as an organization: name, home URL, logo URL and how to reach it."""

    name: str
    url: str
    logo: str = ""
    same_as: tuple[str, ...] = ()  # its social profiles
    telephone: str = ""
    email: str = ""


def price_text(amount_minor: int, currency: str) -> str:
    """A price as schema.org wants it: "12.50" for USD 1250, "1500" for JPY 1500."""
    return format_amount_plain(amount_minor, currency)


def script(data: dict | list) -> str:
    """A `<script type="application/ld+json">` element, compact, with `<`, `>` and `&` escaped.

    The escapes keep text such as `</script>` or `<!--` inside a product name from ending the
    element; JSON parsers read them back as the same characters.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_HTML_UNSAFE)
    return f'<script type="application/ld+json">{text}</script>'


def product(
    facts: ProductFacts, shop: Shop, rating: RatingLike | None = None, reviews: Sequence[ReviewFacts] = ()
) -> dict:
    """A Product with one Offer per variant; its rating and reviews only when some are given."""
    data: dict = {"@context": CONTEXT, "@type": "Product", "name": facts.name, "url": facts.url}
    if facts.description:
        data["description"] = facts.description[:MAX_DESCRIPTION]
    if facts.images:
        data["image"] = list(facts.images)
    if facts.sku:
        data["sku"] = facts.sku
    data["brand"] = {"@type": "Brand", "name": shop.name}
    offers = [offer(o, shop) for o in facts.offers]
    if offers:
        data["offers"] = offers[0] if len(offers) == 1 else offers
    if rating is not None and rating.count > 0:
        data["aggregateRating"] = aggregate_rating(rating)
        # A Review needs its author's name (Google flags `author.name: ""`): nameless ones are left out.
        named = [review(r) for r in reviews if r.author.strip()]
        if named:
            data["review"] = named
    return data


def offer(facts: OfferFacts, shop: Shop) -> dict:
    """One variant's Offer: price, availability, condition, its URL, the seller, shipping and returns."""
    data: dict = {
        "@type": "Offer",
        "url": facts.url,
        "price": price_text(facts.price, shop.currency),
        "priceCurrency": shop.currency,
        "availability": IN_STOCK if facts.available > 0 else OUT_OF_STOCK,
        "itemCondition": NEW_CONDITION,
        "seller": {"@type": "Organization", "name": shop.name, "url": shop.url},
        "shippingDetails": shipping_details(shop),
    }
    if facts.sku:
        data["sku"] = facts.sku
    if facts.name:
        data["name"] = facts.name
    if facts.regular is not None and facts.regular > facts.price:  # on sale: Google's strikethrough price
        data["priceSpecification"] = {
            "@type": "UnitPriceSpecification",
            "priceType": "https://schema.org/StrikethroughPrice",
            "price": price_text(facts.regular, shop.currency),
            "priceCurrency": shop.currency,
        }
    if facts.valid_until:
        data["priceValidUntil"] = facts.valid_until
    policy = return_policy(shop)
    if policy is not None:
        data["hasMerchantReturnPolicy"] = policy
    return data


def shipping_details(shop: Shop) -> dict:
    """OfferShippingDetails: the flat delivery fee to the shop's country, and the delivery time if known."""
    data: dict = {
        "@type": "OfferShippingDetails",
        "shippingRate": {
            "@type": "MonetaryAmount",
            "value": price_text(shop.shipping_fee, shop.currency),
            "currency": shop.currency,
        },
        "shippingDestination": {"@type": "DefinedRegion", "addressCountry": shop.country},
    }
    if shop.handling_days and shop.transit_days:
        data["deliveryTime"] = {
            "@type": "ShippingDeliveryTime",
            "handlingTime": _days(shop.handling_days),
            "transitTime": _days(shop.transit_days),
        }
    return data


def _days(span: tuple[int, int]) -> dict:
    """A QuantitativeValue of days (unit code DAY)."""
    return {"@type": "QuantitativeValue", "minValue": span[0], "maxValue": span[1], "unitCode": "DAY"}


def return_policy(shop: Shop) -> dict | None:
    """MerchantReturnPolicy: a finite window of N days by mail, or no returns when N is 0; None if unknown."""
    if shop.return_days is None:
        return None
    data: dict = {"@type": "MerchantReturnPolicy", "applicableCountry": shop.country}
    if shop.return_days <= 0:
        data["returnPolicyCategory"] = "https://schema.org/MerchantReturnNotPermitted"
        return data
    data["returnPolicyCategory"] = "https://schema.org/MerchantReturnFiniteReturnWindow"
    data["merchantReturnDays"] = shop.return_days
    data["returnMethod"] = "https://schema.org/ReturnByMail"
    if shop.free_returns is not None:
        fees = "FreeReturn" if shop.free_returns else "ReturnFeesCustomerResponsibility"
        data["returnFees"] = f"https://schema.org/{fees}"
    return data


def aggregate_rating(rating: RatingLike) -> dict:
    """AggregateRating on a 1-5 scale; the average with at most one decimal."""
    average = Decimal(rating.average).quantize(Decimal("0.1"))
    return {
        "@type": "AggregateRating",
        "ratingValue": f"{average:f}",
        "reviewCount": rating.count,
        "bestRating": BEST_RATING,
        "worstRating": WORST_RATING,
    }


def review(facts: ReviewFacts, item_reviewed: dict | None = None) -> dict:
    """A Review with its author (a Person) and stars; `item_reviewed` when it stands alone."""
    data: dict = {
        "@type": "Review",
        "author": {"@type": "Person", "name": facts.author},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": facts.rating,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
        },
    }
    if facts.published is not None:
        data["datePublished"] = _date(facts.published)
    if facts.body:
        data["reviewBody"] = facts.body
    if item_reviewed is not None:
        data["itemReviewed"] = item_reviewed
    return data


def _date(value: date | datetime) -> str:
    """ISO 8601: a date, or a date and time with its offset."""
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value.isoformat()


def breadcrumbs(trail: Iterable[tuple[str, str]]) -> dict:
    """A BreadcrumbList of (name, absolute URL) steps, home first."""
    items = [
        {"@type": "ListItem", "position": position, "name": name, "item": url}
        for position, (name, url) in enumerate(trail, start=1)
    ]
    return {"@context": CONTEXT, "@type": "BreadcrumbList", "itemListElement": items}


def item_list(urls: Iterable[str]) -> dict:
    """An ItemList of product URLs (a category page's summary list)."""
    items = [{"@type": "ListItem", "position": n, "url": url} for n, url in enumerate(urls, start=1)]
    return {"@context": CONTEXT, "@type": "ItemList", "itemListElement": items}


def organization(facts: OrganizationFacts) -> dict:
    """The shop as an Organization: name, URL, logo, social profiles and a customer-service contact."""
    data: dict = {"@context": CONTEXT, "@type": "Organization", "name": facts.name, "url": facts.url}
    if facts.logo:
        data["logo"] = facts.logo
    if facts.same_as:
        data["sameAs"] = list(facts.same_as)
    contact = {k: v for k, v in (("telephone", facts.telephone), ("email", facts.email)) if v}
    if contact:
        data["contactPoint"] = {"@type": "ContactPoint", "contactType": "customer service", **contact}
    return data


def website(name: str, url: str, search_url: str) -> dict:
    """The WebSite with a SearchAction; `search_url` holds the `{search_term_string}` placeholder."""
    return {
        "@context": CONTEXT,
        "@type": "WebSite",
        "name": name,
        "url": url,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": search_url},
            "query-input": "required name=search_term_string",
        },
    }


def store(facts: StoreFacts) -> dict:
    """A Store (a LocalBusiness): address, position, telephone, URL and the opening hours that can be read."""
    data: dict = {"@context": CONTEXT, "@type": "Store", "name": facts.name}
    if facts.id:
        data["@id"] = facts.id
    address = {
        "streetAddress": facts.street,
        "addressLocality": facts.locality,
        "postalCode": facts.postcode,
        "addressCountry": facts.country,
    }
    data["address"] = {"@type": "PostalAddress", **{k: v for k, v in address.items() if v}}
    data["geo"] = {"@type": "GeoCoordinates", "latitude": facts.latitude, "longitude": facts.longitude}
    if facts.telephone:
        data["telephone"] = facts.telephone
    data["url"] = facts.url
    hours = parse_opening_hours(facts.opening_hours)
    if hours:
        data["openingHoursSpecification"] = [
            {"@type": "OpeningHoursSpecification", "dayOfWeek": list(h.days), "opens": h.opens, "closes": h.closes}
            for h in hours
        ]
    return data
