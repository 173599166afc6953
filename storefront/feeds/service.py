"""Feed use cases: the owner's links (make, revoke, list), a fetch by token, and the catalog read in batches.

Functions take a session (and `now` where they write), flush and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime

from sqlalchemy import Connection, exists, func, select, update
from sqlalchemy.orm import Session

from .. import jobs
from ..auth.rules import token_digest
from ..brand.service import load_brand
from ..catalog.models import Category, Photo, Product, Sale, Variant
from ..catalog.rules import PUBLISHED
from ..catalog.sale_rules import SaleTerms
from ..clock import utcnow
from ..domain import N_, NotFound
from .models import FeedLink
from .rules import REBUILD_JOB, TOKEN_RE, FeedSettings, PhotoRow, ProductRow, VariantRow, check_link, new_token

BATCH = 500  # products per read: three queries per batch, whatever the catalog's size


def create_link(session: Session, name: str, fmt: str, user_id: int | None, now: datetime) -> tuple[FeedLink, str]:
    """A new link and its raw token (shown once; only its digest is kept); Invalid for a refused name."""
    name, fmt = check_link(name, fmt)
    token = new_token()
    link = FeedLink(name=name, format=fmt, token_hash=token_digest(token), created_at=now, created_by=user_id)
    session.add(link)
    session.flush()
    # Build its feed now rather than at the job's next minute: the first fetch then finds a file.
    jobs.enqueue(session, REBUILD_JOB, {}, key=f"link:{link.id}", now=now)
    return link, token


def revoke_link(session: Session, link_id: int, now: datetime) -> FeedLink:
    """Revoke a link (its address answers 404 from now on); revoking twice keeps the first date."""
    link = session.get(FeedLink, link_id)
    if link is None:
        raise NotFound(N_("That feed link does not exist."))
    if link.revoked_at is None:
        link.revoked_at = now
        session.flush()
    return link


def all_links(session: Session) -> list[FeedLink]:
    """Every link, live ones first, newest first."""
    order = (FeedLink.revoked_at.is_not(None), FeedLink.created_at.desc(), FeedLink.id.desc())
    return list(session.scalars(select(FeedLink).order_by(*order)))


def live_formats(session: Session) -> list[str]:
    """The formats that have at least one unrevoked link (the ones worth building ahead), sorted."""
    stmt = select(FeedLink.format).where(FeedLink.revoked_at.is_(None)).distinct().order_by(FeedLink.format)
    return list(session.scalars(stmt))


def find_link(session: Session, link_id: int) -> FeedLink | None:
    """One link by id, or None."""
    return session.get(FeedLink, link_id)


def live_link(session: Session, token: str, fmt: str) -> FeedLink | None:
    """The unrevoked link of this token and format, or None (an odd-looking token costs no query)."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    stmt = select(FeedLink).where(
        FeedLink.token_hash == token_digest(token), FeedLink.format == fmt, FeedLink.revoked_at.is_(None)
    )
    return session.scalars(stmt).first()


def record_fetch(session: Session, link_id: int, now: datetime) -> None:
    """Count one fetch (an UPDATE in place: concurrent fetches never lose a count)."""
    session.execute(
        update(FeedLink)
        .where(FeedLink.id == link_id)
        .values(fetch_count=FeedLink.fetch_count + 1, last_fetched_at=now)
        .execution_options(synchronize_session=False)
    )


def feed_settings(session: Session, config: Mapping, base_url: str) -> FeedSettings:
    """What every item shares, from the settings and the brand in force."""
    brand = load_brand(session, config).name
    return FeedSettings(
        base_url=base_url,
        currency=config["SHOP_CURRENCY"],
        country=config["SHOP_COUNTRY"],
        shipping_fee=int(config["SHIPPING_FLAT_FEE"]),
        brand=brand,
        shop_name=brand or config["SHOP_NAME"],
    )


def left_out(session: Session) -> int:
    """Published products the feeds leave out: without a photo or without a variant on offer."""
    has_photo = exists().where(Photo.product_id == Product.id)
    has_variant = exists().where(Variant.product_id == Product.id, Variant.archived.is_(False))
    stmt = select(func.count(Product.id)).where(Product.status == PUBLISHED, ~(has_photo & has_variant))
    return session.scalar(stmt) or 0


