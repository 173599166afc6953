"""Hoarding limits on the database: the owner's settings, and counting open cash orders safely.

The counts hold across workers and servers because they are read from the database inside the
transaction that places the order, after taking a lock that every order from the same phone or
address must also take: SQLite's write transactions are already serial (BEGIN IMMEDIATE, see
db.py); on PostgreSQL a transaction-scoped advisory lock per phone and per address makes two
concurrent orders take turns, so the second one counts the first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..db import outer_transaction
from .limit_rules import (
    DEFAULT_LIMITS,
    LIMIT_RANGES,
    HoardingLimits,
    check_limits,
    check_open_orders,
    lock_key,
    phone_key,
    phone_spellings,
)
from .models import Order, OrderLimitSettings
from .rules import OrderStatus, PaymentMethod

log = logging.getLogger(__name__)

# Orders still going somewhere (neither finished nor cancelled): what staff mean by "open".
OPEN_STATUSES = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.AWAITING_TRANSFER,
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.PACKED,
    OrderStatus.SHIPPED,
    OrderStatus.READY_FOR_PICKUP,
)
_HELD_LOCKS = "customer_locks"  # Session.info: (the transaction, the advisory keys it holds)
CONFIG_KEYS = {
    "max_units_per_order": "ORDER_MAX_UNITS",
    "max_open_per_phone": "ORDER_MAX_OPEN_PER_PHONE",
    "max_open_per_address": "ORDER_MAX_OPEN_PER_ADDRESS",
    "release_after_hours": "ORDER_RELEASE_AFTER_HOURS",
}


def config_defaults(config: Mapping) -> HoardingLimits:
    """The limits from the app config (environment); a value out of range falls back to the built-in default."""
    values = {}
    for name, key in CONFIG_KEYS.items():
        value, (low, high) = config.get(key), LIMIT_RANGES[name]
        if not isinstance(value, int) or not low <= value <= high:
            fallback = getattr(DEFAULT_LIMITS, name)
            if value is not None:
                log.warning("%s=%r is out of range %s..%s; using %s", key, value, low, high, fallback)
            value = fallback
        values[name] = value
    return check_limits(values)


def current_limits(session: Session, config: Mapping) -> HoardingLimits:
    """The limits in force: the owner's saved settings, else the config defaults."""
    row = session.scalar(select(OrderLimitSettings).order_by(OrderLimitSettings.id))
    if row is None:
        return config_defaults(config)
    return HoardingLimits(
        row.max_units_per_order, row.max_open_per_phone, row.max_open_per_address, row.release_after_hours
    )


def save_limits(session: Session, values: dict[str, int], user_id: int | None, now: datetime) -> HoardingLimits:
    """Save the owner's limits (validated by the pure rule; Invalid when out of range)."""
    limits = check_limits(values)
    row = session.scalar(select(OrderLimitSettings).order_by(OrderLimitSettings.id))
    if row is None:
        row = OrderLimitSettings(id=1)
        session.add(row)
    row.max_units_per_order, row.max_open_per_phone = limits.max_units_per_order, limits.max_open_per_phone
    row.max_open_per_address, row.release_after_hours = limits.max_open_per_address, limits.release_after_hours
    row.updated_at, row.updated_by = now, user_id
    session.flush()
    return limits


def _same_phone(phone: str):
    """SQL condition: the order's phone is this one (with or without its leading + or 00)."""
    return Order.phone.in_(phone_spellings(phone))


def _unconfirmed_cash():
    """SQL condition: a cash order placed and not yet confirmed by staff."""
    return (Order.status == OrderStatus.PLACED) & (Order.payment_method == PaymentMethod.CASH)


def _unpaid_hold():
    """SQL condition: an unconfirmed cash order, or a transfer order whose money nobody has seen.

    Both take stock off the shelf before any money is in, so both count against the hoarding
    limits. Only cash orders are released by `release_after_hours`; a transfer's hold has its
    own deadline (payments.transfer_service.release_expired_transfers).
    """
    return _unconfirmed_cash() | (Order.status == OrderStatus.AWAITING_TRANSFER)


def lock_customer(session: Session, phone: str, client_hash: str | None) -> None:
    """Make concurrent orders from this phone or address take turns until this transaction ends.

    PostgreSQL: advisory transaction locks, in a fixed order so two orders sharing only the
    address cannot deadlock. SQLite: the write transaction already holds the database's one
    write lock (BEGIN IMMEDIATE), so nothing more is needed.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({lock_key("phone", phone_key(phone)), *([lock_key("address", client_hash)] if client_hash else [])})
    transaction, held = session.info.get(_HELD_LOCKS, (None, ()))
    if transaction is outer_transaction(session) and set(keys) <= set(held):
        return  # taken earlier in this transaction (the checkout, then the count): held until it ends
    # One statement: PostgreSQL evaluates a select list left to right, so the locks are still
    # taken one after the other in the sorted order (a round trip less than one per lock).
    calls = ", ".join(f"pg_advisory_xact_lock(:k{n})" for n in range(len(keys)))
    session.execute(text(f"SELECT {calls}"), {f"k{n}": key for n, key in enumerate(keys)})  # noqa: S608 - no input
    session.info[_HELD_LOCKS] = (outer_transaction(session), keys)


def check_open_cash_orders(session: Session, phone: str, client_hash: str | None, limits: HoardingLimits) -> None:
    """Lock this customer, count their unpaid cash and transfer orders, and refuse one more over the limit."""
    if not (limits.max_open_per_phone or limits.max_open_per_address):
        return
    lock_customer(session, phone, client_hash)
    counts = [select(func.count(Order.id)).where(_unpaid_hold(), _same_phone(phone)).scalar_subquery()]
    if client_hash:  # both counts in one round trip
        by_address = select(func.count(Order.id)).where(_unpaid_hold(), Order.client_hash == client_hash)
        counts.append(by_address.scalar_subquery())
    found = session.execute(select(*counts)).one()
    check_open_orders(found[0] or 0, (found[1] or 0) if client_hash else 0, limits)


@dataclass(frozen=True)
class CustomerHistory:
    """What staff see about who placed an order: new customer, or how many orders are open."""

    earlier_orders: int  # orders from this phone placed before this one, any status
    open_from_phone: int  # open orders from this phone, this one included when open
    open_from_address: int  # open orders from the same client address, this one included

    @property
    def new_customer(self) -> bool:
        """This is the first order from this phone."""
        return self.earlier_orders == 0


def customer_history(session: Session, order: Order) -> CustomerHistory:
    """Earlier and open orders from the order's phone, and open orders from its client address."""
    phone = _same_phone(order.phone)
    others = session.scalar(select(func.count(Order.id)).where(phone, Order.id < order.id)) or 0
    open_phone = session.scalar(select(func.count(Order.id)).where(phone, Order.status.in_(OPEN_STATUSES))) or 0
    open_address = 0
    if order.client_hash:
        stmt = select(func.count(Order.id)).where(
            Order.client_hash == order.client_hash, Order.status.in_(OPEN_STATUSES)
        )
        open_address = session.scalar(stmt) or 0
    return CustomerHistory(others, open_phone, open_address)


def unconfirmed_cash_orders_before(session: Session, cutoff: datetime, limit: int) -> list[int]:
    """Ids of cash orders placed before `cutoff` and still unconfirmed, oldest first."""
    stmt = select(Order.id).where(_unconfirmed_cash(), Order.created_at < cutoff).order_by(Order.created_at)
    return list(session.scalars(stmt.limit(limit)))
