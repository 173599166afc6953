"""Catalog use-cases: listings, search, product pages, and the owner's product edits."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Select, String, func, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from ..domain import N_, Conflict, Invalid, NotFound
from .images import delete_image, store_upload
from .models import Category, Photo, Product, Variant
from .rules import (
    ARCHIVED,
    DRAFT,
    MIN_INDEXED_TERM,
    PUBLISHED,
    PublishCheck,
    fold_for_search,
    fts_phrase,
    like_pattern,
    normal_slug,
    publish_check,
    render_description,
    search_document,
    search_terms,
    slugify,
)
from .search_index import fts_match

NEAREST_CUTOFF = 0.7  # difflib ratio for "did you mean": "shrts" finds Shirts, "mug" does not find Rugs
SAVE_ATTEMPTS = 5  # concurrent saves of one title: each retry sees one more winner
# Sales ride along: a card's and a page's price is the sale price while one runs (catalog.sales).
LISTING_OPTIONS = (selectinload(Product.variants), selectinload(Product.photos), selectinload(Product.sales))
# A product card never shows the description: listings leave its two copies (often kilobytes)
# in the database, and a template that starts using them fails loudly instead of lazy-loading.
CARD_OPTIONS = (
    *LISTING_OPTIONS,
    defer(Product.description_md, raiseload=True),
    defer(Product.description_html, raiseload=True),
)


class NotReady(Invalid):
    """A product that misses something publishing needs; `check` says what."""

    def __init__(self, check: PublishCheck) -> None:
        super().__init__(N_("This product cannot be published yet."))
        self.check = check


@dataclass
class Page:
    """One page of a listing."""

    items: list[Product]
    page: int
    pages: int
    total: int


def _on_sale(options=CARD_OPTIONS) -> Select:
    """Products shoppers may see (published ones), with what their cards need loaded up front (no N+1).

    `status = 'published'`: an equality every listing index leads with.
    """
    return select(Product).where(Product.published).options(*options)


# SQLite's documented way to keep a term off the indexes is a unary "+": the row is then reached
# through another term (the FTS match's rowids) and this is checked on it.
_PUBLISHED_BY_ROW = literal_column(f"+{Product.__tablename__}.status", String) == PUBLISHED
# Below this many matches, reading them by id and sorting them beats walking a sort index.
FEW_MATCHES = 500


def _sorted(stmt: Select, sort: str) -> Select:
    """Apply one of the listing sort orders."""
    if sort == "price_asc":
        return stmt.order_by(Product.price.asc(), Product.id.asc())
    if sort == "price_desc":
        return stmt.order_by(Product.price.desc(), Product.id.desc())
    return stmt.order_by(Product.created_at.desc(), Product.id.desc())


def paginate(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    """Run a listing for one page, with the total for the pager."""
    return _page(session, stmt, page, per_page, _count(session, stmt))


def _count(session: Session, stmt: Select) -> int:
    """How many rows a listing has (its filters answer from an index: no row is read)."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _page(session: Session, stmt: Select, page: int, per_page: int, total: int) -> Page:
    """One page of a listing of `total` rows; a page past the end shows the last one."""
    pages = max((total + per_page - 1) // per_page, 1)
    # Nothing matched: no second query (for a search by a short word that one would be a scan).
    items = list(session.scalars(stmt.limit(per_page).offset((min(page, pages) - 1) * per_page))) if total else []
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


def _matching(session: Session, terms: list[str]) -> list[ColumnElement[bool]]:
    """Conditions for products whose search text holds every (folded) term, through the search index."""
    folded = [fold_for_search(t) for t in terms]
    short = [t for t in folded if len(t) < MIN_INDEXED_TERM]
    if session.get_bind().dialect.name == "sqlite":
        indexed = [fts_phrase(t) for t in folded if len(t) >= MIN_INDEXED_TERM]
        conditions = [fts_match(indexed)] if indexed else []
    else:  # PostgreSQL: the pg_trgm GIN index serves LIKE '%term%' for terms of 3 characters or more
        conditions, short = [], folded
    return conditions + [Product.search_text.like(like_pattern(t), escape="\\") for t in short]


def search(session: Session, query: str, sort: str, page: int, per_page: int) -> Page:
    """Products whose title or description contain every word of the query (any case, Latin accents or not)."""
    terms = search_terms(query)
    if not terms:
        return Page(items=[], page=1, pages=1, total=0)
    matching = _matching(session, terms)
    if session.get_bind().dialect.name != "sqlite":
        return paginate(session, _sorted(_on_sale().where(*matching), sort), page, per_page)
    # SQLite cannot know how many rows the FTS index will match, and given `status = 'published'` it
    # walks a listing index testing every row against the matches: 10k rows for a rare word.
    # Read the matches by id instead (cost grows with the matches), to count them always, and
    # for the page when they are few; when they are many, walking the sort order's index meets
    # one every few rows, which is cheaper than sorting them all.
    by_id = select(Product).where(_PUBLISHED_BY_ROW, *matching).options(*CARD_OPTIONS)
    total = _count(session, by_id)
    listing = by_id if total <= FEW_MATCHES else _on_sale().where(*matching)
    return _page(session, _sorted(listing, sort), page, per_page, total)


def product_by_slug(session: Session, slug: str) -> Product:
    """A product on sale, with variants and photos, or NotFound."""
    page_options = (*LISTING_OPTIONS, joinedload(Product.category))  # the breadcrumb: no extra query
    product = session.scalars(_on_sale(page_options).where(Product.slug == normal_slug(slug)[:120])).first()
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
    """Create or update a product; the description is sanitised once here, not per view.

    unique_slug() cannot see a product another request is saving at this very moment: both
    pick the same address and the unique index refuses the second write (PostgreSQL; SQLite's
    write lock runs them one after the other). So the write happens in a savepoint, and a
    refusal over the slug is answered by choosing again, now that the winner is visible.
    """
    description_html = render_description(description_md)
    for _attempt in range(SAVE_ATTEMPTS):
        try:
            with session.begin_nested():
                # All fields again on a retry: undoing the savepoint expired the edited ones.
                product.title = title
                product.slug = unique_slug(session, slug or title, product.id)
                product.description_md = description_md
                product.description_html = description_html
                product.search_text = search_document(title, description_md)
                product.price = price
                product.category_id = category_id
                product.featured = featured
                product.updated_at = now
                if product.id is None:
                    product.created_at = now
                    session.add(product)
                session.flush()
            return product
        except IntegrityError as err:
            if not _violates(err, "slug"):
                raise
    raise Conflict(N_("Another product took this web address at the same moment. Please save again."))


def _violates(err: IntegrityError, column: str) -> bool:
    """True when the database refused a duplicate in `column` (both databases name it in the message)."""
    return column in str(err.orig).lower()


def add_variant(
    session: Session, product: Product, *, sku: str, name: str, price_override: int | None, low_stock_threshold: int
) -> Variant:
    """Add a variant (stock starts at zero; stock comes in through the ledger)."""
    taken = Conflict(N_("Another variant already has the SKU %(sku)s."), sku=sku)
    if _sku_taken(session, sku):
        raise taken
    position = len(product.variants)
    try:
        # A savepoint: the same SKU saved by another request since the check above is refused
        # by the unique index, and answered like the check's own refusal.
        with session.begin_nested():
            variant = Variant(
                product=product,
                sku=sku,
                name=name,
                price_override=price_override,
                low_stock_threshold=low_stock_threshold,
                position=position,
            )
            session.add(variant)
            session.flush()
    except IntegrityError as err:
        if not _violates(err, "sku"):
            raise
        raise taken from err
    return variant


def add_category(session: Session, name: str, slug: str, position: int) -> Category:
    """Add a category at a free web address, else Conflict (also when another request just took it)."""
    taken = Conflict(N_("Another category already uses this address."))
    if _category_slug_taken(session, slug):
        raise taken
    try:
        with session.begin_nested():  # as in add_variant: a concurrent twin is refused by the index
            category = Category(name=name, slug=slug, position=position)
            session.add(category)
            session.flush()
    except IntegrityError as err:
        if not _violates(err, "slug"):
            raise
        raise taken from err
    return category


def _category_slug_taken(session: Session, slug: str) -> bool:
    """True when a category already has this web address."""
    return session.scalars(select(Category.id).where(Category.slug == slug)).first() is not None


def _sku_taken(session: Session, sku: str) -> bool:
    """True when a variant already has this SKU."""
    return session.scalars(select(Variant.id).where(Variant.sku == sku)).first() is not None


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
            position=max((p.position for p in product.photos), default=-1) + 1,
        )
        session.add(photo)
        session.flush()
    except Exception:
        delete_image(stored.key, media_root)
        raise
    return photo


