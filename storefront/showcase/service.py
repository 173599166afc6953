"""Changing a seller's picks and collections (a seller's or the shop's own): use cases.

Each takes the session and `now`, flushes and never commits (the view commits once per request).
Every change stamps `updated_at` (a collection) or `profile_updated_at` (a seller's picks) and marks
the transaction as changing what shoppers see, so the commit bumps the catalog generation and the
cached public pages (/s/<code>, /collections/<slug>) are rendered afresh on the next request.
A collection is always looked up with its maker (collection_for): another seller's is NotFound.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..catalog import generation
from ..catalog.models import Product
from ..domain import N_, Conflict, Invalid, NotFound
from ..sellers.models import Seller
from . import rules
from .models import Collection, CollectionItem, SellerPick

SLUG_ATTEMPTS = 6
SHOP_COLLECTIONS_LOCK = 0x5C0_11EC  # pg_advisory_xact_lock key: the shop's own list of collections


def _changed(session: Session) -> None:
    """Cached shopper pages must show this change: the commit bumps the catalog generation."""
    generation.mark_changed(session)


def _maker(seller_id: int | None):
    """SQL for "made by this seller" (None: the shop's own collections)."""
    return Collection.seller_id.is_(None) if seller_id is None else Collection.seller_id == seller_id


def parse_id(raw: str | None) -> int:
    """A product's id from a form field; Invalid unless a positive whole number."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) < 1:
        raise Invalid(N_("Please choose a product."))
    return int(text)


def _product(session: Session, product_id: int, seller_id: int | None) -> Product:
    """A product its maker may list; else NotFound (the same answer as an unknown id).

    The owner may line up drafts before they launch; a seller sees only what shoppers see
    (published products): a draft's id must not tell them its title or price.
    """
    product = session.get(Product, product_id)
    if product is None or product.archived or (seller_id is not None and not product.published):
        raise NotFound(N_("We could not find that product."))
    return product


def _lock_list(session: Session, seller_id: int | None, collection_id: int | None = None) -> None:
    """Serialise changes to one ordered list: positions are read, recomputed and written back.

    PostgreSQL: a row lock on the list's parent (the collection, or the seller for their page and
    their list of collections) held to the commit, so two edits at once see each other's result;
    the shop's own list of collections has no parent row and uses a transaction advisory lock.
    SQLite already runs writers one after another (BEGIN IMMEDIATE, db.py); FOR UPDATE is left out.
    """
    if collection_id is not None:
        session.execute(select(Collection.id).where(Collection.id == collection_id).with_for_update())
    elif seller_id is not None:
        session.execute(select(Seller.id).where(Seller.id == seller_id).with_for_update())
    elif session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(SHOP_COLLECTIONS_LOCK)))


# --- collections -------------------------------------------------------------------------------


def collections_of(session: Session, seller_id: int | None) -> list[Collection]:
    """Every collection of a maker, hidden ones too, in their order (for the maker's own pages)."""
    stmt = select(Collection).where(_maker(seller_id)).order_by(Collection.position, Collection.id)
    return list(session.scalars(stmt))


def collection_for(session: Session, collection_id: int, seller_id: int | None) -> Collection:
    """The maker's collection with this id; NotFound for another maker's (never says it exists)."""
    stmt = select(Collection).where(Collection.id == collection_id, _maker(seller_id))
    collection = session.scalars(stmt).first()
    if collection is None:
        raise NotFound(N_("We could not find that collection."))
    return collection


def item_counts(session: Session, collection_ids: list[int]) -> dict[int, int]:
    """How many products each collection holds."""
    if not collection_ids:
        return {}
    stmt = (
        select(CollectionItem.collection_id, func.count())
        .where(CollectionItem.collection_id.in_(collection_ids))
        .group_by(CollectionItem.collection_id)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def create_collection(
    session: Session, seller_id: int | None, title: str | None, description: str | None, now: datetime
) -> Collection:
    """A new collection at the end of its maker's list, with a fresh unique slug."""
    title = rules.check_title(title)
    description = rules.check_description(description)
    _lock_list(session, seller_id)
    existing = session.scalar(select(func.count()).select_from(Collection).where(_maker(seller_id))) or 0
    if existing >= rules.MAX_COLLECTIONS:
        raise Invalid(N_("You can have at most %(max)s collections."), max=rules.MAX_COLLECTIONS)
    last = session.scalar(select(func.max(Collection.position)).where(_maker(seller_id)))
    position = 0 if last is None else last + 1
    for _attempt in range(SLUG_ATTEMPTS):
        slug = rules.new_slug(title)
        if session.scalar(select(Collection.id).where(Collection.slug == slug)) is not None:
            continue
        collection = Collection(
            seller_id=seller_id,
            slug=slug,
            title=title,
            description=description,
            position=position,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():  # a concurrent twin slug rolls back to here only
                session.add(collection)
                session.flush()
        except IntegrityError:
            continue
        _changed(session)
        return collection
    raise Conflict(N_("Please try again."))


def update_collection(
    session: Session, collection: Collection, title: str | None, description: str | None, now: datetime
) -> Collection:
    """New title and description (the slug, and so every shared link, stays)."""
    collection.title = rules.check_title(title)
    collection.description = rules.check_description(description)
    collection.updated_at = now
    session.flush()
    _changed(session)
    return collection


def delete_collection(session: Session, collection: Collection, now: datetime) -> None:
    """Delete a collection with its items; its maker's other collections close up (0..n-1)."""
    seller_id = collection.seller_id
    session.delete(collection)
    session.flush()
    for position, other in enumerate(collections_of(session, seller_id)):
        if other.position != position:
            other.position = position
    session.flush()
    _changed(session)


def move_collection(session: Session, collection: Collection, direction: str, now: datetime) -> None:
    """Move a collection one place up or down among its maker's (unchanged at an end)."""
    _lock_list(session, collection.seller_id)
    mine = collections_of(session, collection.seller_id)
    order = rules.moved([c.id for c in mine], collection.id, direction)
    by_id = {c.id: c for c in mine}
    for position, collection_id in enumerate(order):
        by_id[collection_id].position = position
    collection.updated_at = now
    session.flush()
    _changed(session)


def set_hidden(session: Session, collection: Collection, hidden: bool, now: datetime) -> None:
    """The owner's switch: a hidden collection answers 404 to shoppers."""
    collection.hidden = bool(hidden)
    collection.updated_at = now
    session.flush()
    _changed(session)


def _items(session: Session, collection_id: int) -> list[CollectionItem]:
    stmt = (
        select(CollectionItem)
        .where(CollectionItem.collection_id == collection_id)
        .order_by(CollectionItem.position, CollectionItem.product_id)
        .execution_options(populate_existing=True)  # read after the lock: positions as committed
    )
    return list(session.scalars(stmt))


def items(session: Session, collection: Collection) -> list[Product]:
    """A collection's products in order, drafts and sold-out included (for its maker)."""
    stmt = (
        select(Product)
        .join(CollectionItem, CollectionItem.product_id == Product.id)
        .where(CollectionItem.collection_id == collection.id)
        .order_by(CollectionItem.position, CollectionItem.product_id)
        .execution_options(populate_existing=True)  # read after the lock: positions as committed
    )
    return list(session.scalars(stmt))


def add_item(session: Session, collection: Collection, product_id: int, now: datetime) -> CollectionItem:
    """Add a product at the end; Invalid when already there or the collection is full."""
    _product(session, product_id, collection.seller_id)
    _lock_list(session, collection.seller_id, collection.id)
    present = _items(session, collection.id)
    if any(i.product_id == product_id for i in present):
        raise Invalid(N_("That product is already in this collection."))
    if len(present) >= rules.MAX_ITEMS:
        raise Invalid(N_("A collection holds at most %(max)s products."), max=rules.MAX_ITEMS)
    item = CollectionItem(collection_id=collection.id, product_id=product_id, position=len(present))
    try:
        with session.begin_nested():  # two adds at once: the loser's row is refused by the primary key
            session.add(item)
            session.flush()
    except IntegrityError as err:
        raise Conflict(N_("That product is already in this collection.")) from err
    session.expire(collection, ["items"])
    collection.updated_at = now
    session.flush()
    _changed(session)
    return item


def remove_item(session: Session, collection: Collection, product_id: int, now: datetime) -> None:
    """Take a product out; the rest close up. NotFound when it is not there."""
    _lock_list(session, collection.seller_id, collection.id)
    present = _items(session, collection.id)
    gone = next((i for i in present if i.product_id == product_id), None)
    if gone is None:
        raise NotFound(N_("That product is not in this list."))
    session.delete(gone)
    for position, item in enumerate(i for i in present if i is not gone):
        item.position = position
    session.flush()
    session.expire(collection, ["items"])
    collection.updated_at = now
    session.flush()
    _changed(session)


def move_item(session: Session, collection: Collection, product_id: int, direction: str, now: datetime) -> None:
    """Move a product one place up or down; positions are rewritten 0..n-1."""
    _lock_list(session, collection.seller_id, collection.id)
    present = _items(session, collection.id)
    if product_id not in {i.product_id for i in present}:
        raise NotFound(N_("That product is not in this list."))  # another's list, or gone meanwhile
    order = rules.moved([i.product_id for i in present], product_id, direction)
    by_id = {i.product_id: i for i in present}
    for position, pid in enumerate(order):
        by_id[pid].position = position
    session.flush()
    session.expire(collection, ["items"])
    collection.updated_at = now
    session.flush()
    _changed(session)


# --- a seller's picks (their page) ---------------------------------------------------------------


def _picks(session: Session, seller_id: int) -> list[SellerPick]:
    stmt = (
        select(SellerPick)
        .where(SellerPick.seller_id == seller_id)
        .order_by(SellerPick.position, SellerPick.product_id)
        .execution_options(populate_existing=True)  # read after the lock: positions as committed
    )
    return list(session.scalars(stmt))


def picked(session: Session, seller_id: int) -> list[Product]:
    """A seller's picked products in order, drafts and sold-out included (for the seller)."""
    stmt = (
        select(Product)
        .join(SellerPick, SellerPick.product_id == Product.id)
        .where(SellerPick.seller_id == seller_id)
        .order_by(SellerPick.position, SellerPick.product_id)
    )
    return list(session.scalars(stmt))


def _touch_seller(session: Session, seller_id: int, now: datetime) -> None:
    seller = session.get(Seller, seller_id)
    if seller is not None:
        seller.profile_updated_at = now
    session.flush()
    _changed(session)


def add_pick(session: Session, seller_id: int, product_id: int, now: datetime) -> SellerPick:
    """Add a product at the end of a seller's page; Invalid when already there or the page is full."""
    _product(session, product_id, seller_id)
    _lock_list(session, seller_id)
    present = _picks(session, seller_id)
    if any(p.product_id == product_id for p in present):
        raise Invalid(N_("That product is already on your page."))
    if len(present) >= rules.MAX_PICKS:
        raise Invalid(N_("Your page shows at most %(max)s products."), max=rules.MAX_PICKS)
    pick = SellerPick(seller_id=seller_id, product_id=product_id, position=len(present), created_at=now)
    try:
        with session.begin_nested():
            session.add(pick)
            session.flush()
    except IntegrityError as err:
        raise Conflict(N_("That product is already on your page.")) from err
    _touch_seller(session, seller_id, now)
    return pick


def remove_pick(session: Session, seller_id: int, product_id: int, now: datetime) -> None:
    """Take a product off a seller's page; the rest close up."""
    _lock_list(session, seller_id)
    present = _picks(session, seller_id)
    gone = next((p for p in present if p.product_id == product_id), None)
    if gone is None:
        raise NotFound(N_("That product is not in this list."))
    session.delete(gone)
    for position, pick in enumerate(p for p in present if p is not gone):
        pick.position = position
    _touch_seller(session, seller_id, now)


def move_pick(session: Session, seller_id: int, product_id: int, direction: str, now: datetime) -> None:
    """Move a product one place up or down on a seller's page."""
    _lock_list(session, seller_id)
    present = _picks(session, seller_id)
    if product_id not in {p.product_id for p in present}:
        raise NotFound(N_("That product is not in this list."))  # another's list, or gone meanwhile
    order = rules.moved([p.product_id for p in present], product_id, direction)
    by_id = {p.product_id: p for p in present}
    for position, pid in enumerate(order):
        by_id[pid].position = position
    _touch_seller(session, seller_id, now)
