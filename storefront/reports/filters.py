"""The report filter: one product, one category or one seller, carried as ?filter=product:12.

A Scope says which orders and which sessions a filtered report counts (service.py and
filtered.py apply it):
- orders: sale orders containing the product / a product of the category (their revenue is the
  matching lines' amounts, no shipping), or attributed to the seller (commission_entries, whole
  order totals);
- behaviour: sessions that viewed, engaged with or carted the product / a product of the
  category, or that came through the seller's link (their ref code).
Order lines and rollups keep product slugs, so a product is matched by its current slug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..catalog.models import Category, Product
from ..domain import N_, DomainError, NotFound
from ..sellers.models import Seller

KINDS = ("product", "category", "seller")
FILTER_RE = re.compile(r"(product|category|seller):([0-9]{1,9})")
MAX_FILTERED_DAYS = 92  # filtered behaviour reads raw events: a quarter at most (see README)
SEGMENT_KEYS = {"product": "bought_products", "category": "bought_categories", "seller": "sellers"}


class InvalidFilter(DomainError):
    """The filter is not one of the offered choices (a 400 with the form)."""

    status_code = 400
    code = "invalid_filter"


@dataclass(frozen=True)
class Scope:
    """What a filtered report counts: the product slugs (product, category) or the seller's code."""

    kind: str
    id: int
    label: str
    zone: tzinfo
    slugs: tuple[str, ...] = ()
    seller_code: str | None = None

    @property
    def arg(self) -> str:
        """The query-string value that names this filter."""
        return f"{self.kind}:{self.id}"

    @property
    def by_lines(self) -> bool:
        """True when orders match by their lines (product, category), False for a seller."""
        return self.kind != "seller"

    @property
    def segment_args(self) -> dict[str, int]:
        """The segment builder's prefill for "these customers"."""
        return {SEGMENT_KEYS[self.kind]: self.id}


def parse(raw: str | None) -> tuple[str, int] | None:
    """("product", 12) from "product:12"; None for no filter; InvalidFilter for anything else."""
    text = (raw or "").strip()
    if not text:
        return None
    match = FILTER_RE.fullmatch(text)
    if match is None:
        raise InvalidFilter(N_("Choose a product, a category or a seller from the list."))
    return match.group(1), int(match.group(2))


def load(session: Session, raw: str | None, zone: tzinfo) -> Scope | None:
    """The Scope the query string asks for (NotFound when the product, category or seller is gone)."""
    parsed = parse(raw)
    if parsed is None:
        return None
    kind, ident = parsed
    if kind == "product":
        product = session.get(Product, ident)
        if product is None:
            raise NotFound(N_("That product does not exist."))
        return Scope(kind, ident, product.title, zone, slugs=(product.slug,))
    if kind == "category":
        category = session.get(Category, ident)
        if category is None:
            raise NotFound(N_("That category does not exist."))
        slugs = session.scalars(select(Product.slug).where(Product.category_id == ident).order_by(Product.slug))
        return Scope(kind, ident, category.name, zone, slugs=tuple(slugs))
    seller = session.get(Seller, ident)
    if seller is None:
        raise NotFound(N_("That seller does not exist."))
    return Scope(kind, ident, f"{seller.name} ({seller.code})", zone, seller_code=seller.code)


@dataclass(frozen=True)
class Choices:
    """The filter form's options, each (value, label)."""

    products: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    sellers: list[tuple[str, str]]


def choices(session: Session) -> Choices:
    """Every product, category and seller, by name (three small queries)."""
    products = session.execute(select(Product.id, Product.title).order_by(Product.title, Product.id)).all()
    categories = session.execute(select(Category.id, Category.name).order_by(Category.name, Category.id)).all()
    sellers = session.scalars(select(Seller).options(joinedload(Seller.user)).order_by(Seller.code)).all()
    return Choices(
        [(f"product:{i}", title) for i, title in products],
        [(f"category:{i}", name) for i, name in categories],
        [(f"seller:{s.id}", f"{s.name} ({s.code})") for s in sellers],
    )
