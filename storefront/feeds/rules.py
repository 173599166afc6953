"""Pure feed rules: one feed item per variant on sale, its texts, prices, links and images; link names.

Values in, values out: no Flask, no session. The attribute limits are the ones Google's product
data specification and Meta's catalogue fields state; formats.py writes the items out.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from typing import NamedTuple
from urllib.parse import quote

from ..catalog import sale_rules
from ..domain import N_, Invalid
from ..money import minor_digits

GOOGLE, META = "google", "meta"
FORMATS = (GOOGLE, META)
FILE_NAMES = {GOOGLE: "google.xml", META: "meta.csv"}  # the last part of a feed's URL
REBUILD_JOB = "feeds.rebuild"  # the background job that builds the files ahead (jobs.py)
FORMAT_LABELS = {GOOGLE: N_("Google Merchant Center (XML)"), META: N_("Meta catalogue: WhatsApp, Instagram (CSV)")}

MAX_ID = 50  # Google: id up to 50 characters (Meta allows 100)
MAX_TITLE = 150  # Google: title up to 150 characters (Meta allows 200)
MAX_DESCRIPTION = 5000  # Google: description up to 5000 characters (Meta allows 9999)
MAX_EXTRA_IMAGES = 10  # additional_image_link: the brief's cap (Google allows 10, Meta 20)
MAX_NAME = 80
TOKEN_BYTES = 32  # 43 URL-safe characters: unguessable, like an API key
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
# Tags of the sanitised description (plain_text): a block's becomes a space, an inline one nothing.
_BLOCK_TAG = re.compile(r"<!--.*?-->|</?(?:p|br|li|ul|ol|h[1-6]|blockquote|div|pre|hr|tr|td|th)\b[^>]*>", re.I | re.S)
_INLINE_TAG = re.compile(r"<[^>]*>")
# Characters XML 1.0 cannot carry at all (a control character pasted into a description would
# make the whole feed unreadable); removed from every text before it is written.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedSettings:
    """What every item shares: the shop's public address, money, country, delivery fee and brand."""

    base_url: str  # absolute, ending in "/"
    currency: str
    country: str
    shipping_fee: int  # minor units
    brand: str
    shop_name: str
    # The currency's minor-unit digits (Babel's), looked up once here rather than once per item.
    digits: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digits", minor_digits(self.currency))


class ProductRow(NamedTuple):  # a tuple: made for every row of a feed, faster than a frozen dataclass
    """A published product as the feed reads it."""

    id: int
    slug: str
    title: str
    description_html: str
    price: int
    category: str  # its category's name, "" without one
    sales: tuple = ()  # its sales running when the feed is built (catalog.sale_rules.SaleTerms)


class VariantRow(NamedTuple):
    """A variant still offered, with its stock."""

    id: int
    sku: str
    name: str
    price_override: int | None
    on_hand: int
    reserved: int


class PhotoRow(NamedTuple):
    """A product photo: its rendition key and widths ("320,640,1024")."""

    key: str
    widths: str


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make, and there are 25,000 of them
class FeedItem:
    """One variant as both feeds list it (formats.py writes it as XML or CSV)."""

    id: str
    title: str
    description: str
    link: str
    image_link: str
    additional_image_links: tuple[str, ...]
    in_stock: bool
    price: str  # "12.50 USD"
    sale_price: str | None  # None: not on sale now (see sale_price_of)
    brand: str
    item_group_id: str | None  # the product, when it has more than one variant
    product_type: str
    sale_dates: str | None = None  # g:sale_price_effective_date, "start/end" in ISO 8601 UTC


def feed_items(
    product: ProductRow, variants: list[VariantRow], photos: list[PhotoRow], settings: FeedSettings
) -> list[FeedItem]:
    """The items of one product: one per offered variant; none without a photo (both feeds require one)."""
    if not variants or not photos:
        return []
    images = tuple(image_url(settings.base_url, p) for p in photos[: MAX_EXTRA_IMAGES + 1])
    page = product_link(settings.base_url, product.slug, 0).removesuffix("0")  # quoted once per product
    shared = {
        "description": clip(plain_text(product.description_html)) or clip(clean_text(product.title)),
        "image_link": images[0],
        "additional_image_links": images[1:],
        "brand": clip(clean_text(settings.brand), 70),  # Google: brand up to 70 characters
        "item_group_id": str(product.id) if len(variants) > 1 else None,  # variants grouped by product
        "product_type": clip(clean_text(product.category), 750),  # Google: product_type up to 750
    }
    return [_item(product, variant, settings, page, shared) for variant in variants]


def _item(product: ProductRow, variant: VariantRow, settings: FeedSettings, page: str, shared: dict) -> FeedItem:
    """One variant's item: its id, title, link, stock and price; the product's texts and photos."""
    title = f"{product.title} — {variant.name}" if variant.name else product.title
    unit_price = product.price if variant.price_override is None else variant.price_override
    sale = sale_price_of(product, variant)
    return FeedItem(
        id=item_id(variant.sku),
        title=clip(clean_text(title), MAX_TITLE),
        link=f"{page}{variant.id}",
        in_stock=variant.on_hand - variant.reserved > 0,
        price=price_text(unit_price, settings.currency, settings.digits),
        sale_price=None if sale is None else price_text(sale[0], settings.currency, settings.digits),
        sale_dates=None if sale is None else sale_dates(sale[1]),
        **shared,
    )


