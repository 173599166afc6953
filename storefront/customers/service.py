"""Customer use-cases: link orders to customers, keep their figures and RFM segment, consent, tags, notes.

Every function takes a session (and `now`), flushes and never commits. The figures are recomputed
from the customer's orders in SQL after each fact that can change them (placed, status changed,
refunded), so they never drift, whatever order the facts arrive in.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Insert,
    Integer,
    ScalarSelect,
    Select,
    Update,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import insert_ignoring_duplicates, outer_transaction
from ..domain import N_, Invalid
from ..orders.models import Order
from ..orders.rules import SALE_STATUSES
from ..payments.models import ManualRefund, Refund
from ..payments.rules import RefundStatus
from ..sellers.models import CommissionEntry
from ..stores.rules import customer_key
from . import consent, rules
from .models import CONSENT_CHANNELS, Customer, CustomerOrder, CustomerTag

SALES = tuple(str(s) for s in SALE_STATUSES)
# Each contact field of a customer and the order column it comes from.
CONTACT_COLUMNS = {"name": "customer_name", "phone": "phone", "email": "email", "city": "city", "region": "region",
                   "country": "country", "locale": "locale"}  # fmt: skip
MAX_NOTE = 4000
MAX_TAG = 40
CHUNK = 2000  # ids per UPDATE ... WHERE id IN (...)
_LINKED = "customer_linked"  # Session.info: (transaction, order id, customer id) of link_order's last link


def customer_of_order(session: Session, order_id: int) -> int | None:
    """The id of the customer who placed the order (None: not linked, no phone or email).

    The order linked last in this very transaction is known without a read (link_order notes it).
    """
    transaction, linked_order_id, customer_id = session.info.get(_LINKED, (None, None, None))
    if linked_order_id == order_id and transaction is not None and transaction is outer_transaction(session):
        return customer_id
    return session.scalar(select(CustomerOrder.customer_id).where(CustomerOrder.order_id == order_id))


def customer_id_for(
    session: Session, phone: str | None, email: str | None, now: datetime, *, unknown: bool = False
) -> int | None:
    """The customer of this phone (else email), created when new (race-safe); None without either.

    `unknown`: the caller just found no customer of this key in this transaction (link_order), so
    the INSERT comes first (a concurrent first order still meets the UNIQUE key, then the read).
    """
    key = customer_key(phone, email)
    if key is None:
        return None
    found = None if unknown else session.scalar(_customer_by_key(), {"key": key})  # most orders: a known customer
    if found is not None:
        return found
    values = {"key": key, "phone": (phone or "")[:24], "email": (email or "").strip().lower()[:254]}
    row = {**values, "created_at": now, "updated_at": now}
    made = insert_ignoring_duplicates(session, Customer, row, ["key"], returning=Customer.id)
    return made if made is not None else session.scalar(_customer_by_key(), {"key": key})  # a concurrent order won


@functools.cache
def _customer_by_key() -> Select:
    """The customer's id by key (the `key` parameter), built once: every order asks."""
    return select(Customer.id).where(Customer.key == bindparam("key"))


def customer_id_for_email(session: Session, email: str, now: datetime) -> int | None:
    """The customer known by this email (from an order, though keyed by phone), else one keyed by it."""
    address = (email or "").strip().lower()
    if "@" not in address:
        return None
    known = session.scalar(
        select(Customer.id).where(Customer.email == address).order_by(Customer.last_order_at.desc()).limit(1)
    )
    return known if known is not None else customer_id_for(session, None, address, now)


def link_order(session: Session, order: Order, now: datetime) -> int | None:
    """Link a placed order to its customer (created on their first order) and refresh their figures."""
    key = customer_key(order.phone, order.email)
    if key is None:
        return None
    session.flush()  # the order's row first: the link below refers to it
    # A known customer (most orders): the link names them straight from their key, one statement.
    dialect = session.get_bind().dialect.name
    linked = _link_known(dialect) if dialect in ("postgresql", "sqlite") else None
    customer_id = None if linked is None else session.scalar(linked, {"order_id": order.id, "key": key})
    if customer_id is None:  # a new customer (or an order linked already: the link stands, as before)
        customer_id = customer_id_for(session, order.phone, order.email, now, unknown=linked is not None)
        if customer_id is None:
            return None
        link = {"order_id": order.id, "customer_id": customer_id}
        insert_ignoring_duplicates(session, CustomerOrder, link, ["order_id"])
    refresh(session, customer_id, now)
    # A concurrent link of the same order (ON CONFLICT above) can only name the same customer: the
    # customer follows from the order's own phone and email.
    session.info[_LINKED] = (outer_transaction(session), order.id, customer_id)
    return customer_id


@functools.cache
def _link_known(dialect: str) -> Insert:
    """INSERT INTO customer_orders SELECT :order_id, id FROM customers WHERE key = :key, ON CONFLICT
    (order_id) DO NOTHING RETURNING customer_id: built once; nothing comes back for a new customer."""
    links, customers = CustomerOrder.__table__, Customer.__table__
    known = select(bindparam("order_id", type_=Integer), customers.c.id).where(customers.c.key == bindparam("key"))
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(links).from_select(["order_id", "customer_id"], known)
    return stmt.on_conflict_do_nothing(index_elements=["order_id"]).returning(links.c.customer_id)


