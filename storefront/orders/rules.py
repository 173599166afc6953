"""Pure order rules: the lifecycle table, checkout validation and totals. No Flask here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ..cart.rules import PricedLine
from ..domain import N_, Conflict


class OrderStatus(StrEnum):
    """Where an order stands."""

    AWAITING_PAYMENT = "awaiting_payment"  # card order: stock held until the payment arrives
    AWAITING_TRANSFER = "awaiting_transfer"  # transfer order: stock held until staff see the money
    UNPAID = "unpaid"  # the payment window closed or the payment failed; nothing was charged
    PLACED = "placed"
    CONFIRMED = "confirmed"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


class OrderEvent(StrEnum):
    """What can happen to an order."""

    CONFIRM = "confirm"
    PACK = "pack"
    SHIP = "ship"
    MARK_READY = "mark_ready"
    DELIVER = "deliver"
    COLLECT = "collect"
    CANCEL = "cancel"
    PAY = "pay"  # the card payment arrived (webhook or success page)
    EXPIRE = "expire"  # the card payment failed or its window closed
    RELEASE = "release"  # a cash order nobody confirmed in time: cancelled by the sweep, stock back
    RECEIVE = "receive"  # staff saw the shopper's transfer arrive (with its transaction id)
    REJECT = "reject"  # staff say no transfer arrived (or it was not right): the hold goes back


class PaymentMethod(StrEnum):
    """How the shopper pays."""

    CASH = "cash"  # on delivery, or at pickup
    CARD = "card"  # online, through the payment provider's hosted page
    TRANSFER = "transfer"  # mobile money or bank transfer to the owner, confirmed by staff


class Delivery(StrEnum):
    """How the goods reach the shopper."""

    DELIVERY = "delivery"
    PICKUP = "pickup"


S, E = OrderStatus, OrderEvent

# The lifecycle: (status, event) -> new status. Anything not listed is refused.
# Shipping only applies to deliveries and "ready for pickup" only to pickups (see next_status).
TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (S.AWAITING_PAYMENT, E.PAY): S.PLACED,
    (S.AWAITING_PAYMENT, E.EXPIRE): S.UNPAID,
    (S.AWAITING_TRANSFER, E.RECEIVE): S.PLACED,
    (S.AWAITING_TRANSFER, E.REJECT): S.UNPAID,
    (S.AWAITING_TRANSFER, E.EXPIRE): S.UNPAID,  # the hold ran out: released by the sweep only
    (S.UNPAID, E.RECEIVE): S.PLACED,  # a late transfer, accepted only while the stock is still there
    (S.UNPAID, E.PAY): S.PLACED,  # a late payment, accepted only while the stock is still there
    (S.UNPAID, E.CANCEL): S.CANCELLED,
    (S.PLACED, E.CONFIRM): S.CONFIRMED,
    (S.PLACED, E.CANCEL): S.CANCELLED,
    (S.PLACED, E.RELEASE): S.CANCELLED,  # only cash orders (orders.service.release_unconfirmed_cash_orders)
    (S.CONFIRMED, E.PACK): S.PACKED,
    (S.CONFIRMED, E.CANCEL): S.CANCELLED,
    (S.PACKED, E.SHIP): S.SHIPPED,
    (S.PACKED, E.MARK_READY): S.READY_FOR_PICKUP,
    (S.PACKED, E.CANCEL): S.CANCELLED,
    (S.SHIPPED, E.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, E.COLLECT): S.COLLECTED,
    (S.READY_FOR_PICKUP, E.CANCEL): S.CANCELLED,
}
_ONLY_FOR = {
    E.SHIP: Delivery.DELIVERY,
    E.DELIVER: Delivery.DELIVERY,
    E.MARK_READY: Delivery.PICKUP,
    E.COLLECT: Delivery.PICKUP,
}

# Orders in these statuses count as sales in reports and dashboards (card orders count once
# paid; cancelled orders never).
SALE_STATUSES = frozenset({S.PLACED, S.CONFIRMED, S.PACKED, S.SHIPPED, S.READY_FOR_PICKUP, S.DELIVERED, S.COLLECTED})

# What each lifecycle step means for a seller's commission on the order (sellers.subscribers applies
# these; repeated or late steps change nothing). Cash is collected on delivery or at pickup, so
# those steps also count as "paid"; delivery and collection start the return window.
COMMISSION_STEPS: dict[OrderEvent, tuple[str, ...]] = {
    E.PAY: ("paid",),
    E.RECEIVE: ("paid",),
    E.DELIVER: ("paid", "completed"),
    E.COLLECT: ("paid", "completed"),
    E.CANCEL: ("cancelled",),
    E.EXPIRE: ("cancelled",),
    E.RELEASE: ("cancelled",),
    E.REJECT: ("cancelled",),
}

# Only the payment provider's news (or the sweep, for RELEASE) moves an order with these
# events; never a person.
SYSTEM_EVENTS = frozenset({E.PAY, E.EXPIRE, E.RELEASE})
# A person applies these, but only through their own form (a transfer is received with its
# transaction id: payments.transfer_service.receive_transfer), never as a bare lifecycle button.
FORM_ONLY_EVENTS = frozenset({E.RECEIVE})


# A payment refunded in full leaves nothing to fulfil the order with: these steps are refused
# (cancel it instead). Delivery and collection stay possible: they record what already happened.
NOT_AFTER_FULL_REFUND = frozenset({E.CONFIRM, E.PACK, E.SHIP, E.MARK_READY})


class Stock(StrEnum):
    """What an order in a given status does to its lines' stock."""

    NONE = "none"  # nothing: not yet paid for, or given back
    HELD = "held"  # reserved (counted against availability, still on the shelf)
    TAKEN = "taken"  # off the shelf


