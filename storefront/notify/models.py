"""Notification tables: push subscriptions, back-in-stock watches, staff alert choices, email
preferences, and the send log (one row per message to one recipient on one channel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class PushSubscription(Base):
    """One browser's push endpoint, for exactly one owner: an order, a back-in-stock watch or an account.

    The same browser may follow several orders: one row each. A 404 or 410 from the push service
    deletes every row of that endpoint (the browser dropped it); deleting the owner deletes its rows.
    """

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN order_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN watch_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        UniqueConstraint("order_id", "endpoint", name="uq_push_subscriptions_order_endpoint"),
        UniqueConstraint("watch_id", "endpoint", name="uq_push_subscriptions_watch_endpoint"),
        UniqueConstraint("user_id", "endpoint", name="uq_push_subscriptions_user_endpoint"),
        Index("ix_push_subscriptions_endpoint_hash", "endpoint_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(1000))
    endpoint_hash: Mapped[str] = mapped_column(String(64))  # SHA-256: endpoints are long, the index short
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    watch_id: Mapped[int | None] = mapped_column(ForeignKey("stock_watches.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockWatch(Base):
    """A shopper's "tell me when it's back" for one sold-out variant, by email and/or push, no account needed.

    `notified_at` is set in the transaction that queues the message, so a watch is answered once,
    however often the stock moves afterwards. `token` is the shopper's only handle on it (its page,
    cancelling it, binding a push subscription).
    """

    __tablename__ = "stock_watches"
    __table_args__ = (Index("ix_stock_watches_variant_pending", "variant_id", "notified_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class AlertChoice(Base):
    """What one staff member or seller wants to be told, and whether by email as well as push.

    No row means the defaults of their role (rules.default_alerts).
    """

    __tablename__ = "alert_choices"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kinds: Mapped[list[str]] = mapped_column(JSON)  # rules.Alert values
    by_email: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailPreference(Base):
    """A shopper's email choices, by address (no account): order news, and everything else.

    No row means both are on. The one-click unsubscribe turns `other_news` off.
    """

    __tablename__ = "email_preferences"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)  # lower-cased
    order_news: Mapped[bool] = mapped_column(default=True)
    other_news: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """The send log: one message to one recipient on one channel.

    (event_key, channel, recipient) is unique: an event redelivered ten times still writes one row,
    so the message is sent once. The rendered title and body are kept for the owner to read for
    NOTIFY_BODY_KEEP_DAYS, then blanked; the row itself is purged after NOTIFY_LOG_KEEP_DAYS.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", "recipient", name="uq_notifications_event_channel_recipient"),
        CheckConstraint("channel IN ('push', 'email')", name="channel_known"),
        CheckConstraint("status IN ('queued', 'sent', 'failed', 'gone', 'skipped')", name="status_known"),
        Index("ix_notifications_created", "created_at"),
        Index("ix_notifications_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(120))  # e.g. "order:42:shipped", "watch:7", "alert:new-order:42"
    kind: Mapped[str] = mapped_column(String(32))  # rules.Kind
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(300))  # "push:<subscription id>" or "email:<address>"
    # No foreign key: a dead subscription is deleted, its log rows stay.
    subscription_id: Mapped[int | None] = mapped_column()
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(16), default="")
    context: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the message is rendered from (ids, figures)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    detail: Mapped[str] = mapped_column(String(300), default="")  # the provider's answer, or why it was skipped
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
