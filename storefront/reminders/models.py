"""The owner's reminder settings (one row) and the log of every reminder queued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class ReminderSettings(Base):
    """Which reminders run and how (one row; until saved, rules.DEFAULTS apply)."""

    __tablename__ = "reminder_settings"
    __table_args__ = (
        CheckConstraint("cart_hours >= 1 AND cart_hours <= 720", name="cart_hours_range"),
        CheckConstraint("lapse_factor_pct >= 100 AND lapse_factor_pct <= 1000", name="lapse_factor_range"),
        CheckConstraint("lapse_min_days >= 1 AND lapse_min_days <= 3650", name="lapse_min_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_on: Mapped[bool] = mapped_column(default=False)
    stock_on: Mapped[bool] = mapped_column(default=True, server_default=true())  # back-in-stock form and answers
    cart_hours: Mapped[int] = mapped_column(default=4)  # a cart untouched this long is "waiting"
    lapse_on: Mapped[bool] = mapped_column(default=False)
    lapse_factor_pct: Mapped[int] = mapped_column(default=150)  # their usual interval x 1.5 (integer maths)
    lapse_min_days: Mapped[int] = mapped_column(default=60)  # one-order customers, and the floor for all
    lapse_code: Mapped[str] = mapped_column(String(40), default="")  # shown in the lapse reminder when set
    push_on: Mapped[bool] = mapped_column(default=True)
    email_on: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReminderMessage(Base):
    """One reminder queued to one customer on one channel (the report counts these).

    (key, channel) is unique: the cart or lapse a reminder is about is reminded once per channel,
    whatever runs twice. `key` is also the send log's event key (notifications.event_key).
    """

    __tablename__ = "reminder_messages"
    __table_args__ = (
        UniqueConstraint("key", "channel", name="uq_reminder_messages_key_channel"),
        CheckConstraint("kind IN ('cart', 'lapse')", name="kind_known"),
        Index("ix_reminder_messages_queued_at", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(120))  # "cart:<id>" or "lapse:<customer id>:<last order date>"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
