"""Checkout use-cases: place an order with its payment, and gather what the order page shows.

Like every service: a session and `now` come in, rows are flushed, nothing is committed and
the request is never read (the view hands over the shop's settings and the shopper's channel).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload

from ..cart.models import Cart
from ..customers import service as customers
from ..customers.models import Customer
from ..domain import N_, Invalid, NotFound
from ..inventory.rules import OutOfStock
from ..orders import service as orders
from ..orders.limit_rules import HoardingLimits
from ..orders.limits import current_limits, lock_customer
from ..orders.models import Order
from ..orders.rules import PaymentMethod, check_shown_total
from ..payments import service as payments
from ..payments import transfer_service as transfers
from ..payments.models import Payment
from ..payments.rules import deadlines
from ..payments.transfer_models import TransferPayment
from ..payments.transfer_rules import hold_deadline
from ..promotions import service as promotions
from ..sellers.rules import Touch
from ..sellers.service import Attribution
from ..stores.models import OrderStore
from ..stores.rules import customer_key


@dataclass(frozen=True)
class Placing:
    """What the shopper sent besides their details: the form's key, total shown and transfer method."""

    checkout_key: str
    shown_total: str | None  # the total the page showed for the chosen delivery (None: not sent)
    transfer_method_id: int | None = None  # the transfer method chosen, when paying by transfer
    key_checked: bool = False  # the caller looked the key up in this transaction (orders.place_order)
    cart_locked: bool = False  # the caller locked the cart before reading it (carts.lock_cart)


def place_order(
    session: Session,
    cart: Cart,
    details: orders.CheckoutDetails,
    placing: Placing,
    now: datetime,
    *,
    settings: Mapping,
    channel: orders.Channel,
    limits: HoardingLimits | None = None,
) -> Order:
    """Place the order in the caller's transaction; a card order also opens its payment, a transfer its transfer.

    `settings` is the app's configuration (currency, delivery fee, hoarding-limit defaults);
    `limits` the hoarding limits in force when the caller has them (else they are read here).
    Raises a DomainError (OutOfStock, a limit, a total the shopper did not see, a method switched
    off meanwhile); the caller rolls back, and the cart and stock are as they were.
    """
    # A line whose product was unpublished or archived (or variant archived) since it was added
    # is refused like a sold-out one: the shopper sees it marked in the checkout.
    off_sale = [ln.variant_id for ln in cart.lines if ln.variant.archived or not ln.variant.product.published]
    if off_sale:
        raise OutOfStock(off_sale)
    by_card = details.payment_method == PaymentMethod.CARD
    closes_at, hold_until = deadlines(now) if by_card else (None, None)
    method = None
    if placing.transfer_method_id is not None:  # read in this transaction: switched off meanwhile -> refused
        method = transfers.method_for_checkout(session, placing.transfer_method_id, settings["SHOP_CURRENCY"])
        hold_until = hold_deadline(now, method.hold_hours)
    if not by_card:
        # The customer's lock first, row locks after: taken the other way round, two checkouts
        # from one phone could each hold what the other waits for (PostgreSQL deadlock).
        lock_customer(session, details.phone, channel.client_hash)
    pricing = _CodePricing(session, cart.discount_code, now) if cart.discount_code else None
    if pricing is not None:
        channel = pricing.attributed(channel)
    order = orders.place_order(
        session,
        cart,
        details,
        placing.checkout_key,
        now,
        currency=settings["SHOP_CURRENCY"],
        shipping_fee=settings["SHIPPING_FLAT_FEE"],
        hold_until=hold_until,
        channel=channel,
        limits=current_limits(session, settings) if limits is None else limits,
        discount=pricing,
        key_checked=placing.key_checked,
        cart_locked=placing.cart_locked,
    )
    # None: the same form again (the order exists). Nothing taken off (free delivery at pickup): no use spent.
    if pricing is not None and pricing.found is not None and pricing.found.amount > 0:
        who = customer_key(details.phone, details.email) or f"order:{order.id}"
        promotions.redeem(session, pricing.found, order, who, now)
        cart.discount_code = None  # spent on this order: the next cart starts without it
    check_shown_total(placing.shown_total, order.total)  # raises (and the caller rolls back) on a mismatch
    if order.total == 0 and details.payment_method != PaymentMethod.CASH:  # a payment page for 0 cannot be made
        raise Invalid(
            N_(
                "Your discount covers the whole order, so there is nothing to pay online: "
                "choose to pay on delivery or at pickup."
            )
        )
    if by_card:
        payments.open_payment(session, order, PaymentMethod.CARD, cart.token, closes_at, now)
    if method is not None and transfers.transfer_of(session, order.id) is None:
        transfers.open_transfer(session, order, method, now)
    return order


