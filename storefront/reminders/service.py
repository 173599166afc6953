"""Reminder use-cases: the owner's settings, and finding and queueing due cart and lapse reminders.

Each takes a session and `now`, flushes and never commits (the job worker or the view commits).
A reminder is queued at most once: a cart is claimed with a conditional UPDATE of reminded_at
(two workers: one wins), a lapse is keyed by the customer's last order date, and every message
is logged in reminder_messages under a unique (key, channel).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from ..cart.models import Cart, CartLine
from ..catalog.generation import mark_changed
from ..customers.consent import FLAG
from ..customers.models import Customer, CustomerOrder
from ..notify.service import base_url
from ..orders.models import Order
from ..orders.rules import OrderStatus
from ..promotions import service as promotions
from . import rules, sending
from .models import ReminderMessage, ReminderSettings

BATCH = 500  # carts or customers looked at per run; the next run takes the rest
CART_STALE = timedelta(days=7)  # a cart untouched for a week is forgotten, not "waiting"
NOT_SALES = (OrderStatus.CANCELLED, OrderStatus.UNPAID)  # orders that do not count as buying


# -- settings ----------------------------------------------------------------------------------


def load_settings(session: Session) -> rules.Settings:
    """The owner's reminder settings (the defaults until saved)."""
    row = session.scalars(select(ReminderSettings).order_by(ReminderSettings.id).limit(1)).first()
    if row is None:
        return rules.DEFAULTS
    return rules.Settings(
        cart_on=row.cart_on,
        cart_hours=row.cart_hours,
        lapse_on=row.lapse_on,
        lapse_factor_pct=row.lapse_factor_pct,
        lapse_min_days=row.lapse_min_days,
        lapse_code=row.lapse_code,
        push_on=row.push_on,
        stock_on=row.stock_on,
        email_on=row.email_on,
    )


def save_settings(session: Session, settings: rules.Settings, user_id: int | None, now: datetime) -> None:
    """Save the owner's settings (parsed and checked by rules.parse_settings; the lapse code must exist)."""
    if load_settings(session).stock_on != settings.stock_on:
        mark_changed(session)  # cached product pages show or hide the back-in-stock form at once
    if settings.lapse_code:
        settings = dataclasses.replace(settings, lapse_code=promotions.check_known_code(session, settings.lapse_code))
    row = session.scalars(select(ReminderSettings).order_by(ReminderSettings.id).limit(1)).first()
    if row is None:
        row = ReminderSettings()
        session.add(row)
    for name, value in vars(settings).items():
        setattr(row, name, value)
    row.updated_at, row.updated_by = now, user_id
    session.flush()


def back_in_stock_on(session: Session) -> bool:
    """Whether the owner offers "tell me when it's back" (notify asks through app.extensions)."""
    return load_settings(session).stock_on


# -- queueing ----------------------------------------------------------------------------------


def _consenting(channels: tuple[str, ...]):
    """SQL: the customer opted in on at least one of `channels`."""
    return or_(*(FLAG[channel].is_(True) for channel in channels))


@contextmanager
def _message_context(locale: str) -> Iterator[None]:
    """Links built against the shop's address, texts in the customer's language."""
    with current_app.test_request_context("/", base_url=base_url()), force_locale(locale or _shop_locale()):
        yield


def _shop_locale() -> str:
    return current_app.config.get("SHOP_LOCALE", "en")


def _queue(
    session: Session, kind: str, key: str, customer: Customer, channels: tuple[str, ...], text: dict, now: datetime
) -> int:
    """Queue one message per consenting channel through notify's marketing door; log each; the count."""
    queued = 0
    for channel in channels:
        logged = select(ReminderMessage.id).where(ReminderMessage.key == key, ReminderMessage.channel == channel)
        if session.scalar(logged) is not None:
            continue
        if sending.queue_marketing(session, key=key, customer=customer, channel=channel, now=now, **text):
            session.add(ReminderMessage(kind=kind, key=key, customer_id=customer.id, channel=channel, queued_at=now))
            queued += 1
    session.flush()
    return queued


# -- the cart reminder -------------------------------------------------------------------------


def due_cart_ids(session: Session, settings: rules.Settings, now: datetime) -> list[int]:
    """Carts with lines, untouched for the set hours, of a consenting customer, not reminded, not ordered since."""
    if not settings.cart_on or not settings.channels:
        return []
    cutoff = now - timedelta(hours=settings.cart_hours)
    ordered_since = (
        select(CustomerOrder.order_id)
        .join(Order, Order.id == CustomerOrder.order_id)
        .where(CustomerOrder.customer_id == Cart.customer_id, Order.created_at >= Cart.updated_at)
    )
    stmt = (
        select(Cart.id)
        .join(Customer, Customer.id == Cart.customer_id)
        .where(
            Cart.reminded_at.is_(None),
            Cart.updated_at <= cutoff,
            Cart.updated_at > now - CART_STALE,
            exists().where(CartLine.cart_id == Cart.id),
            _consenting(settings.channels),
            ~ordered_since.exists(),
        )
        .order_by(Cart.id)
        .limit(BATCH)
    )
    return list(session.scalars(stmt))


