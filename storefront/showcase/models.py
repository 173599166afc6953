"""A seller's picks for their page, and collections (a seller's or the shop's) of products in order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Product
from ..clock import utcnow
from ..db import Base
from ..sellers.models import Seller


class SellerPick(Base):
    """A product a seller shows on their page, at `position` (0 first)."""

    __tablename__ = "seller_picks"
    __table_args__ = (Index("ix_seller_picks_seller_position", "seller_id", "position"),)

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()


class Collection(Base):
    """A named, ordered list of products shared as one link: /collections/<slug>.

    A seller's collection (seller_id set) attributes orders to them like their other links; the
    shop's own (seller_id NULL) is made by the owner. `hidden` is the owner's switch: a hidden
    collection answers 404 to shoppers and keeps its products for its maker.
    """

    __tablename__ = "collections"
    __table_args__ = (
        CheckConstraint("length(title) >= 1", name="title_not_empty"),
        Index("ix_collections_seller_position", "seller_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)  # among its maker's collections, 0 first
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # any change, items included

    seller: Mapped[Seller | None] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="CollectionItem.position"
    )


class CollectionItem(Base):
    """A product in a collection, at `position` (0 first)."""

    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[Collection] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
