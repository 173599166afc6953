"""What shopper pages show of a running sale: the price, the struck regular one, the time left.

The helpers are template globals (product_sale, variant_sale) computed at the shop's clock when the
page renders. A page that shows a sale, or a product with an upcoming one, tells the page cache
until when it holds (core.pagecache.valid_until): the next start or end, or the instant its
"Ends in ..." text changes. So no cached page shows an ended sale or misses one that started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..clock import utcnow
from ..core.pagecache import valid_until
from . import sale_rules
from .models import Product, Variant


@dataclass(frozen=True)
class SaleBadge:
    """A running sale as shown: now `price`, was `regular`, ends at `ends_at`; time left in `unit`s."""

    price: int
    regular: int
    ends_at: datetime
    unit: str  # days, hours or minutes
    count: int


def note_boundaries(product: Product, now: datetime) -> None:
    """Tell the page cache when this product's shown price next changes (a sale starts or ends)."""
    if product.sales:
        boundary = sale_rules.next_boundary(product.sale_terms(), now)
        if boundary is not None:
            valid_until(boundary)


def _badge(price: int, regular: int, ends_at: datetime, now: datetime) -> SaleBadge:
    unit, count, text_until = sale_rules.time_left(ends_at, now)
    valid_until(text_until)
    return SaleBadge(price, regular, ends_at, unit, count)


def variant_sale(variant: Variant, now: datetime | None = None) -> SaleBadge | None:
    """The variant's running sale as shown, or None (noting its product's next boundary either way)."""
    now = utcnow() if now is None else now
    note_boundaries(variant.product, now)
    if not variant.product.sales:
        return None
    price, terms = sale_rules.effective_price(variant.regular_price, variant.id, variant.product.sale_terms(), now)
    if terms is None:
        return None
    return _badge(price, variant.regular_price, terms.ends_at, now)


def product_sale(product: Product, now: datetime | None = None) -> SaleBadge | None:
    """The product's running sale as a card shows it ("from" its lowest price), or None."""
    now = utcnow() if now is None else now
    note_boundaries(product, now)
    if not product.sales:
        return None
    low, regular_low = product.price_range_at(now)[0], product.regular_range[0]
    if low >= regular_low:
        return None  # its cheapest offer is not on sale: nothing to strike through
    terms = product.sale_terms()
    running = [t for t in terms if sale_rules.is_running(t.starts_at, t.ends_at, now)]
    return _badge(low, regular_low, min(t.ends_at for t in running), now)