def refresh_for_order(session: Session, order_id: int, now: datetime) -> None:
    """Recompute the figures of the customer of this order (a status change, a refund)."""
    customer_id = customer_of_order(session, order_id)
    if customer_id is not None:
        refresh(session, customer_id, now)


def refresh(session: Session, customer_id: int, now: datetime) -> None:
    """Recompute one customer's contact details, figures and referring seller from their orders.

    One UPDATE whose values are subqueries (figures, refunds, referring seller, each contact field
    from the newest order that has it): one statement instead of two reads and a write (issue 22).
    """
    session.flush()
    session.execute(_refresh_customer(), {"customer_id": customer_id})


# The statement of refresh(), built once with the customer's id as a parameter: built anew per
# order it costs more CPU than its round trip (issue 22), and one statement object keeps its
# cache key memoised.


def _their_orders() -> Select:
    """The ids of the customer's orders (the `customer_id` parameter)."""
    return select(CustomerOrder.order_id).where(CustomerOrder.customer_id == bindparam("customer_id"))


def _sql(value: str | int):
    """A constant written into the statement, not sent as a parameter (see _refresh_customer)."""
    return literal_column(str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'")


@functools.cache
def _refresh_customer() -> Update:
    """UPDATE customers SET <figures, referring seller, contact fields> WHERE id = :customer_id.

    The customer's orders, sales and money are CTEs each subquery reads (correlate(None): never
    the customer's row around them). A contact field no recent order has keeps its value (COALESCE
    with the column itself). Constants are written into the SQL: the statement stays under
    psycopg's 4 kB / 50 parameters, so psycopg keeps its converted form instead of parsing it on
    every order.
    """
    theirs = _their_orders().cte("theirs")
    their_ids = select(theirs.c.order_id)
    sales = (
        select(Order.id, Order.total, Order.created_at)
        .where(Order.id.in_(their_ids), Order.status.in_([_sql(status) for status in SALES]))
        .cte("sales")
    )
    sale_ids = select(sales.c.id)
    zero = _sql(0)
    card_refunded = select(func.coalesce(func.sum(Refund.amount), zero)).where(  # card refunds that went through
        Refund.order_id.in_(sale_ids), Refund.status == _sql(RefundStatus.SUCCEEDED.value)
    )
    given_back = select(func.coalesce(func.sum(ManualRefund.amount), zero)).where(ManualRefund.order_id.in_(sale_ids))
    net = (
        func.coalesce(func.sum(sales.c.total), zero)
        - card_refunded.correlate(None).scalar_subquery()
        - given_back.correlate(None).scalar_subquery()
    )
    money = select(net.label("net")).select_from(sales).cte("money")

    def of_sales(column) -> ScalarSelect:
        return select(column).select_from(sales).scalar_subquery()

    table = Customer.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("customer_id"))
        .values(
            orders_count=of_sales(func.count(sales.c.id)),
            spend=select(case((money.c.net > zero, money.c.net), else_=zero)).scalar_subquery(),
            first_order_at=of_sales(func.min(sales.c.created_at)),
            last_order_at=of_sales(func.max(sales.c.created_at)),
            seller_id=_referring_seller(their_ids).scalar_subquery(),
            **_latest_contact(their_ids, table),
        )
    )


def _latest_contact(their_ids: Select, table) -> dict:
    """Each contact field from the newest of the customer's 20 newest orders that has it (a pickup
    order has no city), else the field as it is."""
    newest = (
        select(Order.created_at, Order.id, *(getattr(Order, column) for column in CONTACT_COLUMNS.values()))
        .where(Order.id.in_(their_ids))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(_sql(20))
        .cte("newest")
    )
    found = {}
    for field, column in CONTACT_COLUMNS.items():
        value = newest.c[column]
        latest = (
            select(func.lower(func.trim(value)) if field == "email" else value)
            .where(value.is_not(None), value != _sql(""))
            .order_by(newest.c.created_at.desc(), newest.c.id.desc())
            .limit(_sql(1))
            .scalar_subquery()
        )
        found[field] = func.coalesce(latest, table.c[field])
    return found


def _referring_seller(theirs: Select) -> Select:
    """The seller credited on the customer's latest attributed order (a reversed credit does not count)."""
    return (
        select(CommissionEntry.seller_id)
        .join(Order, Order.id == CommissionEntry.order_id)
        .where(CommissionEntry.order_id.in_(theirs), CommissionEntry.status != "reversed")
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
        .correlate(None)
    )


# -- RFM ---------------------------------------------------------------------------------------


