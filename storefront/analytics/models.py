"""Behaviour logging tables: the append-only `events` log and the daily visitor-id salts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class Event(Base):
    """One shopper event (from the beacon) or server event (purchase); rows are never updated.

    There is no raw IP and no cart token here: `visitor_id` is a salted daily hash and
    `cart_hash` a hash of the cart token. Reports read rollups, so indexes serve time-range
    scans only: on PostgreSQL `created_at` gets a BRIN index (tiny, and rows arrive in time
    order); SQLite builds an ordinary index from the same declaration.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_created_at", "created_at", postgresql_using="brin"),
        Index("ix_events_name_created_at", "name", "created_at"),
        Index("ix_events_product_slug_created_at", "product_slug", "created_at"),
    )

    # SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT there would stay NULL.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # server time, never the client's
    name: Mapped[str] = mapped_column(String(24))
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    session_id: Mapped[str | None] = mapped_column(String(32))
    cart_hash: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[str | None] = mapped_column(String(300))
    product_slug: Mapped[str | None] = mapped_column(String(120))
    variant_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[int | None] = mapped_column(BigInteger)  # minor units of `currency`
    currency: Mapped[str | None] = mapped_column(String(3))
    dwell_ms: Mapped[int | None] = mapped_column(Integer)
    scroll_pct: Mapped[int | None] = mapped_column(SmallInteger)
    query: Mapped[str | None] = mapped_column(String(100))
    list_name: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(16))
    referrer_host: Mapped[str | None] = mapped_column(String(253))
    ref: Mapped[str | None] = mapped_column(String(32))
    utm_source: Mapped[str | None] = mapped_column(String(80))
    utm_medium: Mapped[str | None] = mapped_column(String(80))
    utm_campaign: Mapped[str | None] = mapped_column(String(80))
    # Server-side purchase/refund only. No foreign key: the log never locks or checks orders.
    order_id: Mapped[int | None] = mapped_column(Integer)


class VisitorSalt(Base):
    """The secret salt of one day's visitor ids; deleted after two days so ids cannot be re-linked."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