# --- the owner's product screens (admin/products.py) ---------------------------------------------


def products_for_admin(session: Session, status: str | None = None, query: str = "") -> list[Product]:
    """Products with variants and photos, by title: of one status if given (else all but archived),
    whose title or SKU holds `query` (any case)."""
    stmt = select(Product).options(*LISTING_OPTIONS).order_by(Product.title, Product.id)
    stmt = stmt.where(Product.status == status) if status else stmt.where(Product.status != ARCHIVED)
    folded = fold_for_search(" ".join(search_terms(query)))
    if folded:
        sku = select(Variant.product_id).where(func.lower(Variant.sku).like(like_pattern(folded), escape="\\"))
        stmt = stmt.where(or_(Product.search_text.like(like_pattern(folded), escape="\\"), Product.id.in_(sku)))
    return list(session.scalars(stmt))


def status_counts(session: Session) -> dict[str, int]:
    """How many products each status has (for the admin list's filters)."""
    rows = session.execute(select(Product.status, func.count()).group_by(Product.status))
    return {status: count for status, count in rows}


def product_publish_check(product: Product) -> PublishCheck:
    """What the product still needs before it can be published (see rules.publish_check)."""
    return publish_check(product.price, [v.available for v in product.active_variants], len(product.photos))


def lock_product(session: Session, product: Product) -> Product:
    """Lock the product's row for this transaction and read it (and its photos and variants) afresh.

    Publishing checks photos and variants, and removing a photo or archiving a variant re-checks
    them: under the same lock, neither can commit between the other's check and its write.
    PostgreSQL: SELECT ... FOR UPDATE. SQLite needs none: BEGIN IMMEDIATE already runs writers
    one after the other.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.refresh(product, with_for_update=True)
    return product


def draft_if_unready(session: Session, product: Product) -> PublishCheck | None:
    """A published product that lost what publishing requires (its last photo, its last active
    variant) goes back to draft, unseen by shoppers; returns the check naming what is missing
    then, else None. Called under lock_product, in the transaction that made the change."""
    if product.status != PUBLISHED:
        return None
    check = product_publish_check(product)
    if check.ready:
        return None
    product.status = DRAFT
    session.flush()
    return check


def publish(session: Session, product: Product) -> Product:
    """Put a draft on sale, or Invalid naming what it misses (nothing changes then); an archived
    product is refused (Conflict): it is restored as a draft first.

    The status change bumps the catalog generation (catalog.generation watches Product rows),
    so cached shopper pages show it at once.
    """
    lock_product(session, product)
    if product.status == ARCHIVED:
        raise Conflict(N_("This product is archived. Restore it as a draft first."))
    check = product_publish_check(product)
    if not check.ready:
        raise NotReady(check)
    product.status = PUBLISHED
    session.flush()
    return product


def unpublish(session: Session, product: Product) -> Product:
    """Take a product off sale, back to draft (and out of every cached shopper page)."""
    product.status = DRAFT
    session.flush()
    return product


def product_by_id(session: Session, product_id: int) -> Product | None:
    """A product, archived or not, or None."""
    return session.get(Product, product_id)


def set_archived(session: Session, product: Product, archived: bool) -> Product:
    """Archive (hide from shoppers) or restore a product as a draft (to be checked and published
    again); orders keep their own copies of it."""
    product.status = ARCHIVED if archived else DRAFT
    session.flush()
    return product


def variant_by_id(session: Session, variant_id: int) -> Variant | None:
    """A variant, or None."""
    return session.get(Variant, variant_id)


def save_variant(
    session: Session,
    variant: Variant,
    *,
    name: str,
    price_override: int | None,
    low_stock_threshold: int,
    archived: bool,
) -> PublishCheck | None:
    """Rename, re-price, re-threshold or archive a variant (its stock changes only through the ledger).

    Archiving the last active variant of a published product puts it back to draft: returns the
    check naming what it misses then (see draft_if_unready), else None.
    """
    lock_product(session, variant.product)
    variant.name = name
    variant.price_override = price_override
    variant.low_stock_threshold = low_stock_threshold
    variant.archived = archived
    session.flush()
    return draft_if_unready(session, variant.product)


def photo_by_id(session: Session, photo_id: int) -> Photo | None:
    """A product photo, or None."""
    return session.get(Photo, photo_id)


def move_photo(session: Session, photo: Photo, step: int) -> Photo:
    """Move a photo one place earlier (step -1) or later (+1) among its product's photos.

    The first photo is the main one (cards, link previews). Positions are renumbered 0..n-1, so
    photos that share a position (older rows) get a definite order too. At either end: no change.
    """
    photos = list(photo.product.photos)
    here = photos.index(photo)
    there = here + (1 if step > 0 else -1)
    if 0 <= there < len(photos):
        photos[here], photos[there] = photos[there], photos[here]
    for position, each in enumerate(photos):
        each.position = position
    session.flush()
    return photo


@dataclass(frozen=True)
class RemovedPhoto:
    """A removed photo's file key (the caller deletes the files once the removal commits), and the
    publish check when removing it put its product back to draft."""

    key: str
    drafted: PublishCheck | None


def remove_photo(session: Session, photo: Photo) -> RemovedPhoto:
    """Remove a photo's row; a published product left without a photo goes back to draft."""
    product = lock_product(session, photo.product)
    key = photo.key
    product.photos.remove(photo)  # delete-orphan: the row goes at the flush
    session.flush()
    return RemovedPhoto(key, draft_if_unready(session, product))


@dataclass
class Suggestions:
    """What a search that found nothing offers instead: the nearest category by name, and some to browse."""

    nearest: Category | None
    browse: list[Category]


def search_suggestions(session: Session, query: str, limit: int = 12) -> Suggestions:
    """Categories to offer after an empty search; `nearest` when the query (or a word of it) is close to a name.

    Only categories with at least one published product: a suggestion never leads to an empty shelf.

    difflib over a few dozen short names costs microseconds; only searches that found nothing ask.
    """
    stocked = select(Product.id).where(Product.category_id == Category.id, Product.published).exists()
    browse = list(session.scalars(select(Category).where(stocked).order_by(Category.position, Category.name)))
    names = {fold_for_search(c.name): c for c in browse}
    best, best_ratio = None, 0.0
    for word in [query, *search_terms(query)]:
        folded = fold_for_search(word)
        for match in difflib.get_close_matches(folded, names, n=1, cutoff=NEAREST_CUTOFF):
            ratio = difflib.SequenceMatcher(None, folded, match).ratio()
            if ratio > best_ratio:
                best, best_ratio = names[match], ratio
    return Suggestions(nearest=best, browse=browse[:limit])
