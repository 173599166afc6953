"""Orders, their lines (a snapshot of what was bought and at what price) and status history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class Order(Base):
    """A placed order. Shoppers reach it only by `token`; `reference` is what people read out."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        # A discount code's amount (promotions): kept explicitly, and the total always explains it.
        CheckConstraint("discount >= 0 AND total = subtotal + shipping - discount", name="total_is_explained"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_phone", "phone"),  # "N open orders from this phone", the per-phone limit
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    checkout_key: Mapped[str] = mapped_column(String(64), unique=True)  # one order per form
    status: Mapped[str] = mapped_column(String(24), default="placed")
    customer_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(24))
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(
        String(16), default="", server_default=""
    )  # the shopper's language: their messages'
    delivery_method: Mapped[str] = mapped_column(String(16))
    street: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    payment_method: Mapped[str] = mapped_column(String(16))  # rules.PaymentMethod
    hold_expires_at: Mapped[datetime | None] = mapped_column()  # card and transfer orders: stock held until then
    # HMAC of the client's network address (limit_rules.client_hash), never the address itself:
    # it only counts open cash orders per address.
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    shipping: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )

    @property
    def item_count(self) -> int:
        """Units in the order."""
        return sum(line.quantity for line in self.lines)


class OrderLine(Base):
    """What was bought, frozen at order time (later price or name changes do not touch it)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunded_within_quantity"),
        # Who bought a product (segments): from the product's variants to their lines.
        Index("ix_order_lines_variant_id", "variant_id"),
        CheckConstraint("discount >= 0", name="discount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))
    product_slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    variant_name: Mapped[str] = mapped_column(String(120), default="")
    sku: Mapped[str] = mapped_column(String(64))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    # Units given back with their money (an accepted return, refunded): what can no longer be reviewed.
    refunded_quantity: Mapped[int] = mapped_column(default=0, server_default="0")
    # This line's share of the order's discount, allocated once at checkout (the shares sum to it).
    discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def total(self) -> int:
        """Line total in minor units, before any discount."""
        return self.unit_price * self.quantity

    @property
    def paid_total(self) -> int:
        """What the shopper paid for the line: its total less its share of the discount."""
        return self.unit_price * self.quantity - self.discount

    def paid_for(self, units: int) -> int:
        """What `units` of this line cost after its discount (the last unit takes the remainder)."""
        units = max(0, min(units, self.quantity))
        if units == self.quantity:
            return self.paid_total
        return self.unit_price * units - (self.discount * units) // self.quantity


class OrderStatusChange(Base):
    """One step of an order's history: the timeline the shopper and the owner see."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="history")
    user = relationship("User")


class OrderLimitSettings(Base):
    """The owner's hoarding limits (one row; until saved, the config defaults apply)."""

    __tablename__ = "order_limits"
    __table_args__ = (
        CheckConstraint(
            "max_units_per_order >= 0 AND max_open_per_phone >= 0 AND max_open_per_address >= 0 "
            "AND release_after_hours >= 0",
            name="limits_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    max_units_per_order: Mapped[int]
    max_open_per_phone: Mapped[int]
    max_open_per_address: Mapped[int]
    release_after_hours: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