# The stock each status implies; a transition moves stock from one state to the other (see
# inventory.service.move_stock), so "cancel" gives back what was taken and "expire" what was held.
STOCK_STATE: dict[OrderStatus, Stock] = {
    S.AWAITING_PAYMENT: Stock.HELD,
    S.AWAITING_TRANSFER: Stock.HELD,
    S.UNPAID: Stock.NONE,
    S.CANCELLED: Stock.NONE,
    **{status: Stock.TAKEN for status in SALE_STATUSES},
}

# The steps a shopper sees on the order page, per delivery method.
TIMELINE = {
    Delivery.DELIVERY: (S.PLACED, S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED),
    Delivery.PICKUP: (S.PLACED, S.CONFIRMED, S.PACKED, S.READY_FOR_PICKUP, S.COLLECTED),
}


class TransitionRefused(Conflict):
    """The event is not allowed in the order's current status."""

    code = "transition_refused"


def next_status(status: str, event: str, delivery: str) -> OrderStatus:
    """The status after `event`, or TransitionRefused when the table does not allow it."""
    try:
        key = (OrderStatus(status), OrderEvent(event))
        method = Delivery(delivery)
    except ValueError as exc:
        raise TransitionRefused(N_("Unknown status or event.")) from exc
    if key not in TRANSITIONS or _ONLY_FOR.get(key[1], method) != method:
        raise TransitionRefused(
            N_("An order that is %(status)s cannot take the step %(event)s."), status=status, event=event
        )
    return TRANSITIONS[key]


def check_not_refunded(event: str, refunded_in_full: bool) -> None:
    """Refuse to confirm, pack or send an order whose payment was refunded in full."""
    if refunded_in_full and event in NOT_AFTER_FULL_REFUND:
        raise TransitionRefused(
            N_("This order's payment was refunded in full, so it cannot be confirmed, packed or sent.")
        )


def allowed_events(status: str, delivery: str, refunded_in_full: bool = False) -> list[OrderEvent]:
    """Events a person may apply now, in table order (payment events are the provider's)."""
    result = []
    for (from_status, event), _to in TRANSITIONS.items():
        if event in SYSTEM_EVENTS or event in FORM_ONLY_EVENTS or (refunded_in_full and event in NOT_AFTER_FULL_REFUND):
            continue
        if from_status == status and _ONLY_FOR.get(event, Delivery(delivery)) == delivery:
            result.append(event)
    return result


@dataclass(frozen=True)
class Totals:
    """Order money, all in minor units of one currency."""

    subtotal: int
    shipping: int
    discount: int = 0  # a discount code's amount (promotions prices it; never above subtotal + shipping)

    @property
    def total(self) -> int:
        """What the shopper pays."""
        return self.subtotal + self.shipping - self.discount


def compute_totals(lines: list[PricedLine], delivery: str, flat_fee: int) -> Totals:
    """Subtotal of the lines plus the delivery fee (pickup is free)."""
    subtotal = sum(line.total for line in lines)
    shipping = flat_fee if delivery == Delivery.DELIVERY and lines else 0
    return Totals(subtotal=subtotal, shipping=shipping)


def totals_by_delivery(lines: list[PricedLine], flat_fee: int) -> dict[Delivery, Totals]:
    """The totals for each way of getting the goods, so a page can show the one the shopper picks."""
    return {method: compute_totals(lines, method, flat_fee) for method in Delivery}


class TotalChanged(Conflict):
    """The total about to be charged is not the one the shopper was shown."""

    code = "total_changed"


def check_shown_total(shown: str | None, charged: int) -> None:
    """Refuse to charge a total other than the one shown (no figure sent: nothing to compare)."""
    text = (shown or "").strip()
    if not text:
        return
    if not (text.isascii() and text.isdigit() and len(text) < 16) or int(text) != charged:
        raise TotalChanged(
            N_("The total has changed since the page was shown. Please check it and place the order again.")
        )


PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{6,24}$")


def normalise_phone(raw: str) -> str | None:
    """A phone number with only digits and a leading +, or None when it does not look like one."""
    text = (raw or "").strip()
    if not PHONE_RE.match(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if not 6 <= len(digits) <= 15:
        return None
    return ("+" if text.startswith("+") else "") + digits
