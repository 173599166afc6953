"""Feed links: the private, revocable addresses Google and Meta fetch the product feeds from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class FeedLink(Base):
    """One feed address given to one catalogue service; revoking it makes the address answer 404.

    Only the SHA-256 of the random token is stored (like sign-in tokens): the address is shown once,
    when the link is made, and a leaked table opens no feed.
    """

    __tablename__ = "feed_links"
    __table_args__ = (CheckConstraint("format IN ('google', 'meta')", name="feed_format_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    format: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    fetch_count: Mapped[int] = mapped_column(default=0, server_default="0")
