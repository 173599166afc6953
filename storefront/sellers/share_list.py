"""The seller dashboard's product list on a phone: search, sold-out hidden unless asked, one page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..catalog.models import Product

PER_PAGE = 10
MAX_QUERY = 80


@dataclass(frozen=True)
class SharePage:
    """One page of the share list, with what the form and the pager need to say."""

    products: list[Product]
    query: str
    show_sold_out: bool
    page: int
    pages: int
    total: int
    hidden_sold_out: int


def parse_page(raw: str | None) -> int:
    """A page number from the query string; anything odd is page 1."""
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def filter_products(
    products: Sequence[Product], query: str, show_sold_out: bool, page: int, per_page: int = PER_PAGE
) -> SharePage:
    """Products matching the search (title or web address, any case), sold-out left out unless asked, paged."""
    query = " ".join(query.split())[:MAX_QUERY]
    needle = query.casefold()
    found = [p for p in products if not needle or needle in p.title.casefold() or needle in p.slug]
    on_sale = found if show_sold_out else [p for p in found if not p.sold_out]
    pages = max(1, math.ceil(len(on_sale) / per_page))
    page = min(page, pages)
    shown = on_sale[(page - 1) * per_page : page * per_page]
    return SharePage(shown, query, show_sold_out, page, pages, len(on_sale), len(found) - len(on_sale))


def with_photos(session: Session, slugs: Sequence[str]) -> dict[str, Product]:
    """The products with these web addresses, photos and variants loaded in two queries (thumbnails, prices)."""
    if not slugs:
        return {}
    stmt = (
        select(Product)
        .where(Product.slug.in_(list(slugs)))
        .options(selectinload(Product.photos), selectinload(Product.variants))
    )
    return {p.slug: p for p in session.scalars(stmt)}
