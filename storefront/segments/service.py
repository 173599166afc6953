"""Segment use-cases: the members of a definition as one SELECT of customer ids, counts, saved segments.

Every condition is a WHERE on `customers` (figures, consent, RFM, place, seller), an EXISTS or
an IN subquery, so the database does the work and a 100,000-customer shop counts in one query
(bench/segments.py):
- bought / never bought: IN / NOT IN the customers with a sale order (orders.rules.SALE_STATUSES:
  not cancelled, unpaid or awaiting payment; customer_orders) with a line whose variant is of the
  product (or of a product in the category);
- stores: stores.CustomerStore on customers.key; tags: customer_tags;
- "interested but did not buy" a product: analytics keeps one rollup_interest row per session that
  lingered on a product (30 s) or put it in the cart, with the session's cart hash (the 90-day cart
  cookie, hashed). Each order's projection (report_orders) keeps the hash of the cart it was placed
  from. So a session is the customer's when its cart hash is the cart hash of one of their orders
  (customer_orders): the same browser, before or after that order. The customer is interested in
  the product if such a session showed interest in it and they have no sale order with it.
  Interest appears when the rollup has run (the open day is refreshed through the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..analytics.models import ReportOrder, RollupInterest
from ..auth.models import User
from ..catalog.models import Category, Product, Variant
from ..customers.models import Customer, CustomerOrder, CustomerTag
from ..domain import N_, Invalid, NotFound
from ..orders.models import Order, OrderLine
from ..orders.rules import SALE_STATUSES
from ..sellers.models import Seller
from ..stores.models import CustomerStore, Store
from . import rules
from .models import Segment

SALE = tuple(str(status) for status in SALE_STATUSES)
NAME_MAX = 80


def member_ids(session: Session, definition: dict | str, now: datetime) -> Select:
    """A SELECT of the ids of the customers matching `definition` at `now`.

    `definition` may be a saved row's JSON text or a dict as stored: it is read by
    rules.parse_json (Invalid for a bad value), so callers need not normalise it first.
    """
    return select(Customer.id).where(*conditions(rules.parse_json(definition), now))


def conditions(definition: dict, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a definition on `customers` (AND of these)."""
    d = definition
    where: list[ColumnElement[bool]] = []
    if d.get("rfm"):
        where.append(Customer.rfm_segment.in_(d["rfm"]))
    if d.get("last_order_before_days") is not None:
        where.append(Customer.last_order_at < now - timedelta(days=d["last_order_before_days"]))
    if d.get("last_order_within_days") is not None:
        where.append(Customer.last_order_at >= now - timedelta(days=d["last_order_within_days"]))
    for key, column, compare in (
        ("orders_min", Customer.orders_count, "ge"),
        ("orders_max", Customer.orders_count, "le"),
        ("spend_min", Customer.spend, "ge"),
        ("spend_max", Customer.spend, "le"),
    ):
        if d.get(key) is not None:
            where.append(column >= d[key] if compare == "ge" else column <= d[key])
    if d.get("bought_products"):
        where.append(_bought(Product.id.in_(d["bought_products"])))
    if d.get("bought_categories"):
        where.append(_bought(Product.category_id.in_(d["bought_categories"])))
    if d.get("not_bought_products"):
        where.append(Customer.id.not_in(_buyers(Product.id.in_(d["not_bought_products"]))))
    if d.get("not_bought_categories"):
        where.append(Customer.id.not_in(_buyers(Product.category_id.in_(d["not_bought_categories"]))))
    if d.get("interested_products"):
        where.append(_interested(d["interested_products"]))
    if d.get("stores"):
        where.append(
            exists().where(CustomerStore.customer_key == Customer.key, CustomerStore.store_id.in_(d["stores"]))
        )
    if d.get("cities"):
        where.append(func.lower(Customer.city).in_([c.lower() for c in d["cities"]]))
    if d.get("regions"):
        where.append(func.lower(Customer.region).in_([r.lower() for r in d["regions"]]))
    if d.get("sellers"):
        where.append(Customer.seller_id.in_(d["sellers"]))
    if d.get("tags"):
        where.append(exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag.in_(d["tags"])))
    if d.get("consent"):
        flags = {"email": Customer.marketing_email, "push": Customer.marketing_push}
        flags["whatsapp"] = Customer.marketing_whatsapp
        where.append(or_(*(flags[channel].is_(True) for channel in d["consent"])))
    return where


