"""Limited-time sales, the use-cases: create, end and list sales; what a price shows while one runs.

Where the price lives: Variant.price_at(now) (catalog.models) applies sale_rules.effective_price to
its product's sales, and everything that charges or shows a price goes through it: the cart's lines
(cart.service.cart_items), the order's snapshot (orders.service prices the cart at its `now`), the
product page, cards, structured data and feeds. Overlapping sales on one variant are refused here,
under a lock of the product row, so the lowest-wins rule of effective_price is only a safety net.

Cached pages: a page that shows a product with sales is stale at the next sale boundary (or when
its "Ends in ..." text changes); see sale_display and core.pagecache.valid_until.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..domain import N_, Invalid, NotFound
from . import sale_rules
from .models import Product, Sale, Variant
from .sale_rules import SaleTerms

RUNNING, UPCOMING, ENDED = "running", "upcoming", "ended"
STATES = (RUNNING, UPCOMING, ENDED)


def state_of(sale: Sale, now: datetime) -> str:
    """running, upcoming or ended at `now` (a sale called off before its start is ended)."""
    if now >= sale.ends_at or sale.ends_at <= sale.starts_at:
        return ENDED
    return RUNNING if now >= sale.starts_at else UPCOMING


def _locked_product(session: Session, product_id: int) -> Product:
    """The product, its row locked (PostgreSQL) so two owners' overlapping sales take turns."""
    product = session.scalars(
        select(Product).where(Product.id == product_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if product is None:
        raise NotFound(N_("That product does not exist."))
    return product


def create_sale(session: Session, product_id: int, terms: SaleTerms, now: datetime) -> Sale:
    """Put a product (or one of its variants) on sale; refuses a bad sale or one overlapping another."""
    product = _locked_product(session, product_id)
    offered = product.active_variants
    if terms.variant_id is not None:
        offered = [v for v in product.variants if v.id == terms.variant_id and not v.archived]
        if not offered:
            raise Invalid(N_("Choose one of this product's variants."))
    regular = [v.regular_price for v in offered] or [product.price]
    sale_rules.validate(terms, regular, now)
    clash = next((s for s in product.sales if now < s.ends_at and sale_rules.overlaps(s.terms, terms)), None)
    if clash is not None:
        raise Invalid(N_("Another sale of this product runs at the same time: end it first or choose other dates."))
    sale = Sale(
        product=product,
        variant_id=terms.variant_id,
        kind=terms.kind,
        value=terms.value,
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        created_at=now,
    )
    session.add(sale)
    session.flush()
    return sale


def end_sale(session: Session, sale_id: int, now: datetime) -> Sale:
    """End a sale now (an upcoming one never runs); ending an ended sale changes nothing."""
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(N_("That sale does not exist."))
    if now < sale.ends_at:
        sale.ends_at = max(now, sale.starts_at)  # an upcoming sale ends at its start: it never runs
        session.flush()
    return sale


@dataclass(frozen=True)
class SaleRow:
    """A sale as the owner's list shows it: its product, variant, prices and state."""

    sale: Sale
    state: str
    regular: int
    price: int


def sales_for_admin(session: Session, now: datetime, state: str | None = None) -> list[SaleRow]:
    """Every sale with its state at `now`, running first, then upcoming, then the latest ended (at most 200)."""
    stmt = select(Sale).options(joinedload(Sale.product).selectinload(Product.variants), joinedload(Sale.variant))
    if state == RUNNING:
        stmt = stmt.where(Sale.starts_at <= now, Sale.ends_at > now)
    elif state == UPCOMING:
        stmt = stmt.where(Sale.starts_at > now, Sale.ends_at > Sale.starts_at)
    elif state == ENDED:
        stmt = stmt.where((Sale.ends_at <= now) | (Sale.ends_at <= Sale.starts_at))
    sales = session.scalars(stmt.order_by(Sale.ends_at.desc(), Sale.id.desc()).limit(200)).unique().all()
    rows = [_row(s, now) for s in sales]
    order = {RUNNING: 0, UPCOMING: 1, ENDED: 2}
    return sorted(rows, key=lambda r: (order[r.state], r.sale.ends_at if r.state != ENDED else -r.sale.id))


def _row(sale: Sale, now: datetime) -> SaleRow:
    regular = _regular_of(sale)
    return SaleRow(sale, state_of(sale, now), regular, sale_rules.sale_price(regular, sale.kind, sale.value))


def _regular_of(sale: Sale) -> int:
    """The regular price the sale is taken off (the lowest of the product's offered variants)."""
    if sale.variant is not None:
        return sale.variant.regular_price
    return sale.product.regular_range[0]


def sales_of_product(session: Session, product: Product, now: datetime) -> list[SaleRow]:
    """A product's running and upcoming sales, then its last few ended ones, for its edit page."""
    rows = [_row(s, now) for s in product.sales]
    live = [r for r in rows if r.state != ENDED]
    ended = sorted((r for r in rows if r.state == ENDED), key=lambda r: r.sale.ends_at, reverse=True)[:5]
    return live + ended


def variant_of(product: Product, variant_id: int | None) -> Variant | None:
    """One of the product's variants by id, or None."""
    return next((v for v in product.variants if v.id == variant_id), None)
