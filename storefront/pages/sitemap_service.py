"""What /sitemap.xml lists, read in one fixed order so any window of it (a part file) is cheap.

The order: the home page, /stores, the shop's pages, the categories, the published products
by id, then sellers' public pages and the visible collections (showcase.reads decides which).
Drafts and archived products are never read; admin, cart, checkout and order pages are simply
not among the sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..catalog.models import Category, Product
from ..catalog.rules import PUBLISHED
from ..showcase import reads as showcase
from .service import sitemap_pages
from .sitemap_rules import SitemapUrl, path_of

# A source: (how many URLs it has, a reader of `limit` of them from `offset`).
Source = tuple[int, Callable[[int, int], list[SitemapUrl]]]


def _fixed(session: Session) -> Source:
    """The home page, the stores page and the shop's pages: a few URLs, read at once."""
    urls = [SitemapUrl("/"), SitemapUrl("/stores")]
    urls += [SitemapUrl(path_of("/pages/", slug), updated) for slug, updated in sitemap_pages(session)]
    return len(urls), lambda offset, limit: urls[offset : offset + limit]


def _categories(session: Session) -> Source:
    """Categories with something on sale (/c/<slug>), by position, each with its newest product change.

    An empty category is left out: its page says "nothing here yet", which crawlers treat as a soft 404.
    """
    newest = (
        select(Product.category_id, func.max(Product.updated_at).label("updated"))
        .where(Product.status == PUBLISHED, Product.category_id.is_not(None))
        .group_by(Product.category_id)
        .subquery()
    )

    def read(offset: int, limit: int) -> list[SitemapUrl]:
        stmt = (
            select(Category.slug, newest.c.updated)
            .join(newest, newest.c.category_id == Category.id)
            .order_by(Category.position, Category.id)
            .offset(offset)
            .limit(limit)
        )
        return [SitemapUrl(path_of("/c/", slug), updated) for slug, updated in session.execute(stmt)]

    return session.scalar(select(func.count()).select_from(newest)) or 0, read


def _products(session: Session) -> Source:
    """Published products (/p/<slug>) by id, each with its last change."""
    on_sale = Product.status == PUBLISHED

    def read(offset: int, limit: int) -> list[SitemapUrl]:
        stmt = select(Product.slug, Product.updated_at).where(on_sale).order_by(Product.id)
        rows = session.execute(stmt.offset(offset).limit(limit))
        return [SitemapUrl(path_of("/p/", slug), updated) for slug, updated in rows]

    return session.scalar(select(func.count(Product.id)).where(on_sale)) or 0, read


def _seller_pages(session: Session) -> Source:
    """Sellers' published pages (/s/<code>) by id, each with their profile's last change."""

    def read(offset: int, limit: int) -> list[SitemapUrl]:
        rows = session.execute(showcase.published_seller_pages().offset(offset).limit(limit))
        return [SitemapUrl(path_of("/s/", code), updated) for code, updated in rows]

    count = select(func.count()).select_from(showcase.published_seller_pages().subquery())
    return session.scalar(count) or 0, read


def _collections(session: Session) -> Source:
    """Collections shoppers may open (/collections/<slug>) by id, each with its last change."""

    def read(offset: int, limit: int) -> list[SitemapUrl]:
        rows = session.execute(showcase.visible_collections().offset(offset).limit(limit))
        return [SitemapUrl(path_of("/collections/", slug), updated) for slug, updated in rows]

    count = select(func.count()).select_from(showcase.visible_collections().subquery())
    return session.scalar(count) or 0, read


def sources(session: Session) -> list[Source]:
    """Every source in the sitemap's order (one count query each)."""
    return [_fixed(session), _categories(session), _products(session), _seller_pages(session), _collections(session)]


def total(found: list[Source]) -> int:
    """How many URLs the sitemap holds."""
    return sum(count for count, _read in found)


def window(found: list[Source], offset: int, limit: int) -> Iterator[SitemapUrl]:
    """`limit` URLs from `offset` on across the sources, each source read only where the window meets it."""
    start = 0
    for count, read in found:
        if limit <= 0:
            return
        if offset < start + count:
            inner = max(0, offset - start)
            urls = read(inner, min(limit, count - inner))
            yield from urls
            limit -= len(urls)
            offset = start + count
        start += count


def newest_change(session: Session) -> datetime | None:
    """The last change of any published product (the index's lastmod), or None."""
    return session.scalar(select(func.max(Product.updated_at)).where(Product.status == PUBLISHED))