class _CodePricing:
    """The cart's code, re-validated inside the checkout transaction and priced on the order's own items."""

    def __init__(self, session: Session, raw: str, now: datetime) -> None:
        self.session, self.raw, self.now = session, raw, now
        self.code = promotions.find_code(session, raw)  # an unknown code refuses the checkout: the shopper sees why
        self.found: promotions.Quote | None = None

    def attributed(self, channel: orders.Channel) -> orders.Channel:
        """A seller's code is the shopper's last touch: the order is credited to that seller."""
        seller = self.code.seller
        if seller is None or not seller.active:
            return channel
        earlier = channel.attribution if isinstance(channel.attribution, Attribution) else Attribution()
        touches = (Touch(seller.code, self.now), *(t for t in earlier.touches if t.code != seller.code))
        return replace(channel, attribution=replace(earlier, touches=touches))

    def __call__(self, items: Sequence, shipping: int) -> tuple[int, Sequence[int]]:
        """The discount and each line's share on the items orders.place_order priced."""
        self.found = promotions.quote(self.session, self.raw, items, shipping, self.now)
        return self.found.amount, self.found.applied.line_shares


@dataclass(frozen=True)
class OrderFacts:
    """What the order page shows besides the order: its store and its own way of paying."""

    store: OrderStore | None
    payment: Payment | None
    transfer: TransferPayment | None


def order_page(session: Session, token: str) -> tuple[Order, OrderFacts]:
    """The order page's order by its unguessable token, with its facts, or NotFound.

    The order, its lines and history, its store record and the store: one SELECT (outer joins: an
    order may have no store). A card order's payment or a transfer's transfer is read as before.
    """
    if not orders.TOKEN_RE.match(token or ""):
        raise NotFound(orders.ORDER_NOT_FOUND)
    # Rows repeat the order (lines x steps); its token is unique.
    row = session.execute(_order_page_by_token(), {"token": token}).unique().one_or_none()
    if row is None:
        raise NotFound(orders.ORDER_NOT_FOUND)
    order, store = row
    return order, _facts(session, order, store)


@functools.cache
def _order_page_by_token() -> Select:
    """The order page's one SELECT, built once (every order page asks; a statement kept keeps its cache key).

    Built here, not in orders: the order's store is the stores package's, which sits above orders.
    """
    return (
        select(Order, OrderStore)
        .outerjoin(OrderStore, OrderStore.order_id == Order.id)
        .where(Order.token == bindparam("token"))
        .options(joinedload(Order.lines), joinedload(Order.history), joinedload(OrderStore.store))
    )


def _facts(session: Session, order: Order, store: OrderStore | None) -> OrderFacts:
    """The order's facts with its store record known: its card payment or transfer read by how it is paid."""
    paid_by = order.payment_method
    return OrderFacts(
        store=store,
        payment=payments.payment_of(session, order.id) if paid_by == PaymentMethod.CARD else None,
        transfer=transfers.transfer_of(session, order.id) if paid_by == PaymentMethod.TRANSFER else None,
    )


def customer_of(session: Session, order_id: int, phone: str, email: str) -> int | None:
    """The customer an order belongs to: its link in customer_orders, else the customer of its phone/email."""
    linked = customers.customer_of_order(session, order_id)  # known without a read when linked just now
    if linked is not None:
        return linked
    key = customer_key(phone, email)
    return None if key is None else session.scalar(select(Customer.id).where(Customer.key == key))