def sales_phase(session: Session, now: datetime) -> str:
    """The last sale start and end passed at `now`, as text: part of a feed's key, so a feed built
    before a sale started or ended is never the current one after it (one small query)."""
    started = select(func.max(Sale.starts_at)).where(Sale.starts_at <= now).scalar_subquery()
    ended = select(func.max(Sale.ends_at)).where(Sale.ends_at <= now).scalar_subquery()
    first, last = session.execute(select(started, ended)).one()
    return ".".join(f"{t:%Y%m%d%H%M%S}" if t else "-" for t in (first, last))


def catalog_batches(
    session: Session, batch: int = BATCH, now: datetime | None = None
) -> Iterator[list[tuple[ProductRow, list, list]]]:
    """Published products with their offered variants and photos, `batch` products at a time, by id.

    One query for the categories and one for the published ids, then three a batch (products,
    their variants, their photos): the query count grows with products / batch, never with
    products (no N+1). Rows are read through the session's connection as plain Core rows: the
    ORM's row processing is a third of the read time and nothing here needs it.
    """
    conn = session.connection()
    categories = {i: n for i, n in conn.execute(select(Category.id, Category.name))}
    # The ids first, then each batch by primary key: "published and id > last ORDER BY id LIMIT n"
    # made SQLite scan the status index and sort every published row again for every batch.
    ids = list(conn.scalars(select(Product.id).where(Product.status == PUBLISHED).order_by(Product.id)))
    at = utcnow() if now is None else now
    for start in range(0, len(ids), batch):
        products = _products_in(conn, ids[start : start + batch], categories)
        chosen = [p.id for p in products]
        variants, photos, sales = _variants_of(conn, chosen), _photos_of(conn, chosen), _running_sales(conn, chosen, at)
        yield [(p._replace(sales=sales.get(p.id, ())), variants.get(p.id, []), photos.get(p.id, [])) for p in products]


def _running_sales(conn: Connection, product_ids: list[int], now: datetime) -> dict[int, tuple[SaleTerms, ...]]:
    """The sales of these products running at `now` (one query a batch)."""
    stmt = (
        select(Sale.product_id, Sale.kind, Sale.value, Sale.starts_at, Sale.ends_at, Sale.variant_id)
        .where(Sale.product_id.in_(product_ids), Sale.starts_at <= now, Sale.ends_at > now)
        .order_by(Sale.product_id, Sale.id)
    )
    found: dict[int, list[SaleTerms]] = defaultdict(list)
    for product_id, *values in conn.execute(stmt).all():
        found[product_id].append(SaleTerms(*values))
    return {k: tuple(v) for k, v in found.items()}


def _products_in(conn: Connection, ids: list[int], categories: dict[int, str]) -> list[ProductRow]:
    """These products, by id, still published (one unpublished since the ids were read drops out)."""
    stmt = (
        select(Product.id, Product.slug, Product.title, Product.description_html, Product.price, Product.category_id)
        .add_columns(Product.status)
        .where(Product.id.in_(ids))
        .order_by(Product.id)
    )
    return [
        ProductRow(id=i, slug=s, title=t, description_html=d or "", price=p, category=categories.get(c, ""))
        for i, s, t, d, p, c, status in conn.execute(stmt).all()
        if status == PUBLISHED
    ]


def _variants_of(conn: Connection, product_ids: list[int]) -> dict[int, list[VariantRow]]:
    """The offered variants of these products, in their display order."""
    stmt = (
        select(Variant.product_id, Variant.id, Variant.sku, Variant.name)
        .add_columns(Variant.price_override, Variant.on_hand, Variant.reserved)
        .where(Variant.product_id.in_(product_ids), Variant.archived.is_(False))
        .order_by(Variant.product_id, Variant.position, Variant.id)
    )
    found: dict[int, list[VariantRow]] = defaultdict(list)
    for product_id, *values in conn.execute(stmt).all():
        found[product_id].append(VariantRow(*values))
    return found


def _photos_of(conn: Connection, product_ids: list[int]) -> dict[int, list[PhotoRow]]:
    """The photos of these products, main photo first."""
    stmt = (
        select(Photo.product_id, Photo.key, Photo.widths)
        .where(Photo.product_id.in_(product_ids))
        .order_by(Photo.product_id, Photo.position, Photo.id)
    )
    found: dict[int, list[PhotoRow]] = defaultdict(list)
    for product_id, key, widths in conn.execute(stmt).all():
        found[product_id].append(PhotoRow(key, widths))
    return found