def claim_cart(session: Session, cart_id: int, cutoff: datetime, now: datetime) -> bool:
    """Mark the cart reminded, if nobody did and it was not touched since `cutoff`; True when this call did."""
    result = session.execute(
        update(Cart)
        .where(Cart.id == cart_id, Cart.reminded_at.is_(None), Cart.updated_at <= cutoff)
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remind_carts(session: Session, now: datetime) -> int:
    """Queue "your cart is waiting" for each due cart, once per cart; the number of messages queued."""
    settings = load_settings(session)
    cutoff = now - timedelta(hours=settings.cart_hours)
    queued = 0
    for cart_id in due_cart_ids(session, settings, now):
        if not claim_cart(session, cart_id, cutoff, now):
            continue  # another worker took it, or the shopper touched it meanwhile
        customer = session.get(Customer, session.scalar(select(Cart.customer_id).where(Cart.id == cart_id)))
        with _message_context(customer.locale):
            text = {
                "locale": customer.locale or _shop_locale(),
                "title": _("Your cart is waiting"),
                "body": _("The things you chose are still in your cart. Finish your order whenever you like."),
                "url": url_for("cart.view", _external=True),
            }
            queued += _queue(session, "cart", rules.cart_key(cart_id), customer, settings.channels, text, now)
    return queued


# -- the lapse reminder ------------------------------------------------------------------------


def _lapse_candidates(session: Session, settings: rules.Settings, now: datetime, after_id: int) -> list[Customer]:
    """Consenting customers whose last order is older than the floor, not yet reminded of this lapse."""
    reminded = exists().where(
        ReminderMessage.customer_id == Customer.id,
        ReminderMessage.kind == "lapse",
        ReminderMessage.queued_at >= Customer.last_order_at,
    )
    stmt = (
        select(Customer)
        .where(
            Customer.id > after_id,
            Customer.last_order_at.is_not(None),
            Customer.last_order_at <= now - timedelta(days=settings.lapse_min_days),
            _consenting(settings.channels),
            ~reminded,
        )
        .order_by(Customer.id)
        .limit(BATCH)
    )
    return list(session.scalars(stmt))


def order_dates(session: Session, customer_ids: list[int]) -> dict[int, list[datetime]]:
    """Each customer's sale orders' dates (cancelled and unpaid ones do not count)."""
    stmt = (
        select(CustomerOrder.customer_id, Order.created_at)
        .join(Order, Order.id == CustomerOrder.order_id)
        .where(CustomerOrder.customer_id.in_(customer_ids), Order.status.not_in(NOT_SALES))
    )
    dates: dict[int, list[datetime]] = {}
    for customer_id, created_at in session.execute(stmt):
        dates.setdefault(customer_id, []).append(created_at)
    return dates


def remind_lapsed(session: Session, now: datetime) -> int:
    """Queue the lapse reminder (with the optional code) once per lapse; the number of messages queued."""
    settings = load_settings(session)
    if not settings.lapse_on or not settings.channels:
        return 0
    queued, after_id = 0, 0
    while candidates := _lapse_candidates(session, settings, now, after_id):
        after_id = candidates[-1].id
        dates = order_dates(session, [c.id for c in candidates])
        for customer in candidates:
            # The customers' own figure is the last sale order; their linked orders give the rhythm.
            own = {d for d in dates.get(customer.id, []) if d <= customer.last_order_at} | {customer.last_order_at}
            if not rules.is_lapsed(own, settings.lapse_factor_pct, settings.lapse_min_days, now):
                continue
            key = rules.lapse_key(customer.id, customer.last_order_at.date())
            queued += _queue(session, "lapse", key, customer, settings.channels, _lapse_text(customer, settings), now)
    return queued


def _lapse_text(customer: Customer, settings: rules.Settings) -> dict:
    """The lapse message in the customer's language, with the code when the owner set one."""
    with _message_context(customer.locale):
        body = _("It has been a while since your last order. Come and see what is new.")
        if settings.lapse_code:
            body += " " + _("Use the code %(code)s on your next order.", code=settings.lapse_code)
        return {
            "locale": customer.locale or _shop_locale(),
            "title": _("We miss you"),
            "body": body,
            "url": url_for("catalog.home", _external=True),
        }
