"""What shoppers see of sellers' pages and collections (read-only queries), and when it changes.

The public pages are cached by the catalog generation (core.pagecache). Any change to what they
show bumps it in the same transaction: a product (catalog.generation watches those), a seller's
picks, a collection or its items, and the seller's page fields (name, bio, photo, contact, the
owner's hide switch, approval) are watched here through the ORM (before_flush). Code that changes
them with a bulk statement on their own tables (positions) are seen too; other code calls
bump(session) itself.
"""

from __future__ import annotations

from sqlalchemy import Select, event, inspect, or_, select
from sqlalchemy.orm import ORMExecuteState, Session

from ..auth.models import User
from ..catalog.generation import mark_changed
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
    if seller is None or not page_is_public(seller):
        raise NotFound(N_("We could not find that seller's page."))
    return seller


def page_is_public(seller: Seller) -> bool:
    """True when shoppers may see the seller's page and collections (the SQL twin is _page_shown)."""
    return seller.active and seller.approved_at is not None and not seller.page_hidden and seller.user.active


def _page_shown():
    """SQL: the seller's page is public (active and approved seller and account, not hidden by the owner)."""
    return (
        Seller.active.is_(True),
        Seller.approved_at.is_not(None),
        Seller.page_hidden.is_(False),
        User.active.is_(True),
    )


def published_seller_pages() -> Select:
    """(code, profile_updated_at) of every public seller page, by seller id (for the sitemap)."""
    return (
        select(Seller.code, Seller.profile_updated_at)
        .join(User, User.id == Seller.user_id)
        .where(*_page_shown())
        .order_by(Seller.id)
    )


def visible_collections() -> Select:
    """(slug, updated_at) of every collection shoppers may open, by id (for the sitemap)."""
    shown_sellers = select(Seller.id).join(User, User.id == Seller.user_id).where(*_page_shown())
    return (
        select(Collection.slug, Collection.updated_at)
        .where(
            Collection.hidden.is_(False),
            or_(Collection.seller_id.is_(None), Collection.seller_id.in_(shown_sellers)),
        )
        .order_by(Collection.id)
    )


def _in_order(session: Session, link, owner) -> list[Product]:
    """The published products of one ordered list (picks or a collection's items), with what cards need."""
    stmt = (
        select(Product)
        .join(link, link.product_id == Product.id)
        .where(owner, Product.published)
        .order_by(link.position, link.product_id)
        .options(*CARD_OPTIONS)
    )
    return list(session.scalars(stmt))


def picks(session: Session, seller_id: int) -> list[Product]:
    """The published products a seller shows on their page, in their order."""
    return _in_order(session, SellerPick, SellerPick.seller_id == seller_id)


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
    if seller is not None and not page_is_public(seller):
        raise NotFound(N_("We could not find that collection."))
    return collection


def collection_products(session: Session, collection_id: int) -> list[Product]:
    """The published products of a collection, in its order."""
    return _in_order(session, CollectionItem, CollectionItem.collection_id == collection_id)


# --- keeping cached pages fresh ----------------------------------------------------------------

SHOWN_ROWS = (SellerPick, Collection, CollectionItem)
# Only these fields of a seller show on public pages: `owed` and the payout fields change often
# and must not empty the page cache.
SHOWN_SELLER_FIELDS = ("code", "active", "approved_at", "bio", "photo_key", "whatsapp", "show_contact", "page_hidden")
SHOWN_USER_FIELDS = ("name", "email", "active")  # a seller's display name comes from their account


def bump(session: Session) -> None:
    """Say that this transaction changes a seller's page or a collection: its commit renews cached pages."""
    mark_changed(session)


def _fields_changed(obj: object, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _shows(obj: object, *, dirty: bool) -> bool:
    """True for a row whose change shoppers may see on a seller's page or a collection."""
    if isinstance(obj, SHOWN_ROWS):
        return True
    if isinstance(obj, Seller):
        return not dirty or _fields_changed(obj, SHOWN_SELLER_FIELDS)
    if isinstance(obj, User) and dirty:
        return obj.role == "seller" and _fields_changed(obj, SHOWN_USER_FIELDS)
    return False


@event.listens_for(Session, "before_flush")
def _watch_showcase_changes(session: Session, _flush_context, _instances) -> None:
    """Mark the transaction when it adds, changes or deletes what the showcase pages show."""
    if any(_shows(o, dirty=False) for o in (*session.new, *session.deleted)) or any(
        _shows(o, dirty=True) for o in session.dirty
    ):
        bump(session)


SHOWN_TABLES = frozenset(model.__tablename__ for model in SHOWN_ROWS)


@event.listens_for(Session, "do_orm_execute")
def _watch_showcase_statements(state: ORMExecuteState) -> None:
    """Mark the transaction for bulk statements on picks, collections and their items (reordering)."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in SHOWN_TABLES:
            bump(state.session)
