"""Builders for seller tests: sellers, and orders made directly (never through orders.service)."""

from __future__ import annotations

import secrets
from datetime import datetime

from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.sellers import accounts
from storefront.sellers.models import Seller
from storefront.sellers.rules import Touch
from storefront.sellers.service import Attribution
from tests.builders import PASSWORD


def make_seller(
    code: str = "ANNA24",
    email: str | None = None,
    rate_bp: int = 1000,
    phone: str = "",
    active: bool = True,
    overrides: dict[int, int] | None = None,
) -> Seller:
    """A committed seller account with the shared test password."""
    seller, _password = accounts.create_seller(
        db.session,
        email=email or f"{code.lower()}@sellers.example",
        name=code.title(),
        phone=phone,
        password=PASSWORD,
        code=code,
        rate_bp=rate_bp,
        overrides=overrides or {},
        now=utcnow(),
    )
    seller.active = active
    db.session.commit()
    return seller


def make_order(
    lines: list[tuple[Product, int]],
    email: str = "buyer@example.com",
    phone: str = "+44 7700 900123",
    shipping: int = 500,
    created_at: datetime | None = None,
) -> Order:
    """A committed order with one line per (product, quantity), priced at the first variant."""
    order_lines = [
        OrderLine(
            variant_id=product.variants[0].id,
            product_slug=product.slug,
            title=product.title,
            variant_name=product.variants[0].name,
            sku=product.variants[0].sku,
            unit_price=product.variants[0].unit_price,
            quantity=quantity,
        )
        for product, quantity in lines
    ]
    subtotal = sum(line.unit_price * line.quantity for line in order_lines)
    order = Order(
        token=secrets.token_urlsafe(24),
        reference=secrets.token_hex(4).upper(),
        checkout_key=secrets.token_hex(16),
        status="placed",
        customer_name="Ada Buyer",
        phone=phone,
        email=email,
        delivery_method="delivery",
        payment_method="cash",
        currency="USD",
        subtotal=subtotal,
        shipping=shipping,
        total=subtotal + shipping,
        created_at=created_at or utcnow(),
        lines=order_lines,
    )
    db.session.add(order)
    db.session.commit()
    return order


def touched(*pairs: tuple[str, datetime], window_days: int = 30) -> Attribution:
    """An attribution from (code, when) pairs."""
    return Attribution(tuple(Touch(code, at) for code, at in pairs), window_days)