def refresh_rfm(session: Session, now: datetime, zone: tzinfo | None = None) -> int:
    """Store every customer's RFM segment as of the shop's today (the reports' rules); returns how many.

    The same inputs as the reports' customers page over all time: sale orders, their totals, the
    shop day of the last one. Customers without a sale get no segment.
    """
    zone = zone or ZoneInfo("UTC")
    as_of = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    rows = session.execute(
        select(CustomerOrder.customer_id, func.count(Order.id), func.sum(Order.total), func.max(Order.created_at))
        .join(Order, Order.id == CustomerOrder.order_id)
        .where(Order.status.in_(SALES))
        .group_by(CustomerOrder.customer_id)
    ).all()
    stats = [
        rules.CustomerStats(cid, int(n), int(total), last.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date())
        for cid, n, total, last in rows
    ]
    by_segment: dict[str, list[int]] = defaultdict(list)
    for row in rules.rfm(stats, as_of):
        by_segment[row.segment].append(row.key)
    with_sales = (
        select(CustomerOrder.customer_id).join(Order, Order.id == CustomerOrder.order_id).where(Order.status.in_(SALES))
    )
    session.execute(
        update(Customer)
        .where(Customer.rfm_segment != "", Customer.id.not_in(with_sales))
        .values(rfm_segment="", rfm_at=now)
        .execution_options(synchronize_session=False)
    )
    for segment, ids in by_segment.items():
        for start in range(0, len(ids), CHUNK):
            session.execute(
                update(Customer)
                .where(Customer.id.in_(ids[start : start + CHUNK]))
                .values(rfm_segment=segment, rfm_at=now)
                .execution_options(synchronize_session=False)
            )
    session.flush()
    return len(stats)


def rebuild(session: Session, now: datetime, zone: tzinfo | None = None) -> int:
    """Link every order to its customer and recompute every customer (idempotent); returns customers touched."""
    linked = select(CustomerOrder.order_id)
    orders = session.execute(
        select(Order.id, Order.phone, Order.email).where(Order.id.not_in(linked)).order_by(Order.id)
    ).all()
    for order_id, phone, email in orders:
        customer_id = customer_id_for(session, phone, email, now)
        if customer_id is not None:
            insert_ignoring_duplicates(
                session, CustomerOrder, {"order_id": order_id, "customer_id": customer_id}, ["order_id"]
            )
    ids = session.scalars(select(Customer.id).order_by(Customer.id)).all()
    for customer_id in ids:
        refresh(session, customer_id, now)
    refresh_rfm(session, now, zone)
    return len(ids)


# -- consent -------------------------------------------------------------------------------------


def grant_offers(
    session: Session, customer_id: int, channels: list[str] | tuple[str, ...], source: str, now: datetime
) -> list[str]:
    """Record an explicit opt-in on each ticked channel not already on; returns the channels turned on.

    Never turns anything off: an order or form without a tick leaves consent as it was.
    """
    customer = session.get(Customer, customer_id)
    turned_on = []
    for channel in dict.fromkeys(channels):
        if channel in CONSENT_CHANNELS and customer is not None and not consent.allows(customer, channel):
            consent.record(session, customer_id, channel, True, source, now)
            turned_on.append(channel)
    if turned_on:
        session.refresh(customer)
    return turned_on


def grant_offers_for_order(session: Session, order: Order, channels: list[str], source: str, now: datetime) -> None:
    """The opt-in ticked on an order's form, for that order's customer (email only when the order has one)."""
    channels = [c for c in channels if c != "email" or order.email]
    if not channels:  # nothing ticked: consent stays as it was (an order never turns anything off)
        return
    customer_id = customer_of_order(session, order.id)
    if customer_id is None:
        return
    grant_offers(session, customer_id, channels, source, now)


def set_consent_by_staff(
    session: Session, customer_id: int, channel: str, granted: bool, note: str, now: datetime
) -> None:
    """The owner records an opt-out, or an opt-in given in person (which needs a note of how)."""
    if channel not in CONSENT_CHANNELS:
        raise Invalid(N_("Choose a channel."))
    note = " ".join((note or "").split())
    if granted and not note:
        raise Invalid(N_("Say how the customer gave their consent."))
    consent.record(session, customer_id, channel, granted, "admin", now, note)


# -- tags and notes ------------------------------------------------------------------------------


def clean_tag(raw: str) -> str:
    """A tag as stored: trimmed, single-spaced, lower case, 1-40 characters (Invalid otherwise)."""
    tag = " ".join((raw or "").split()).lower()
    if not tag or len(tag) > MAX_TAG:
        raise Invalid(N_("A tag has 1 to %(max)s characters."), max=MAX_TAG)
    return tag


def add_tag(session: Session, customer_id: int, raw: str) -> str:
    """Put a tag on the customer (again is harmless)."""
    tag = clean_tag(raw)
    insert_ignoring_duplicates(session, CustomerTag, {"customer_id": customer_id, "tag": tag}, ["customer_id", "tag"])
    session.flush()
    return tag


def remove_tag(session: Session, customer_id: int, tag: str) -> None:
    """Take a tag off the customer (absent is harmless)."""
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id, CustomerTag.tag == tag))
    session.flush()


def save_note(session: Session, customer: Customer, note: str, now: datetime) -> None:
    """Replace the owner's private note on the customer."""
    if len(note or "") > MAX_NOTE:
        raise Invalid(N_("A note has at most %(max)s characters."), max=MAX_NOTE)
    customer.note = (note or "").strip()
    customer.updated_at = now
    session.flush()
