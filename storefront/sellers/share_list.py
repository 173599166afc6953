"""The seller dashboard's product list on a phone: search, sold-out hidden unless asked, one page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from ..catalog.models import Product, Variant
from ..catalog.rules import like_pattern

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


def search_products(
    session: Session, query: str, show_sold_out: bool, page: int, per_page: int = PER_PAGE
) -> SharePage:
    """Products on sale matching the search (title or web address, any case), sold-out left out unless asked,
    paged: searched, counted and paged in SQL, so every product of a large shop can be found."""
    query = " ".join(query.split())[:MAX_QUERY]
    found = select(Product).where(Product.published)
    if query:
        pattern = like_pattern(query.casefold())
        found = found.where(
            or_(func.lower(Product.title).like(pattern, escape="\\"), Product.slug.like(pattern, escape="\\"))
        )
    on_sale = found if show_sold_out else found.where(not_(_sold_out()))
    total = _count(session, on_sale)
    hidden = 0 if show_sold_out else _count(session, found.where(_sold_out()))
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    stmt = (
        on_sale.options(selectinload(Product.variants), selectinload(Product.sales))  # sales: the price shown
        .order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return SharePage(list(session.scalars(stmt)), query, show_sold_out, page, pages, total, hidden)


def _sold_out():
    """SQL for Product.sold_out: variants are offered and not one unit of any is left."""
    offered = select(Variant.id).where(Variant.product_id == Product.id, Variant.archived.is_(False))
    return and_(offered.exists(), not_(offered.where(Variant.on_hand > Variant.reserved).exists()))


def _count(session: Session, stmt) -> int:
    """How many rows `stmt` finds."""
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def with_photos(session: Session, slugs: Sequence[str]) -> dict[str, Product]:
    """The products on sale with these web addresses, photos and variants loaded in two queries (thumbnails,
    prices). A draft or archived product is left out: its page is a 404 for shoppers, so no link to it."""
    if not slugs:
        return {}
    stmt = (
        select(Product)
        .where(Product.slug.in_(list(slugs)), Product.published)
        .options(selectinload(Product.photos), selectinload(Product.variants), selectinload(Product.sales))
    )
    return {p.slug: p for p in session.scalars(stmt)}
