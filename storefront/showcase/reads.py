"""What shoppers see of sellers' pages and collections (read-only queries)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.models import Product
from ..catalog.service import CARD_OPTIONS
from ..domain import N_, NotFound
from ..sellers import accounts
from ..sellers.models import Seller
from . import rules
from .models import Collection, CollectionItem, SellerPick


def public_seller(session: Session, code: str | None) -> Seller:
    """The seller whose page /s/<code> is: active, approved and not hidden by the owner; else NotFound."""
    seller = accounts.seller_by_code(session, code)
    if seller is None or not seller.active or seller.approved_at is None or seller.page_hidden:
        raise NotFound(N_("We could not find that seller's page."))
    if not seller.user.active:
        raise NotFound(N_("We could not find that seller's page."))
    return seller


def picks(session: Session, seller_id: int) -> list[Product]:
    """The published products a seller shows on their page, in their order."""
    stmt = (
        select(Product)
        .join(SellerPick, SellerPick.product_id == Product.id)
        .where(SellerPick.seller_id == seller_id, Product.published)
        .order_by(SellerPick.position, SellerPick.product_id)
        .options(*CARD_OPTIONS)
    )
    return list(session.scalars(stmt))


def seller_collections(session: Session, seller_id: int | None) -> list[Collection]:
    """A maker's visible collections in their order (seller_id None: the shop's own)."""
    maker = Collection.seller_id.is_(None) if seller_id is None else Collection.seller_id == seller_id
    stmt = select(Collection).where(maker, Collection.hidden.is_(False)).order_by(Collection.position, Collection.id)
    return list(session.scalars(stmt))


def public_collection(session: Session, slug: str | None) -> Collection:
    """A collection shoppers may open: not hidden, and its seller's page not hidden or disabled; else NotFound."""
    collection = None
    if rules.is_slug(slug):
        collection = session.scalars(select(Collection).where(Collection.slug == slug)).first()
    if collection is None or collection.hidden:
        raise NotFound(N_("We could not find that collection."))
    seller = collection.seller
    if seller is not None and (not seller.active or seller.approved_at is None or seller.page_hidden):
        raise NotFound(N_("We could not find that collection."))
    return collection


def collection_products(session: Session, collection_id: int) -> list[Product]:
    """The published products of a collection, in its order."""
    stmt = (
        select(Product)
        .join(CollectionItem, CollectionItem.product_id == Product.id)
        .where(CollectionItem.collection_id == collection_id, Product.published)
        .order_by(CollectionItem.position, CollectionItem.product_id)
        .options(*CARD_OPTIONS)
    )
    return list(session.scalars(stmt))
