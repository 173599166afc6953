"""Discount codes, their scope (products, categories), redemptions and per-customer use counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class DiscountCode(Base):
    """A code the shopper types: what it takes off, when, how often, on what, and whose it is.

    `value` is basis points for a percent code (1000 = 10 %), minor units for a fixed one, and
    unused (0) for free delivery. `uses` counts live redemptions; it only ever moves through a
    conditional UPDATE (promotions.service), so `max_uses` holds under any concurrency.
    """

    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed', 'free_delivery')", name="kind_known"),
        CheckConstraint("value >= 0 AND min_subtotal >= 0 AND uses >= 0", name="amounts_not_negative"),
        CheckConstraint("kind != 'percent' OR value <= 10000", name="percent_at_most_100"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # upper-cased
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(String(200), default="")
    min_subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_per_customer: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    batch: Mapped[str] = mapped_column(String(40), default="", index=True)  # bulk single-use codes' label
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    products: Mapped[list[DiscountCodeProduct]] = relationship(cascade="all, delete-orphan")
    categories: Mapped[list[DiscountCodeCategory]] = relationship(cascade="all, delete-orphan")
    seller = relationship("Seller")


class DiscountCodeProduct(Base):
    """The code applies to this product (no scope rows at all: to everything)."""

    __tablename__ = "discount_code_products"

    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)


class DiscountCodeCategory(Base):
    """The code applies to products of this category."""

    __tablename__ = "discount_code_categories"

    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)


class Redemption(Base):
    """A code used by an order: what it took off; `released_at` once the use was given back."""

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_redemptions_code_customer", "code_id", "customer_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    customer_key: Mapped[str] = mapped_column(String(260))
    amount: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column()


class CustomerCodeUse(Base):
    """How many live uses of a code one customer has: the per-customer limit's counter row."""

    __tablename__ = "customer_code_uses"
    __table_args__ = (
        UniqueConstraint("code_id", "customer_key", name="uq_customer_code_uses_code_customer"),
        CheckConstraint("uses >= 0", name="uses_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"))
    customer_key: Mapped[str] = mapped_column(String(260))
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OrderDiscount(Base):
    """The discount an order got, as the shopper saw it: the code, its description and the amount."""

    __tablename__ = "order_discounts"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[int] = mapped_column(BigInteger)
