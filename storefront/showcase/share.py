"""Several products as one share (issue 21 item 3): which products, and the one message that carries them.

The seller ticks products on their dashboard and gets one message: a first line ("From Anna at the
shop:"), then one line per product, "Name — price — link", each link the product's absolute address
with `?ref=<seller code>` so the order it brings is credited to them (last touch wins, as any seller
link). Pure helpers (no Flask): the view passes in the links, the money formatter and the words, so
the message is in the seller's current language and these rules are tested without a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..catalog.models import Product

MAX_PRODUCTS = 10  # a chat message stays readable, and a share sheet takes a handful of photos
MAX_SLUG = 200  # longer values cannot be a product's web address: dropped unread
SEPARATOR = " — "


@dataclass(frozen=True)
class Picked:
    """The web addresses asked for, in the seller's order, without repeats; how many were cut off."""

    slugs: list[str]
    over_limit: int


@dataclass(frozen=True)
class ShareItem:
    """One product of the share, as the page and the message show it."""

    product: Product
    title: str
    link: str  # absolute, with ?ref=<seller code>
    price: int  # now, sale applied: the lowest of its offered variants
    regular: int  # the lowest regular price (above `price` while a sale runs)
    ranged: bool  # variants at different prices: "from <price>"
    sold_out: bool
    photo_url: str | None  # the main photo's jpg rendition (same origin), for the share sheet's files

    @property
    def on_sale(self) -> bool:
        """A sale is running on it now."""
        return self.price < self.regular


@dataclass(frozen=True)
class Wording:
    """The translated words of the message: the first line, "from <price>", "<price> (was <regular>)"."""

    heading: str
    ranged: Callable[[str], str]
    was: Callable[[str, str], str]


def pick_slugs(values: Iterable[str], limit: int = MAX_PRODUCTS) -> Picked:
    """The distinct non-empty web addresses asked for (order kept), at most `limit`; the rest counted."""
    slugs: list[str] = []
    for raw in values:
        slug = raw.strip().lower() if isinstance(raw, str) and len(raw) <= MAX_SLUG else ""
        if slug and slug not in slugs:
            slugs.append(slug)
    return Picked(slugs[:limit], max(0, len(slugs) - limit))


def load_products(session: Session, slugs: Sequence[str]) -> tuple[list[Product], list[str]]:
    """The published products with these web addresses in the given order, and the addresses dropped
    (unknown, draft or archived: their page is a 404 for shoppers, so no link to them)."""
    if not slugs:
        return [], []
    stmt = (
        select(Product)
        .where(Product.slug.in_(list(slugs)), Product.published)
        .options(selectinload(Product.photos), selectinload(Product.variants), selectinload(Product.sales))
    )
    found = {p.slug: p for p in session.scalars(stmt)}
    return [found[s] for s in slugs if s in found], [s for s in slugs if s not in found]


def share_items(
    products: Sequence[Product],
    now: datetime,
    link_for: Callable[[str], str],
    photo_for: Callable[[Product], str | None],
) -> list[ShareItem]:
    """What the page and the message show of each product, in order, priced at `now`."""
    items = []
    for product in products:
        low, high = product.price_range_at(now)
        items.append(
            ShareItem(
                product=product,
                title=product.title,
                link=link_for(product.slug),
                price=low,
                regular=max(low, product.regular_range[0]),
                ranged=low != high,
                sold_out=product.sold_out,
                photo_url=photo_for(product),
            )
        )
    return items


def price_words(item: ShareItem, money: Callable[[int], str], wording: Wording) -> str:
    """The price as the message says it: "$15.00", "from $15.00", "$15.00 (was $20.00)"."""
    price = wording.ranged(money(item.price)) if item.ranged else money(item.price)
    return wording.was(price, money(item.regular)) if item.on_sale else price


def line(item: ShareItem, money: Callable[[int], str], wording: Wording) -> str:
    """One product's line: "Name — price — link"."""
    return SEPARATOR.join((" ".join(item.title.split()), price_words(item, money, wording), item.link))


def message(items: Sequence[ShareItem], money: Callable[[int], str], wording: Wording) -> str:
    """The whole message: the first line, then one line per product in the seller's order."""
    return "\n".join([wording.heading, *(line(item, money, wording) for item in items)])


def whatsapp_url(text: str) -> str:
    """WhatsApp's share link with the message filled in (any phone, no number)."""
    return "https://wa.me/?text=" + quote(text, safe="")


def telegram_url(text: str, first_link: str) -> str:
    """Telegram's share link: it needs one address (the first product's) and takes the message as text."""
    return "https://t.me/share/url?url=" + quote(first_link, safe="") + "&text=" + quote(text, safe="")
