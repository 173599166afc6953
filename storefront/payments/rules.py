"""Pure payment rules: payment states, how long stock is held, what a refund may be. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..domain import N_, Invalid
from ..money import format_amount_plain
from ..orders.rules import OrderEvent
from .provider import SessionState

# Stripe lets a Checkout Session live 30 minutes at least; one more keeps clear of clock skew.
SESSION_MINUTES = 31
# The hold outlives the page a little, so a payment made in its last second still finds its stock.
HOLD_GRACE_MINUTES = 5
# "Pay now" after the page timed out opens a new one, but never holds stock longer than this
# after the order was placed (or a shopper could keep units off the shelf for ever).
MAX_HOLD_MINUTES = 120


class PaymentStatus(StrEnum):
    """Where an online payment stands."""

    PENDING = "pending"  # the page is open
    PROCESSING = "processing"  # paid by a slow method (bank debit): the money is on its way
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


class RefundStatus(StrEnum):
    """Where a refund stands."""

    PENDING = "pending"  # asked for; the provider's answer is not in yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# What the provider's news means for the payment and for the order.
STATUS_FOR_STATE = {
    SessionState.OPEN: PaymentStatus.PENDING,
    SessionState.PROCESSING: PaymentStatus.PROCESSING,
    SessionState.PAID: PaymentStatus.PAID,
    SessionState.FAILED: PaymentStatus.FAILED,
    SessionState.EXPIRED: PaymentStatus.EXPIRED,
}
ORDER_EVENT_FOR_STATE = {
    SessionState.PAID: OrderEvent.PAY,
    SessionState.FAILED: OrderEvent.EXPIRE,
    SessionState.EXPIRED: OrderEvent.EXPIRE,
}
# A payment may only move forward: nothing leaves "paid", and a failed or expired page can
# still turn out paid (a payment racing the expiry), never back to pending.
# A processing payment never expires: only its bank's answer (paid or failed) settles it.
MAY_BECOME = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.PROCESSING, PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.EXPIRED}
    ),
    PaymentStatus.PROCESSING: frozenset({PaymentStatus.PAID, PaymentStatus.FAILED}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.EXPIRED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset(),
}


# A refund the provider accepted may still fail later (the shopper's bank sends it back);
# nothing else leaves "succeeded", and a failed refund stays failed (a new refund is a new row).
REFUND_MAY_BECOME = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset({RefundStatus.FAILED}),
    RefundStatus.FAILED: frozenset(),
}


def refund_came_from(new: RefundStatus) -> list[RefundStatus]:
    """The statuses a refund may be in to move to `new` (for a guarded UPDATE)."""
    return [old for old, targets in REFUND_MAY_BECOME.items() if new in targets]


def came_from(new: PaymentStatus) -> list[PaymentStatus]:
    """The statuses a payment may be in to move to `new` (for a guarded UPDATE)."""
    return [old for old, targets in MAY_BECOME.items() if new in targets]


def deadlines(now: datetime) -> tuple[datetime, datetime]:
    """When the payment page closes, and when the held stock is released (a little later)."""
    closes = now + timedelta(minutes=SESSION_MINUTES)
    return closes, closes + timedelta(minutes=HOLD_GRACE_MINUTES)


@dataclass(frozen=True)
class PaymentWindow:
    """What the shopper may do about a card order waiting for its payment, at one instant."""

    deadline: datetime  # the real one: the page's close, or the hold's if that comes first
    page_open: bool  # the payment page still takes payments
    may_reopen: bool  # the page timed out but the hold has time: "Pay now" opens a new one


def payment_window(closes: datetime | None, hold_until: datetime, placed_at: datetime, now: datetime) -> PaymentWindow:
    """The deadline to show and whether "Pay now" leads to the open page, a new one, or nowhere."""
    deadline = min(closes, hold_until) if closes is not None else hold_until
    page_open = now < deadline
    return PaymentWindow(
        deadline, page_open, not page_open and reopen_deadlines(now, hold_until, placed_at) is not None
    )


def reopen_deadlines(now: datetime, hold_until: datetime, placed_at: datetime) -> tuple[datetime, datetime] | None:
    """A new page's close and hold, or None when the hold is over or would run past its limit.

    The new page must close at least 30 minutes from now (Stripe refuses sooner), so the hold
    is pushed out with it; never past MAX_HOLD_MINUTES after the order was placed.
    """
    if now >= hold_until:
        return None
    closes, hold = deadlines(now)
    if hold > placed_at + timedelta(minutes=MAX_HOLD_MINUTES):
        return None
    return closes, hold


def check_refund(amount: int, paid: int, already_refunded: int, currency: str) -> None:
    """A refund is positive and at most what is left of the payment; Invalid otherwise."""
    if amount <= 0:
        raise Invalid(N_("Enter an amount above zero."))
    left = paid - already_refunded
    if left <= 0:
        raise Invalid(N_("This payment has already been refunded in full."))
    if amount > left:
        raise Invalid(
            N_("At most %(left)s %(currency)s can still be refunded."),
            left=format_amount_plain(left, currency),
            currency=currency,
        )
