"""Campaign tables: the campaign, its recipients (one per customer, each with a personal link token)
and the orders attributed to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class Campaign(Base):
    """An offer to a segment on one channel: texts per language, a landing page, an optional code."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("channel IN ('push', 'email', 'whatsapp')", name="campaign_channel_known"),
        CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", name="campaign_status_known"
        ),
        CheckConstraint("rate_per_minute > 0", name="campaign_rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))
    messages: Mapped[dict[str, Any]] = mapped_column(JSON)  # {locale: {"title": ..., "body": ...}}
    landing: Mapped[str] = mapped_column(String(300), default="/")  # a path of the shop
    code: Mapped[str] = mapped_column(String(40), default="")  # a discount code (promotions), as text
    scheduled_at: Mapped[datetime | None] = mapped_column()  # None: sent when the owner presses send
    rate_per_minute: Mapped[int] = mapped_column(default=60)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class CampaignRecipient(Base):
    """One customer a campaign went to (snapshot at its start), with their personal link token."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_recipients_campaign_customer"),
        CheckConstraint(
            "status IN ('pending', 'queued', 'skipped', 'exported', 'cancelled')", name="recipient_status_known"
        ),
        Index("ix_campaign_recipients_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    queued_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()  # queued for sending, or exported for WhatsApp
    opened_at: Mapped[datetime | None] = mapped_column()
    clicked_at: Mapped[datetime | None] = mapped_column()


class CampaignOrder(Base):
    """An order placed from a browser that followed a campaign's link (an order counts for one campaign)."""

    __tablename__ = "campaign_orders"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_recipients.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
