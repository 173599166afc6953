"""Store use-cases: the owner's stores, nearest stores, binding customers, each order's store.

Like every service: a session and `now` come in, rows are flushed, nothing is committed.
The order-placed subscriber (subscribers.py) calls assign_order(); the rest serves /stores and /admin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from ..db import insert_ignoring_duplicates
from ..domain import N_, Invalid, NotFound
from . import rules
from .models import CustomerStore, OrderStore, RevenueShare, Store
from .rules import Point

if TYPE_CHECKING:
    from ..orders.models import Order


def active_stores(session: Session, pickup_only: bool = False) -> list[Store]:
    """Open stores by name (only those offering pickup when asked)."""
    stmt = select(Store).where(Store.active.is_(True)).order_by(Store.name, Store.id)
    if pickup_only:
        stmt = stmt.where(Store.pickup.is_(True))
    return list(session.scalars(stmt))


def all_stores(session: Session) -> list[Store]:
    """Every store, open ones first, for the admin."""
    return list(session.scalars(select(Store).order_by(Store.active.desc(), Store.name, Store.id)))


def get_store(session: Session, store_id: int) -> Store:
    """A store or NotFound."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(N_("We could not find that store."))
    return store


def save_store(
    session: Session,
    store: Store,
    *,
    name: str,
    address: str,
    city: str,
    postcode: str,
    latitude: float,
    longitude: float,
    opening_hours: str,
    pickup: bool,
    active: bool,
) -> Store:
    """Create or update a store (coordinates are checked by the same rule as the shopper's)."""
    point = rules.parse_coordinates(str(latitude), str(longitude))
    if not name.strip():
        raise Invalid(N_("Please give the store a name."))
    store.name, store.address = name.strip()[:120], address.strip()[:200]
    store.city, store.postcode = city.strip()[:100], postcode.strip()[:20]
    store.latitude, store.longitude = point.lat, point.lng
    store.opening_hours = opening_hours.strip()[:1000]
    store.pickup, store.active = pickup, active
    if store.id is None:
        session.add(store)
    session.flush()
    return store


# --- nearest -----------------------------------------------------------------------------------


def nearest_stores(session: Session, centre: Point, k: int = 5, pickup_only: bool = False) -> list[tuple[float, Store]]:
    """The k open stores nearest to `centre` with distances in km (rules.nearest, boxes filtered in SQL)."""
    found: dict[int, Store] = {}

    def candidates(boxes: list[rules.Box] | None) -> list[rules.StorePoint]:
        stmt = select(Store).where(Store.active.is_(True))
        if pickup_only:
            stmt = stmt.where(Store.pickup.is_(True))
        if boxes is not None:
            stmt = stmt.where(
                or_(
                    *(
                        and_(
                            Store.latitude.between(b.lat_min, b.lat_max), Store.longitude.between(b.lng_min, b.lng_max)
                        )
                        for b in boxes
                    )
                )
            )
        stores = list(session.scalars(stmt))
        found.update((s.id, s) for s in stores)
        return [rules.StorePoint(s.id, s.latitude, s.longitude) for s in stores]

    return [(distance, found[point.id]) for distance, point in rules.nearest(centre, k, candidates)]


def nearest_store(session: Session, lat: float, lng: float, pickup_only: bool = False) -> Store | None:
    """The open store nearest to a position, or None when the shop has no open store."""
    result = nearest_stores(session, rules.parse_coordinates(str(lat), str(lng)), 1, pickup_only)
    return result[0][1] if result else None


@dataclass(frozen=True)
class PlaceSearch:
    """Stores for a typed city or postcode: the centre used (None when the place was not found)."""

    centre: Point | None
    matched: list[int]
    stores: list[tuple[float | None, Store]]


def stores_near_place(session: Session, query: str, k: int = 20) -> PlaceSearch:
    """Stores by distance from the stores matching a typed city or postcode; all by name when none match."""
    stores = active_stores(session)
    matched = rules.match_place(query, [rules.PlaceRecord(s.id, s.city, s.postcode) for s in stores])
    centre = rules.centroid(Point(s.latitude, s.longitude) for s in stores if s.id in set(matched))
    if centre is None:
        return PlaceSearch(None, matched, [(None, s) for s in stores[:k]])
    ranked = rules.rank(centre, [rules.StorePoint(s.id, s.latitude, s.longitude) for s in stores])
    by_id = {s.id: s for s in stores}
    return PlaceSearch(centre, matched, [(distance, by_id[p.id]) for distance, p in ranked[:k]])


# --- binding customers and orders ----------------------------------------------------------------


def bind_customer(
    session: Session, customer_key: str, store_id: int, now: datetime, source: str = "order"
) -> CustomerStore:
    """Bind a customer to a store; the FIRST binding is kept (later calls return it unchanged)."""
    if not customer_key:
        raise Invalid(N_("A customer needs a phone number or an email to be bound to a store."))
    get_store(session, store_id)
    row = {"customer_key": customer_key[:260], "store_id": store_id, "source": source[:16], "bound_at": now}
    insert_ignoring_duplicates(session, CustomerStore, row, ["customer_key"])
    return session.scalars(
        select(CustomerStore)
        .where(CustomerStore.customer_key == customer_key[:260])
        .execution_options(populate_existing=True)
    ).one()


