"""Store tables: stores, the customer-to-store binding, each order's store, revenue-share settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class Store(Base):
    """A physical store (own shop, agent or franchisee): where customers are bound and may pick up."""

    __tablename__ = "stores"
    __table_args__ = (
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude_range"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude_range"),
        Index("ix_stores_active_latitude", "active", "latitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    pickup: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerStore(Base):
    """A customer's store, kept from the first binding on (rules.customer_key names the customer)."""

    __tablename__ = "customer_stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(260), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="order")  # order | pickup | location | choice
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)

    store: Mapped[Store] = relationship()


class OrderStore(Base):
    """The store an order counts for (its pickup store, else the customer's bound store)."""

    __tablename__ = "order_stores"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # pickup | bound
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    store: Mapped[Store] = relationship()


class RevenueShare(Base):
    """The owner's revenue-share percentages (one row): the bound store's and the seller's share."""

    __tablename__ = "revenue_share"
    __table_args__ = (
        CheckConstraint("store_bp >= 0 AND seller_bp >= 0 AND store_bp + seller_bp <= 10000", name="shares_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_bp: Mapped[int] = mapped_column(default=0)
    seller_bp: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
