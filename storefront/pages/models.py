"""The shop's pages: one row per page and language, the owner's text and its sanitised HTML."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class ShopPage(Base):
    """One of the shop's pages in one language ('' = the shop's default language)."""

    __tablename__ = "shop_pages"
    __table_args__ = (
        CheckConstraint(
            "slug IN ('about', 'shipping', 'returns', 'privacy', 'terms', 'contact')", name="shop_page_slug_known"
        ),
        UniqueConstraint("slug", "locale", name="uq_shop_pages_slug_locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16), default="")  # '' = SHOP_LOCALE, so a locale change keeps it
    title: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the owner's Markdown, as typed
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised at save time (catalog's cleaner)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
