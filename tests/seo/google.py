"""The properties Google documents for each rich result we aim at, as data, and a checker.

Source: Google Search Central, structured data documentation (read 2026-12):
  https://developers.google.com/search/docs/appearance/structured-data/product-snippet
  https://developers.google.com/search/docs/appearance/structured-data/merchant-listing
  https://developers.google.com/search/docs/appearance/structured-data/review-snippet
  https://developers.google.com/search/docs/appearance/structured-data/breadcrumb
  https://developers.google.com/search/docs/appearance/structured-data/local-business
  https://developers.google.com/search/docs/appearance/structured-data/organization
A path names a property, dotted through nested objects; a list is checked item by item. "a|b"
means one of them (Google's "one of the following"). Each list is what we promise to emit.
"""

from __future__ import annotations

PRODUCT_SNIPPET = {
    "required": ("name", "review|aggregateRating|offers"),
    "recommended": (),
}
MERCHANT_LISTING = {
    "required": ("name", "image", "offers", "offers.price", "offers.priceCurrency"),
    "recommended": (
        "description",
        "sku|gtin|mpn",
        "brand.name",
        "offers.availability",
        "offers.itemCondition",
        "offers.shippingDetails.shippingRate.value",
        "offers.shippingDetails.shippingRate.currency",
        "offers.shippingDetails.shippingDestination.addressCountry",
        "offers.hasMerchantReturnPolicy.applicableCountry",
        "offers.hasMerchantReturnPolicy.returnPolicyCategory",
    ),
}
# Review snippets: a Review's author and rating; a standalone Review also names itemReviewed.
REVIEW_SNIPPET = {"required": ("author.name", "reviewRating.ratingValue"), "recommended": ("datePublished",)}
STANDALONE_REVIEW = {"required": ("itemReviewed.name",), "recommended": ()}
AGGREGATE_RATING = {
    "required": ("ratingValue", "reviewCount|ratingCount"),
    "recommended": ("bestRating", "worstRating"),
}
BREADCRUMB = {
    "required": ("itemListElement", "itemListElement.position", "itemListElement.name", "itemListElement.item"),
    "recommended": (),
}
LOCAL_BUSINESS = {
    "required": ("name", "address", "address.streetAddress", "address.addressLocality", "address.addressCountry"),
    "recommended": (
        "address.postalCode",
        "geo.latitude",
        "geo.longitude",
        "telephone",
        "url",
        "openingHoursSpecification.dayOfWeek",
        "openingHoursSpecification.opens",
        "openingHoursSpecification.closes",
    ),
}
ORGANIZATION = {"required": (), "recommended": ("name", "url", "logo", "sameAs", "contactPoint")}


def _present(item: object, path: list[str]) -> bool:
    """True when the dotted path has a non-empty value (in every element of a list on the way)."""
    if isinstance(item, list):
        return bool(item) and all(_present(one, path) for one in item)
    if not path:
        return item not in (None, "", [], {})
    return isinstance(item, dict) and path[0] in item and _present(item[path[0]], path[1:])


def missing(item: dict, spec: dict, *, recommended: bool = True) -> list[str]:
    """The spec's paths `item` lacks (required ones, and recommended ones unless told not to)."""
    paths = spec["required"] + (spec["recommended"] if recommended else ())
    return [p for p in paths if not any(_present(item, alt.split(".")) for alt in p.split("|"))]
