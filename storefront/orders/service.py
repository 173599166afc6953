"""Order use-cases: place an order from a cart, move it along the lifecycle, look it up."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from ..cart import service as carts
from ..cart.models import Cart
from ..core.events import announce
from ..db import keep_written, write_new
from ..domain import N_, Invalid, NotFound
from ..inventory import service as inventory
from . import limits as hoarding
from .events import ORDER_PLACED, ORDER_STATUS_CHANGED
from .limit_rules import HoardingLimits, check_units
from .models import Order, OrderLine, OrderStatusChange
from .rules import (
    NOT_AFTER_FULL_REFUND,
    STOCK_STATE,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    TransitionRefused,
    check_not_refunded,
    compute_totals,
    next_status,
)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ORDER_NOT_FOUND = N_("We could not find that order.")  # a token of no order, or not shaped like one
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


@dataclass(frozen=True)
class CheckoutDetails:
    """What the shopper typed at checkout, already validated by the form."""

    customer_name: str
    phone: str
    email: str
    delivery_method: str
    payment_method: str
    street: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    note: str = ""
    pickup_store_id: int | None = None  # the store chosen for pickup


@dataclass(frozen=True)
class Channel:
    """Who and where the order came through, read from the request by the view."""

    # The seller links the shopper arrived by (a sellers.service.Attribution, read by the
    # sellers' subscriber; typed loosely because orders sit below sellers), if any.
    attribution: object | None = None
    chosen_store_id: int | None = None  # the store the shopper picked on /stores
    client_hash: str | None = None  # limit_rules.client_hash of the client's address
    locale: str = ""  # the shopper's language (their order's messages speak it)


def new_reference() -> str:
    """A short random order reference like 'K7F3-Q2XD' (not a sequence: ids stay private)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def find_by_checkout_key(session: Session, checkout_key: str) -> Order | None:
    """The order already placed from this checkout form, if any (double submits)."""
    return session.scalars(_order_by_checkout_key(), {"checkout_key": checkout_key}).first()


@functools.cache
def _order_by_checkout_key() -> Select:
    """find_by_checkout_key's SELECT, built once: every checkout asks (built anew it cost more than its round trip)."""
    return select(Order).where(Order.checkout_key == bindparam("checkout_key"))


def place_order(
    session: Session,
    cart: Cart,
    details: CheckoutDetails,
    checkout_key: str,
    now: datetime,
    *,
    currency: str,
    shipping_fee: int,
    hold_until: datetime | None = None,
    channel: Channel = Channel(),
    limits: HoardingLimits | None = None,
    discount: Callable[[Sequence[carts.CartItem], int], tuple[int, Sequence[int]]] | None = None,
    key_checked: bool = False,
    cart_locked: bool = False,
) -> Order:
    """Turn the cart into an order, taking stock atomically; idempotent per checkout_key.

    A cash order takes its stock and empties the cart. A card order holds its stock until
    `hold_until` and leaves the cart alone: the caller empties it once the payment page is
    ready, so a payment provider that is down costs the shopper nothing.
    With `limits` (the shopper's checkout passes the owner's), an order with too many units
    or one cash order too many from the same phone or address is refused.
    `discount` (the checkout passes the cart's code, priced by promotions, which sits above
    orders) maps the priced items and the delivery fee to (amount, each line's share).
    Raises OutOfStock (naming the lines), Invalid or a limit_rules.LimitError; the caller
    rolls back, so the cart and the stock are then exactly as they were.
    `cart_locked`: the caller touched (locked) the cart before reading it, in this transaction.
    `key_checked`: the caller already looked the key up in this transaction (the checkout view),
    so it is not read again; a twin placed meanwhile then meets the UNIQUE checkout_key (or the
    emptied cart, or a limit) before any stock moves, and the caller, after its rollback, shows
    the order the twin made.
    """
    existing = None if key_checked else find_by_checkout_key(session, checkout_key)
    if existing is not None:
        return existing
    # Touch the cart first: on PostgreSQL this row lock makes two tabs checking out the same
    # cart take turns, and the second then sees the emptied cart. `cart_locked`: the caller did
    # (carts.lock_cart) before reading the cart, so its lines are already read after the lock.
    if not cart_locked:
        carts.lock_and_reload(session, cart, now)
    items = carts.cart_items(cart, now)  # priced at now: a sale that ended since the cart page is over
    if not items:
        raise Invalid(N_("Your cart is empty."))
    totals = compute_totals(carts.priced_lines(items), details.delivery_method, shipping_fee)
    off, shares = discount(items, totals.shipping) if discount is not None else (0, [0] * len(items))
    if not 0 <= off <= totals.total or len(shares) != len(items) or sum(shares) > off:
        raise ValueError("a discount is at most the total, with a share per line")
    by_card = details.payment_method == PaymentMethod.CARD
    by_transfer = details.payment_method == PaymentMethod.TRANSFER
    if (by_card or by_transfer) and hold_until is None:
        raise ValueError("a card or transfer order needs a hold deadline")
    if limits is not None:
        check_units(sum(item.quantity for item in items), limits)
        if not by_card:  # counted under a lock, in this transaction: concurrent orders take turns
            hoarding.check_open_cash_orders(session, details.phone, channel.client_hash, limits)
    status = _first_status(details.payment_method)
    order = Order(
        token=secrets.token_urlsafe(24),
        reference=new_reference(),
        checkout_key=checkout_key,
        status=status,
        hold_expires_at=hold_until if by_card or by_transfer else None,
        client_hash=channel.client_hash,
        locale=channel.locale,
        currency=currency,
        subtotal=totals.subtotal,
        shipping=totals.shipping,
        discount=off,
        total=totals.total - off,
        created_at=now,
        updated_at=now,
        **{k: v for k, v in details.__dict__.items() if k != "pickup_store_id"},
    )
    for item, share in zip(items, shares, strict=True):
        product = item.variant.product
        order.lines.append(
            OrderLine(
                variant_id=item.variant.id,
                product_slug=product.slug,
                title=product.title,
                variant_name=item.variant.name,
                sku=item.variant.sku,
                unit_price=item.unit_price,
                quantity=item.quantity,
                discount=share,
            )
        )
    order.history.append(OrderStatusChange(from_status=None, to_status=status, event="place", created_at=now))
    _write(session, order)
    lines = [(i.variant.id, i.quantity) for i in items]
    inventory.move_stock(session, lines, "none", STOCK_STATE[status], order.id, now)
    if not by_card:
        carts.empty_cart(session, cart)
        session.flush()
    announce(
        session,
        ORDER_PLACED,
        order=order,
        now=now,
        cart_token=cart.token,
        pickup_store_id=details.pickup_store_id,
        chosen_store_id=channel.chosen_store_id,
        attribution=channel.attribution,
        sold=not (by_card or by_transfer),  # card and transfer orders are sales once paid
    )
    return order


