"""Catalog models: categories, products, their variants (SKUs) and photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base
from . import sale_rules, search_index
from .rules import ARCHIVED, DRAFT, PUBLISHED, search_document


class Category(Base):
    """A shelf of the shop, reachable at /c/<slug>."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    products: Mapped[list[Product]] = relationship(back_populates="category")


def _search_text_default(context) -> str:
    """A new row's search text from its title and description, for inserts that do not set it."""
    row = context.get_current_parameters()
    return search_document(row.get("title"), row.get("description_md"))


class Product(Base):
    """Something the shop sells; priced and stocked per variant."""

    __tablename__ = "products"
    # One index per shopper listing, each led by `status` (shoppers only see status = 'published')
    # and ending in the listing's full sort order, so a page is read in order, never sorted.
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="product_status_known"),
        Index("ix_products_listing", "status", "category_id", "created_at", "id"),  # category, newest
        Index("ix_products_category_price", "status", "category_id", "price", "id"),  # category, by price
        Index("ix_products_home", "status", "featured", "created_at", "id"),  # home: featured, then newest
        Index("ix_products_newest", "status", "created_at", "id"),  # search results, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")  # sanitised at save time
    price: Mapped[int] = mapped_column(BigInteger)  # minor units of the shop currency; a variant may override it
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    featured: Mapped[bool] = mapped_column(default=False)
    # draft (the owner's, unseen by shoppers) -> published (on sale) -> archived (withdrawn); see
    # catalog.rules.PRODUCT_STATUSES. Published by default: imports, the demo and bulk inserts make
    # products on sale; only the owner's "New product" starts a draft.
    status: Mapped[str] = mapped_column(String(16), default=PUBLISHED, server_default=PUBLISHED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # rules.search_document(title, description_md), set by catalog.service.save_product; the
    # search index (search_index.py) is built over it.
    search_text: Mapped[str] = mapped_column(Text, default=_search_text_default, deferred=True)

    category: Mapped[Category | None] = relationship(back_populates="products")
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position, Variant.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[Photo]] = relationship(
        back_populates="product", order_by="Photo.position, Photo.id", cascade="all, delete-orphan"
    )
    video: Mapped[ProductVideo | None] = relationship(
        back_populates="product", uselist=False, cascade="all, delete-orphan"
    )
    # Its limited-time sales (catalog.sales), past ones included; shopper listings load them eagerly.
    sales: Mapped[list[Sale]] = relationship(
        back_populates="product", order_by="Sale.starts_at, Sale.id", cascade="all, delete-orphan"
    )

    @hybrid_property
    def published(self) -> bool:
        """True when shoppers may see and buy it (in SQL: `status = 'published'`)."""
        return self.status == PUBLISHED

    @hybrid_property
    def archived(self) -> bool:
        """True when withdrawn from sale (in SQL: `status = 'archived'`)."""
        return self.status == ARCHIVED

    @archived.inplace.setter
    def _archived_setter(self, value: bool) -> None:
        """Archive; un-archiving an archived product makes it a draft, as catalog.service.set_archived
        does: it goes on sale again only through publish's checks."""
        if value:
            self.status = ARCHIVED
        elif self.status == ARCHIVED:
            self.status = DRAFT

    @property
    def draft(self) -> bool:
        """True while the owner prepares it, unseen by shoppers."""
        return self.status == DRAFT

    @property
    def main_photo(self) -> Photo | None:
        """The first photo: the one cards and link previews show."""
        return self.photos[0] if self.photos else None

    @property
    def active_variants(self) -> list[Variant]:
        """Variants still offered to shoppers."""
        return [v for v in self.variants if not v.archived]

    # The two facts a product card shows, in Python: a Jinja filter chain per card cost more
    # than the rest of the card.
    @property
    def price_range(self) -> tuple[int, int]:
        """Lowest and highest unit price now of the offered variants (the product's price if none)."""
        return self.price_range_at(utcnow())

    def price_range_at(self, now: datetime) -> tuple[int, int]:
        """Lowest and highest unit price at `now` (sales applied) of the offered variants."""
        prices = [v.price_at(now) for v in self.active_variants] or [self.price]
        return min(prices), max(prices)

    @property
    def regular_range(self) -> tuple[int, int]:
        """Lowest and highest regular (not sale) price of the offered variants."""
        prices = [v.regular_price for v in self.active_variants] or [self.price]
        return min(prices), max(prices)

    def sale_terms(self) -> list[sale_rules.SaleTerms]:
        """Its sales as plain terms for the sale rules."""
        return [s.terms for s in self.sales]

    @property
    def sold_out(self) -> bool:
        """True when variants are offered and not one unit of any is left."""
        offered = self.active_variants
        return bool(offered) and not any(v.available for v in offered)


