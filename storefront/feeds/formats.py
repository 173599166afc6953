"""Writing feed items out: Google's RSS 2.0 with the g: namespace, and Meta's catalogue CSV (pure).

Each writer turns a batch of items into one string, so a feed of 10,000 products streams as a
few dozen chunks. Texts were cleaned of characters XML cannot carry (rules.clean_text) and are
escaped here; CSV cells are quoted by the csv module and defused like every CSV the shop writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import lru_cache

from ..core.csv import csv_safe
from ..money import format_amount_plain
from .rules import GOOGLE, FeedItem, FeedSettings, clean_text

GOOGLE_NS = "http://base.google.com/ns/1.0"
SHIPPING_SERVICE = "Standard"
# Meta Commerce Manager's data feed columns, in the order the file lists them.
META_COLUMNS = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "image_link",
    "brand",
    "item_group_id",
    "additional_image_link",
    "sale_price",
    "google_product_category",
    "product_type",
    "shipping",
)
CONTENT_TYPES = {GOOGLE: "application/xml; charset=utf-8", "meta": "text/csv; charset=utf-8"}


def escape(text: str) -> str:
    """`text` with &, < and > escaped for XML (xml.sax.saxutils.escape without its per-call dict loop).

    Texts shared by a product's variants are escaped once, in the cached _google_product_part.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shipping_price(settings: FeedSettings) -> str:
    """The flat delivery fee as both feeds write a price: "5.00 USD"."""
    return f"{format_amount_plain(settings.shipping_fee, settings.currency)} {settings.currency}"


# --- Google Merchant Center ------------------------------------------------------------------


def google_head(settings: FeedSettings) -> str:
    """The XML declaration and the channel's opening, up to the first item."""
    name = escape(clean_text(settings.shop_name))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:g="{GOOGLE_NS}">\n<channel>\n'
        f"<title>{name}</title>\n<link>{escape(settings.base_url)}</link>\n"
        f"<description>{name}</description>\n"
    )


def google_tail() -> str:
    """The channel's and the document's end."""
    return "</channel>\n</rss>\n"


def google_items(items: Iterable[FeedItem], settings: FeedSettings) -> str:
    """The <item> elements of a batch."""
    shipping = (
        f"<g:shipping><g:country>{escape(settings.country)}</g:country>"
        f"<g:service>{SHIPPING_SERVICE}</g:service><g:price>{shipping_price(settings)}</g:price></g:shipping>\n"
    )
    return "".join(_google_item(item, shipping) for item in items)


def _google_item(item: FeedItem, shipping: str) -> str:
    """One <item>: the attributes Google's product data specification asks of a product without GTIN."""
    sale = "" if item.sale_price is None else f"<g:sale_price>{item.sale_price}</g:sale_price>\n"
    if item.sale_price is not None and item.sale_dates:
        sale += f"<g:sale_price_effective_date>{item.sale_dates}</g:sale_price_effective_date>\n"
    return (
        f"<item>\n<g:id>{escape(item.id)}</g:id>\n<g:title>{escape(item.title)}</g:title>\n"
        f"<g:link>{escape(item.link)}</g:link>\n"
        f"<g:availability>{'in_stock' if item.in_stock else 'out_of_stock'}</g:availability>\n"
        f"<g:price>{item.price}</g:price>\n{sale}"
        + _google_product_part(
            item.description, item.image_link, item.additional_image_links, item.brand, item.item_group_id,
            item.product_type, shipping,
        )
        + "</item>\n"
    )  # fmt: skip


@lru_cache(maxsize=64)  # a product's variants come one after the other: their shared part is written once
def _google_product_part(
    description: str,
    image_link: str,
    additional_image_links: tuple[str, ...],
    brand: str,
    item_group_id: str | None,
    product_type: str,
    shipping: str,
) -> str:
    """The attributes every variant of a product shares: texts, photos, brand, group, type, shipping."""
    parts = [
        f"<g:description>{escape(description)}</g:description>\n",
        f"<g:image_link>{escape(image_link)}</g:image_link>\n",
    ]
    parts += [f"<g:additional_image_link>{escape(u)}</g:additional_image_link>\n" for u in additional_image_links]
    parts.append(f"<g:brand>{escape(brand)}</g:brand>\n<g:condition>new</g:condition>\n")
    parts.append("<g:identifier_exists>no</g:identifier_exists>\n")  # the shop has no GTIN or MPN
    if item_group_id is not None:
        parts.append(f"<g:item_group_id>{escape(item_group_id)}</g:item_group_id>\n")
    if product_type:
        parts.append(f"<g:product_type>{escape(product_type)}</g:product_type>\n")
    parts.append(shipping)
    return "".join(parts)


# --- Meta catalogue --------------------------------------------------------------------------


def meta_head() -> str:
    """The header row."""
    return _csv_lines([META_COLUMNS])


def meta_items(items: Iterable[FeedItem], settings: FeedSettings) -> str:
    """The rows of a batch, one per item, in META_COLUMNS order."""
    shipping = f"{settings.country}::{SHIPPING_SERVICE}:{shipping_price(settings)}"
    rows = (
        (
            csv_safe(item.id),
            csv_safe(item.title),
            csv_safe(item.description),
            "in stock" if item.in_stock else "out of stock",
            "new",
            item.price,
            item.link,
            item.image_link,
            csv_safe(item.brand),
            item.item_group_id or "",
            ",".join(item.additional_image_links),
            item.sale_price or "",
            "",  # google_product_category: optional; the shop keeps no Google category
            csv_safe(item.product_type),
            shipping,
        )
        for item in items
    )
    return _csv_lines(rows)


def _csv_lines(rows: Iterable[Iterable[str]]) -> str:
    """Rows as CSV text (RFC 4180 quoting and line ends, as the csv module writes them)."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()