def sale_price_of(product: ProductRow, variant: VariantRow) -> tuple[int, sale_rules.SaleTerms] | None:
    """The variant's sale price in minor units and its sale, or None: the lowest of its running sales."""
    regular = product.price if variant.price_override is None else variant.price_override
    offers = [
        (sale_rules.sale_price(regular, terms.kind, terms.value), terms)
        for terms in product.sales
        if sale_rules.applies_to(terms, variant.id)
    ]
    best = min(offers, key=lambda offer: offer[0], default=None)
    return best if best is not None and best[0] < regular else None


def sale_dates(terms: sale_rules.SaleTerms) -> str:
    """Google's sale_price_effective_date: the sale's start and end, ISO 8601 in UTC."""
    return f"{terms.starts_at:%Y-%m-%dT%H:%M:%SZ}/{terms.ends_at:%Y-%m-%dT%H:%M:%SZ}"


def price_text(amount_minor: int, currency: str, digits: int | None = None) -> str:
    """ "12.50 USD", "1200 JPY": major units with the currency's own exponent (Babel's), then its code.

    Integer arithmetic, no Decimal or Babel per call: `digits` is FeedSettings.digits (looked up
    once per feed); the same text as money.format_amount_plain (tests/feeds/test_rules.py).
    """
    if digits is None:
        digits = minor_digits(currency)
    if digits == 0:
        return f"{amount_minor} {currency}"
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{major}.{minor:0{digits}d} {currency}"


def product_link(base_url: str, slug: str, variant_id: int) -> str:
    """The product page with this variant chosen (the page preselects `?variant=`)."""
    return f"{base_url}p/{quote(slug)}?variant={variant_id}"


def image_url(base_url: str, photo: PhotoRow) -> str:
    """The absolute URL of the photo's largest JPEG rendition (both feeds take JPEG)."""
    return f"{base_url}media/{photo.key}-{_largest(photo.widths)}.jpg"


@lru_cache(maxsize=256)  # a shop's photos share a handful of width lists ("320,640,1024,1600")
def _largest(widths: str) -> int:
    """The largest width in a photo's "320,640,1024" list (0 without one)."""
    return max((int(w) for w in widths.split(",") if w.isdigit()), default=0)


def item_id(sku: str) -> str:
    """The item's id: the SKU; one longer than Google's 50 characters keeps its start and a digest (stable)."""
    if len(sku) <= MAX_ID:
        return sku
    return f"{sku[: MAX_ID - 13]}-{hashlib.blake2b(sku.encode(), digest_size=6).hexdigest()}"


def plain_text(html: str) -> str:
    """The description without tags or entities, whitespace collapsed (both feeds want plain text).

    description_html was sanitised when saved (catalog.rules), so it holds only simple tags: a
    block's tag becomes a space (paragraphs and list items stay apart), an inline one nothing.
    """
    text = _INLINE_TAG.sub("", _BLOCK_TAG.sub(" ", html or ""))
    return clean_text(unescape(text))


def clean_text(text: str) -> str:
    """`text` without the characters XML cannot carry, whitespace collapsed."""
    return " ".join(_NOT_XML.sub(" ", text or "").split())


def clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """`text` cut to `limit` characters, at a word when there is one near the end, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip() + "…"


def feed_url(base_url: str, token: str, fmt: str) -> str:
    """The feed's private address, shown once when its link is made."""
    return f"{base_url}feeds/{token}/{FILE_NAMES[fmt]}"


def new_token() -> str:
    """A fresh random token for a feed link (only its digest is stored)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def check_link(name: str, fmt: str) -> tuple[str, str]:
    """The owner's name for a link, trimmed, and its format; Invalid when either is refused."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise Invalid(N_("Give the link a name, for example “Google Merchant Center”."))
    if len(cleaned) > MAX_NAME:
        raise Invalid(N_("The name can be at most %(count)s characters."), count=MAX_NAME)
    if fmt not in FORMATS:
        raise Invalid(N_("Choose Google or Meta."))
    return cleaned, fmt


def configured_base(shop_url: str | None) -> str | None:
    """SHOP_URL as the feeds' base ("/"-ended), or None when it is not set (then only a request knows it)."""
    return shop_url.rstrip("/") + "/" if shop_url else None


def settings_key(fmt: str, settings: FeedSettings, version: str) -> str:
    """The digest of everything a feed depends on but the catalog: files of one family differ by generation only."""
    parts = (version, fmt, settings.base_url, settings.currency, settings.country, str(settings.shipping_fee))
    text = "|".join((*parts, settings.brand, settings.shop_name))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def cache_key(fmt: str, generation: str, settings: FeedSettings, version: str) -> str:
    """The digest naming one finished feed: format, catalog generation, address and settings.

    It is also the feed's ETag: any change to what the feed shows changes it (a catalog change
    bumps the generation; the address, money and delivery settings are part of it), and
    `version` changes it when the feed's own code changes shape.
    """
    parts = (version, fmt, generation, settings.base_url, settings.currency, settings.country)
    text = "|".join((*parts, str(settings.shipping_fee), settings.brand, settings.shop_name))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
