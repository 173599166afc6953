"""A review of one bought order line (stars, text, photos), its moderation state and the owner's reply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class Review(Base):
    """One review per order line (the UNIQUE line id settles concurrent submissions: one wins)."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint("status IN ('pending', 'published', 'hidden')", name="status_known"),
        CheckConstraint("photo_count >= 0 AND photo_count <= 3", name="photo_count_range"),
        # The product page: its published reviews, newest first (and their averages).
        Index("ix_reviews_product_status_published", "product_id", "status", "published_at"),
        # The moderation queue: by status, newest first.
        Index("ix_reviews_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    rating: Mapped[int]
    body: Mapped[str] = mapped_column(Text, default="")
    # First name and initial from the order's name, never its phone or email ("" shows "A shopper").
    author_name: Mapped[str] = mapped_column(String(60), default="")
    locale: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # rules.ReviewStatus
    photo_count: Mapped[int] = mapped_column(default=0)  # kept here for "with photos first" without a join
    reply: Mapped[str] = mapped_column(Text, default="")  # the owner's public answer
    replied_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos: Mapped[list[ReviewPhoto]] = relationship(
        back_populates="review", order_by="ReviewPhoto.position", cascade="all, delete-orphan"
    )
    product = relationship("Product")
    line = relationship("OrderLine")


class ReviewPhoto(Base):
    """A shopper's photo on a review: renditions `<key>-<width>.(webp|jpg)` in the media folder, like product photos."""

    __tablename__ = "review_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    widths: Mapped[str] = mapped_column(String(64))  # "320,640,1024"
    position: Mapped[int] = mapped_column(default=0)

    review: Mapped[Review] = relationship(back_populates="photos")

    @property
    def width_list(self) -> list[int]:
        """Rendition widths, smallest first."""
        return [int(w) for w in self.widths.split(",") if w]

    @property
    def alt(self) -> str:
        """Shopper photos have no description of their own: the template labels them."""
        return ""