def _buyers(product_matches: ColumnElement[bool]) -> Select:
    """The ids of customers with a sale order holding a line of a product matching `product_matches`.

    Uncorrelated (IN, not a per-customer EXISTS): the database starts from the few products
    asked for and reads only their lines, instead of probing every customer's orders.
    """
    return (
        select(CustomerOrder.customer_id)
        .join(Order, Order.id == CustomerOrder.order_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(Order.status.in_(SALE), product_matches)
    )


def _among(ids: Select) -> ColumnElement[bool]:
    """customers.id IN (ids), evaluated once into a hash (PostgreSQL) or a temporary index (SQLite).

    `IS true` keeps PostgreSQL from turning the IN into a join: with several conditions it
    underestimates the customers left and picks a nested loop over the subquery's rows per
    customer (seconds at 100,000 customers); as a "hashed SubPlan" it is one pass, like NOT IN.
    """
    return Customer.id.in_(ids).is_(True)


def _bought(product_matches: ColumnElement[bool]) -> ColumnElement[bool]:
    """The customer bought (in a sale order) a product matching `product_matches`."""
    return _among(_buyers(product_matches))


def _interested(product_ids: list[int]) -> ColumnElement[bool]:
    """A session of one of the customer's carts showed interest in one of the products, which they never bought."""
    linked, interested_product = aliased(CustomerOrder), aliased(Product)
    bought_co, bought_order = aliased(CustomerOrder), aliased(Order)
    bought_line, bought_variant = aliased(OrderLine), aliased(Variant)
    never_bought = ~(
        select(1)
        .select_from(bought_co)
        .join(bought_order, bought_order.id == bought_co.order_id)
        .join(bought_line, bought_line.order_id == bought_order.id)
        .join(bought_variant, bought_variant.id == bought_line.variant_id)
        .where(
            bought_co.customer_id == linked.customer_id,
            bought_order.status.in_(SALE),
            bought_variant.product_id == interested_product.id,
        )
        .exists()
    )
    # From the products asked for: their interest rows (indexed by slug), the orders placed from
    # the same cart (report_orders.cart_hash is indexed), and whose those orders are.
    interested = (
        select(linked.customer_id)
        .select_from(interested_product)
        .join(RollupInterest, RollupInterest.product_slug == interested_product.slug)
        .join(ReportOrder, ReportOrder.cart_hash == RollupInterest.cart_hash)
        .join(linked, linked.order_id == ReportOrder.order_id)
        .where(interested_product.id.in_(product_ids), never_bought)
    )
    return _among(interested)


def count(session: Session, definition: dict, now: datetime) -> int:
    """How many customers match `definition` now."""
    return session.scalar(select(func.count()).select_from(member_ids(session, definition, now).subquery())) or 0


def members(session: Session, definition: dict, now: datetime, *, offset: int = 0, limit: int | None = 50):
    """The matching customers, most recent order first (a page, or all with limit=None)."""
    query = (
        select(Customer)
        .where(Customer.id.in_(member_ids(session, definition, now)))
        .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


# --- Saved segments --------------------------------------------------------------------------


def all_segments(session: Session) -> list[Segment]:
    """Every saved segment, by name."""
    return list(session.scalars(select(Segment).order_by(func.lower(Segment.name), Segment.id)))


def get_segment(session: Session, segment_id: int) -> Segment:
    """A saved segment, or NotFound."""
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(N_("That segment does not exist."))
    return segment


def definition_of(segment: Segment) -> dict:
    """A saved segment's definition (normalised; a damaged row reads as no condition rather than a 500)."""
    try:
        return rules.parse_json(segment.definition)
    except Invalid:
        return {}


def _check_name(name: str) -> str:
    """A trimmed segment name of 1-80 characters."""
    name = (name or "").strip()
    if not name:
        raise rules.InvalidDefinition("name", N_("Give the segment a name."))
    if len(name) > NAME_MAX:
        raise rules.InvalidDefinition("name", N_("The name is too long (at most %(max)s characters)."), max=NAME_MAX)
    return name


def save_segment(
    session: Session, segment_id: int | None, name: str, definition: dict, user_id: int | None, now: datetime
) -> Segment:
    """Create (segment_id None) or update a saved segment; flushes, never commits."""
    name = _check_name(name)
    segment = Segment(created_by=user_id, created_at=now) if segment_id is None else get_segment(session, segment_id)
    segment.name = name
    segment.definition = rules.to_json(definition)
    segment.updated_at = now
    session.add(segment)
    session.flush()
    return segment


def delete_segment(session: Session, segment_id: int) -> Segment:
    """Delete a saved segment (its customers are untouched); flushes."""
    segment = get_segment(session, segment_id)
    session.execute(delete(Segment).where(Segment.id == segment.id))
    session.flush()
    return segment


# --- The builder's pickers and the summaries' names ------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What the builder's pickers offer: (id, label) pairs, and the tags in use."""

    products: list[tuple[int, str]]
    categories: list[tuple[int, str]]
    stores: list[tuple[int, str]]
    sellers: list[tuple[int, str]]
    tags: list[str]


def choices(session: Session) -> Choices:
    """Every product, category, store, seller and tag, labelled and sorted for the pickers."""
    products = session.execute(select(Product.id, Product.title).order_by(func.lower(Product.title), Product.id))
    categories = session.execute(select(Category.id, Category.name).order_by(func.lower(Category.name)))
    stores = session.execute(select(Store.id, Store.name).order_by(func.lower(Store.name), Store.id))
    sellers = session.execute(
        select(Seller.id, func.coalesce(func.nullif(User.name, ""), User.email))
        .join(User, User.id == Seller.user_id)
        .order_by(Seller.id)
    )
    tags = session.scalars(select(CustomerTag.tag).distinct().order_by(CustomerTag.tag))
    return Choices(
        [tuple(r) for r in products],
        [tuple(r) for r in categories],
        [tuple(r) for r in stores],
        [tuple(r) for r in sellers],
        list(tags),
    )


def name_lookup(choices: Choices):
    """name_of(key, id) for rules.summary: the picker label, or "#id" for something since deleted."""
    tables = {
        "products": dict(choices.products),
        "categories": dict(choices.categories),
        "stores": dict(choices.stores),
        "sellers": dict(choices.sellers),
    }

    def name_of(key: str, item: int) -> str:
        table = "products" if key.endswith("products") else key.removeprefix("bought_").removeprefix("not_bought_")
        return tables.get(table, {}).get(item, f"#{item}")

    return name_of