search_index.install(Product.__table__)


class Variant(Base):
    """One buyable SKU of a product (a size, a colour...). Stock lives here.

    Only storefront.inventory.service changes on_hand/reserved, and always through a
    conditional UPDATE; the CHECK constraints are the last line of defence.
    """

    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("price_override IS NULL OR price_override >= 0", name="price_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    price_override: Mapped[int | None] = mapped_column(BigInteger)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=3)
    position: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def regular_price(self) -> int:
        """The price of one unit without any sale, in minor units."""
        return self.product.price if self.price_override is None else self.price_override

    def price_at(self, now: datetime) -> int:
        """The price a shopper pays for one unit at `now`: the running sale's, else the regular one."""
        return sale_rules.effective_price(self.regular_price, self.id, self.product.sale_terms(), now)[0]

    def sale_at(self, now: datetime) -> sale_rules.SaleTerms | None:
        """The sale giving its price at `now`, if one runs."""
        return sale_rules.effective_price(self.regular_price, self.id, self.product.sale_terms(), now)[1]

    @property
    def unit_price(self) -> int:
        """The price a shopper pays for one unit now (price_at the shop's clock), in minor units."""
        return self.price_at(utcnow())

    @property
    def available(self) -> int:
        """Units that can still be sold."""
        return max(self.on_hand - self.reserved, 0)

    @property
    def label(self) -> str:
        """Product title plus variant name, for carts, orders and the ledger."""
        return f"{self.product.title} — {self.name}" if self.name else self.product.title


class Photo(Base):
    """A product photo; files are renditions `<key>-<width>.(webp|jpg)` in the media folder."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    widths: Mapped[str] = mapped_column(String(64))  # "320,640,1024"
    alt: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="photos")

    @property
    def width_list(self) -> list[int]:
        """Rendition widths, smallest first."""
        return [int(w) for w in self.widths.split(",") if w]


class CatalogGeneration(Base):
    """One row: the version of everything shopper pages show (see catalog.generation).

    `epoch` is random per row, so a re-created database never reuses the keys of pages that a
    shared cache (Redis) still holds from the old one; `value` goes up with every change.
    """

    __tablename__ = "catalog_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ProductVideo(Base):
    """A product's one short video: the file `<key>.<mp4|webm>` in the media folder (catalog.video)."""

    __tablename__ = "product_videos"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), unique=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    # The photo shown before the video plays; none (or a removed photo) means the product's first.
    poster_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="video")
    poster_photo: Mapped[Photo | None] = relationship()

    @property
    def file_name(self) -> str:
        """The file's name in the media folder and under /media/."""
        return f"{self.key}.{'webm' if self.content_type == 'video/webm' else 'mp4'}"

    @property
    def poster(self) -> Photo | None:
        """The photo to show before the video plays: the owner's pick, else the product's first."""
        if self.poster_photo is not None and self.poster_photo.product_id == self.product_id:
            return self.poster_photo
        return self.product.photos[0] if self.product.photos else None


class Sale(Base):
    """A limited-time sale price for a product (all its variants) or one of its variants (catalog.sales).

    kind "fixed": `value` is the sale price in minor units; "percent": `value` percent off. It runs
    from starts_at (inclusive) to ends_at (exclusive), naive UTC; ending it early moves ends_at.
    """

    __tablename__ = "sales"
    __table_args__ = (
        CheckConstraint("kind IN ('fixed', 'percent')", name="sale_kind_known"),
        CheckConstraint("value >= 0", name="sale_value_not_negative"),
        CheckConstraint("ends_at >= starts_at", name="sale_ends_after_start"),
        Index("ix_sales_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="sales")
    variant: Mapped[Variant | None] = relationship()

    @property
    def terms(self) -> sale_rules.SaleTerms:
        """The sale as plain terms for the sale rules."""
        return sale_rules.SaleTerms(self.kind, self.value, self.starts_at, self.ends_at, self.variant_id)
