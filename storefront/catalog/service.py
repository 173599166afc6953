"""Catalog use-cases: listings, search, product pages, and the owner's product edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..domain import N_, Conflict, NotFound
from .images import delete_image, store_upload
from .models import Category, Photo, Product, Variant
from .rules import like_pattern, normal_slug, render_description, search_terms, slugify

LISTING_OPTIONS = (selectinload(Product.variants), selectinload(Product.photos))


@dataclass
class Page:
    """One page of a listing."""

    items: list[Product]
    page: int
    pages: int
    total: int


def _on_sale() -> Select:
    """Products shoppers may see, with what their cards need loaded up front (no N+1)."""
    return select(Product).where(Product.archived.is_(False)).options(*LISTING_OPTIONS)


def _sorted(stmt: Select, sort: str) -> Select:
    """Apply one of the listing sort orders."""
    if sort == "price_asc":
        return stmt.order_by(Product.price.asc(), Product.id.asc())
    if sort == "price_desc":
        return stmt.order_by(Product.price.desc(), Product.id.desc())
    return stmt.order_by(Product.created_at.desc(), Product.id.desc())


def paginate(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    """Run a listing for one page, with the total for the pager."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max((total + per_page - 1) // per_page, 1)
    items = list(session.scalars(stmt.limit(per_page).offset((min(page, pages) - 1) * per_page)))
    return Page(items=items, page=min(page, pages), pages=pages, total=total)


def categories(session: Session) -> list[Category]:
    """All categories in display order."""
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))


def category_by_slug(session: Session, slug: str) -> Category:
    """A category or NotFound."""
    category = session.scalars(select(Category).where(Category.slug == normal_slug(slug)[:80])).first()
    if category is None:
        raise NotFound(N_("We could not find that category."))
    return category


def featured(session: Session, limit: int = 8) -> list[Product]:
    """Featured products first, topped up with the newest, for the home page."""
    stmt = _on_sale().order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def category_page(session: Session, category: Category, sort: str, page: int, per_page: int) -> Page:
    """Products of one category, sorted and paginated."""
    return paginate(session, _sorted(_on_sale().where(Product.category_id == category.id), sort), page, per_page)


def search(session: Session, query: str, sort: str, page: int, per_page: int) -> Page:
    """Products whose title or description contain every word of the query."""
    terms = search_terms(query)
    if not terms:
        return Page(items=[], page=1, pages=1, total=0)
    conditions = [
        or_(
            Product.title.ilike(like_pattern(t), escape="\\"),
            Product.description_md.ilike(like_pattern(t), escape="\\"),
        )
        for t in terms
    ]
    return paginate(session, _sorted(_on_sale().where(and_(*conditions)), sort), page, per_page)


def product_by_slug(session: Session, slug: str) -> Product:
    """A product on sale, with variants and photos, or NotFound."""
    product = session.scalars(_on_sale().where(Product.slug == normal_slug(slug)[:120])).first()
    if product is None:
        raise NotFound(N_("We could not find that product. It may have been removed."))
    return product


def unique_slug(session: Session, wanted: str, product_id: int | None = None) -> str:
    """`wanted` slugified, with -2, -3... appended if another product already has it."""
    base = slugify(wanted)
    slug, n = base, 1
    while True:
        other = session.scalars(select(Product.id).where(Product.slug == slug)).first()
        if other is None or other == product_id:
            return slug
        n += 1
        slug = f"{base[:70]}-{n}"


def save_product(
    session: Session,
    product: Product,
    *,
    title: str,
    slug: str,
    description_md: str,
    price: int,
    category_id: int | None,
    featured: bool,
    now: datetime,
) -> Product:
    """Create or update a product; the description is sanitised once here, not per view."""
    product.title = title
    product.slug = unique_slug(session, slug or title, product.id)
    product.description_md = description_md
    product.description_html = render_description(description_md)
    product.price = price
    product.category_id = category_id
    product.featured = featured
    product.updated_at = now
    if product.id is None:
        product.created_at = now
        session.add(product)
    session.flush()
    return product


def add_variant(
    session: Session, product: Product, *, sku: str, name: str, price_override: int | None, low_stock_threshold: int
) -> Variant:
    """Add a variant (stock starts at zero; stock comes in through the ledger)."""
    if session.scalars(select(Variant.id).where(Variant.sku == sku)).first() is not None:
        raise Conflict(N_("Another variant already has the SKU %(sku)s."), sku=sku)
    variant = Variant(
        product=product,
        sku=sku,
        name=name,
        price_override=price_override,
        low_stock_threshold=low_stock_threshold,
        position=len(product.variants),
    )
    session.add(variant)
    session.flush()
    return variant


def store_photo(
    session: Session,
    product: Product,
    data: bytes,
    media_root: Path,
    *,
    alt: str,
    max_bytes: int = 8 * 1024 * 1024,
    max_pixels: int = 40_000_000,
) -> Photo:
    """Check, re-encode and store an uploaded photo, then attach it after the product's others.

    Raises ImageRejected (nothing written) for a bad file. If the row cannot be added, the
    files are removed again; the caller removes them if its commit fails.
    """
    stored = store_upload(data, media_root, max_bytes=max_bytes, max_pixels=max_pixels)
    try:
        photo = Photo(
            product=product,
            key=stored.key,
            width=stored.width,
            height=stored.height,
            widths=",".join(str(w) for w in stored.widths),
            alt=alt[:200],
            position=len(product.photos),
        )
        session.add(photo)
        session.flush()
    except Exception:
        delete_image(stored.key, media_root)
        raise
    return photo
