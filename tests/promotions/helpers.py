"""Builders for discount-code tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.promotions.models import DiscountCode, DiscountCodeCategory, DiscountCodeProduct


def make_code(
    code: str = "SAVE10",
    kind: str = "percent",
    value: int = 1000,
    *,
    min_subtotal: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_uses: int | None = None,
    max_per_customer: int | None = None,
    products: tuple[int, ...] = (),
    categories: tuple[int, ...] = (),
    seller_id: int | None = None,
    description: str = "",
    active: bool = True,
) -> int:
    """A committed discount code (started a day ago unless told); returns its id."""
    row = DiscountCode(
        code=code,
        kind=kind,
        value=value,
        description=description,
        min_subtotal=min_subtotal,
        starts_at=starts_at or utcnow() - timedelta(days=1),
        ends_at=ends_at,
        max_uses=max_uses,
        max_per_customer=max_per_customer,
        seller_id=seller_id,
        active=active,
        products=[DiscountCodeProduct(product_id=p) for p in products],
        categories=[DiscountCodeCategory(category_id=c) for c in categories],
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def apply_code(shop, code: str, next_url: str = "/cart"):
    """Type a code into the cart's form."""
    return shop.post("/cart/code", {"code": code, "next": next_url})