def bound_store(session: Session, customer_key: str | None) -> Store | None:
    """The store a customer is bound to, or None."""
    if not customer_key:
        return None
    return session.scalar(
        select(Store)
        .join(CustomerStore, CustomerStore.store_id == Store.id)
        .where(CustomerStore.customer_key == customer_key)
    )


def _usable(session: Session, store_id: int | None, pickup: bool = False) -> Store | None:
    """The store if it exists, is open (and offers pickup when asked), else None."""
    store = session.get(Store, store_id) if store_id else None
    if store is None or not store.active or (pickup and not store.pickup):
        return None
    return store


def _pickup_and_bound(
    session: Session, pickup_store_id: int | None, key: str | None
) -> tuple[Store | None, Store | None]:
    """The pickup store if usable for pickup (else None), and the customer's bound store: one SELECT for both."""
    if not (pickup_store_id and key):
        return _usable(session, pickup_store_id, pickup=True), bound_store(session, key)
    rows = session.execute(_pickup_and_bound_stores(), {"pickup_id": pickup_store_id, "key": key}).all()
    pickup = next((s for s, _b in rows if s.id == pickup_store_id and s.active and s.pickup), None)
    return pickup, next((s for s, bound in rows if s.id == bound), None)


@functools.cache
def _pickup_and_bound_stores() -> Select:
    """The pickup store (the `pickup_id` parameter) and the store the `key` is bound to, built once."""
    bound_id = select(CustomerStore.store_id).where(CustomerStore.customer_key == bindparam("key")).scalar_subquery()
    return select(Store, bound_id.label("bound_id")).where(
        or_(Store.id == bindparam("pickup_id"), Store.id == bound_id)
    )


def assign_order(
    session: Session,
    order: Order,
    now: datetime,
    *,
    pickup_store_id: int | None = None,
    chosen_store_id: int | None = None,
    location: Point | None = None,
    just_placed: bool = False,
) -> Store | None:
    """Decide and record the store an order counts for; bind a new customer on their first order.

    Call in the order-placement transaction after the order is flushed. The order's store is
    its pickup store when it has one; otherwise the customer's bound store. A customer not yet
    bound is bound to: the pickup store, else the store they chose on /stores
    (web.chosen_store_id()), else the store nearest to `location`, else the store nearest to
    the order's postcode/city (rules.match_place). Idempotent per order; `just_placed` (the
    order-placed subscriber) skips reading a record a new order cannot have yet (a duplicate
    would still meet the UNIQUE order_id below).
    """
    recorded = None if just_placed else session.get(OrderStore, order.id)
    if recorded is not None:
        return recorded.store
    key = rules.customer_key(order.phone, order.email)
    pickup, store = _pickup_and_bound(session, pickup_store_id, key)
    if pickup_store_id and pickup is None:
        raise Invalid(N_("That store does not offer pickup. Please choose another."))
    if store is None:
        first = pickup or _usable(session, chosen_store_id) or _nearest_to_order(session, order, location)
        if first is not None and key:
            store = bind_customer(session, key, first.id, now, "pickup" if pickup else "order").store
        else:
            store = first
    store = pickup or store
    if store is None:
        return None
    row = {"order_id": order.id, "store_id": store.id, "reason": "pickup" if pickup else "bound", "created_at": now}
    if insert_ignoring_duplicates(session, OrderStore, row, ["order_id"], returning=OrderStore.order_id) is not None:
        return store  # recorded now: no need to read it back
    return session.get(OrderStore, order.id, populate_existing=True).store  # another request recorded it first


def _nearest_to_order(session: Session, order: Order, location: Point | None) -> Store | None:
    """The open store nearest to the shopper's shared location, else to the order's postcode or city."""
    if location is not None:
        found = nearest_stores(session, location, 1)
        return found[0][1] if found else None
    for text in (order.postcode, order.city):
        if text:
            search = stores_near_place(session, text, 1)
            if search.centre is not None and search.stores:
                return search.stores[0][1]
    return None


# --- revenue-share settings ---------------------------------------------------------------------


def get_shares(session: Session) -> RevenueShare:
    """The owner's revenue-share settings (0 % and 0 % until set)."""
    return session.scalar(select(RevenueShare).order_by(RevenueShare.id)) or RevenueShare(store_bp=0, seller_bp=0)


def save_shares(session: Session, store_bp: int, seller_bp: int, user_id: int | None, now: datetime) -> RevenueShare:
    """Set the revenue-share percentages (basis points)."""
    rules.check_shares(store_bp, seller_bp)
    settings = session.scalar(select(RevenueShare).order_by(RevenueShare.id))
    if settings is None:
        settings = RevenueShare(id=1)
        session.add(settings)
    settings.store_bp, settings.seller_bp = store_bp, seller_bp
    settings.updated_at, settings.updated_by = now, user_id
    session.flush()
    return settings
