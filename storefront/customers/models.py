"""A customer (one per phone, else email), their orders, tags, and the log of their marketing consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base

CONSENT_CHANNELS = ("email", "push", "whatsapp")  # marketing channels a customer can opt in to


class Customer(Base):
    """Someone who ordered: `key` is stores.rules.customer_key ("tel:<digits>" or "email:<address>").

    The figures (orders, spend, first/last order, RFM segment) are kept by the customers service
    from the orders; the `marketing_*` flags are the current state of the consent log below.
    """

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("orders_count >= 0 AND spend >= 0", name="figures_not_negative"),
        Index("ix_customers_last_order_at", "last_order_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(260), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(24), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    locale: Mapped[str] = mapped_column(String(16), default="")  # their last order's language
    first_order_at: Mapped[datetime | None] = mapped_column()
    last_order_at: Mapped[datetime | None] = mapped_column()
    orders_count: Mapped[int] = mapped_column(default=0)  # sale orders (paid or cash, not cancelled)
    spend: Mapped[int] = mapped_column(BigInteger, default=0)  # their sale orders' totals less refunds, minor units
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"), index=True)
    rfm_segment: Mapped[str] = mapped_column(String(24), default="", index=True)  # reports' RFM names
    rfm_at: Mapped[datetime | None] = mapped_column()
    marketing_email: Mapped[bool] = mapped_column(default=False)
    marketing_push: Mapped[bool] = mapped_column(default=False)
    marketing_whatsapp: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")  # the owner's private notes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CustomerOrder(Base):
    """Which customer placed an order (written when the order is placed; orders stay unaware)."""

    __tablename__ = "customer_orders"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)


class CustomerTag(Base):
    """A tag the owner put on a customer ("wholesale", "vip" ...)."""

    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ConsentEvent(Base):
    """One opt-in or opt-out of marketing on one channel, with when, where from and why."""

    __tablename__ = "consent_events"
    __table_args__ = (CheckConstraint("channel IN ('email', 'push', 'whatsapp')", name="consent_channel_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column()
    source: Mapped[str] = mapped_column(String(24))  # checkout | watch | optout | admin ...
    detail: Mapped[str] = mapped_column(String(120), default="")  # e.g. the campaign an opt-out came from
    at: Mapped[datetime] = mapped_column(default=utcnow)