def _write(session: Session, order: Order) -> None:
    """Write the new order, its lines and first step with Core (three INSERTs, the lines in one) and keep
    them in the session as persistent: the unit of work's bookkeeping bought nothing here (issue 22)."""
    session.flush()  # anything pending first, as the flush that wrote the order did
    write_new(session, [order])
    for child in (*order.lines, *order.history):
        child.order_id = order.id
    write_new(session, order.lines)
    write_new(session, order.history)
    keep_written(session, order, *order.lines, *order.history)


def _first_status(payment_method: str) -> OrderStatus:
    """A card order awaits its payment, a transfer order its transfer; a cash order is placed."""
    if payment_method == PaymentMethod.CARD:
        return OrderStatus.AWAITING_PAYMENT
    if payment_method == PaymentMethod.TRANSFER:
        return OrderStatus.AWAITING_TRANSFER
    return OrderStatus.PLACED


def find_order(session: Session, token: str) -> Order:
    """An order by its unguessable token, or NotFound."""
    if not TOKEN_RE.match(token or ""):
        raise NotFound(ORDER_NOT_FOUND)
    # Rows repeat the order (lines x steps); its token is unique.
    order = session.scalars(_order_by_token(), {"token": token}).unique().one_or_none()
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    return order


@functools.cache
def _order_by_token() -> Select:
    """The order with its lines and history: one joined SELECT (an order has a few lines and a short
    history), built once: every order page asks."""
    return (
        select(Order)
        .where(Order.token == bindparam("token"))
        .options(joinedload(Order.lines), joinedload(Order.history))
    )


def apply_event(
    session: Session, order: Order, event: str, now: datetime, user_id: int | None = None, note: str = ""
) -> Order:
    """Move an order along the lifecycle table; the one place an order's status changes.

    The UPDATE is guarded by the status we read, so two people pressing "cancel" at once
    cancel (and restock) once; the loser gets TransitionRefused. The stock follows the
    statuses' STOCK_STATE (a hold becomes a take on payment, is released on expiry; a cancel
    gives back what was taken); taking can raise OutOfStock, and the caller rolls back.
    """
    from_status = order.status
    to_status = next_status(from_status, event, order.delivery_method)
    if event in NOT_AFTER_FULL_REFUND:
        check_not_refunded(event, refunded_in_full(session, order))
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == from_status)
        .values(status=to_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(order)
        raise TransitionRefused(N_("This order changed meanwhile; reload the page and try again."))
    session.add(
        OrderStatusChange(
            order_id=order.id,
            from_status=from_status,
            to_status=to_status,
            event=event,
            user_id=user_id,
            note=note[:200],
            created_at=now,
        )
    )
    lines = [(ln.variant_id, ln.quantity) for ln in order.lines]
    inventory.move_stock(
        session, lines, STOCK_STATE[OrderStatus(from_status)], STOCK_STATE[to_status], order.id, now, user_id
    )
    announce(
        session,
        ORDER_STATUS_CHANGED,
        order=order,
        old_status=OrderStatus(from_status),
        new_status=to_status,
        event=OrderEvent(event),
        now=now,
        user_id=user_id,
    )
    session.flush()
    session.expire(order)
    return order


def refunded_in_full(session: Session, order: Order) -> bool:
    """True when the order's online payment is refunded (or being refunded) in full."""
    payment = getattr(order, "payment", None)  # the backref storefront.payments.models adds
    if payment is None:
        return False
    session.refresh(payment, ["amount", "amount_refunded"])  # a refund may have just been booked
    return payment.amount_refunded >= payment.amount


def release_unconfirmed_cash_orders(session: Session, now: datetime, after_hours: int, limit: int = 200) -> int:
    """Cancel cash orders nobody confirmed within `after_hours`, giving their stock back; 0 hours: never.

    Run by the periodic sweep (the expire-holds command), never in a shopper's request. Each
    order goes through apply_event's guarded transition, so a member of staff confirming it
    at the same moment wins or loses cleanly: a confirmed order is never released.
    """
    if after_hours <= 0:
        return 0
    released = 0
    for order_id in hoarding.unconfirmed_cash_orders_before(session, now - timedelta(hours=after_hours), limit):
        order = session.get(Order, order_id)
        try:  # a refused step (staff confirmed it meanwhile) wrote nothing
            apply_event(session, order, OrderEvent.RELEASE, now, note="Not confirmed in time.")
            released += 1
        except TransitionRefused:
            continue
    return released
