"""After-sales requests (returns, exchanges, problems), their lines, photos, thread, steps and settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class AftersalesRequest(Base):
    """A shopper's request about a delivered order; its status moves only through rules.TRANSITIONS."""

    __tablename__ = "aftersales_requests"
    __table_args__ = (
        CheckConstraint("refund_amount >= 0", name="refund_not_negative"),
        Index("ix_aftersales_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # rules.Kind
    status: Mapped[str] = mapped_column(String(16), default="requested")  # rules.Status
    reason: Mapped[str] = mapped_column(String(24))  # rules.REASONS key
    details: Mapped[str] = mapped_column(Text, default="")  # the shopper's own words
    refusal: Mapped[str] = mapped_column(String(300), default="")  # why staff said no (shown to the shopper)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Money given back for this request (booked once, under refund_key), in the order's currency.
    refund_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refund_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    replacement_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))

    order = relationship("Order", foreign_keys=[order_id])
    replacement_order = relationship("Order", foreign_keys=[replacement_order_id])
    lines: Mapped[list[RequestLine]] = relationship(
        back_populates="request", order_by="RequestLine.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[RequestPhoto]] = relationship(
        back_populates="request", order_by="RequestPhoto.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", order_by="RequestMessage.id", cascade="all, delete-orphan"
    )
    steps: Mapped[list[RequestStep]] = relationship(
        back_populates="request", order_by="RequestStep.id", cascade="all, delete-orphan"
    )


class RequestLine(Base):
    """Units of one order line the request is about (and, for an exchange, the variant wanted instead)."""

    __tablename__ = "aftersales_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aftersales_requests.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]
    exchange_variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))

    request: Mapped[AftersalesRequest] = relationship(back_populates="lines")
    order_line = relationship("OrderLine")
    exchange_variant = relationship("Variant")


class RequestPhoto(Base):
    """A photo the shopper sent (stored like a product photo: catalog.images.store_upload)."""

    __tablename__ = "aftersales_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aftersales_requests.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]  # the widest rendition stored

    request: Mapped[AftersalesRequest] = relationship(back_populates="photos")


class RequestMessage(Base):
    """One message of the request's thread, from the customer or the staff."""

    __tablename__ = "aftersales_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aftersales_requests.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # "customer" | "staff"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AftersalesRequest] = relationship(back_populates="messages")


class RequestStep(Base):
    """One step of a request's life (who, when, from what to what): the timeline both sides see."""

    __tablename__ = "aftersales_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aftersales_requests.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(16))  # "customer" | "staff"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AftersalesRequest] = relationship(back_populates="steps")


class AftersalesSettings(Base):
    """The owner's return window (one row; until saved, rules.DEFAULT_WINDOW_DAYS applies)."""

    __tablename__ = "aftersales_settings"
    __table_args__ = (CheckConstraint("return_window_days >= 0", name="window_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_window_days: Mapped[int] = mapped_column(default=14)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
