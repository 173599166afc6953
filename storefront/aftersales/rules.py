"""Pure after-sales rules: the request's lifecycle table, the return window, quantities, refund amounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum

from ..domain import N_, Conflict, Invalid

DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 365
MAX_PHOTOS = 3
MAX_DETAILS = 2000
MAX_MESSAGE = 2000
MAX_REFUSAL = 300
# An exchange's replacement order is made with this checkout key prefix (and the request's id).
REPLACEMENT_KEY_PREFIX = "exchange-"


class Kind(StrEnum):
    """What the shopper asks for."""

    RETURN = "return"  # the goods go back, the money comes back
    EXCHANGE = "exchange"  # the goods go back, another variant of the same product comes
    PROBLEM = "problem"  # something is wrong; staff answer (maybe with a partial refund)


class Status(StrEnum):
    """Where a request stands."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    RECEIVED = "received"  # the goods are back in the shop (stock returned)
    REFUNDED = "refunded"
    REPLACED = "replaced"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # goods back, nothing more given (e.g. damaged by the customer); staff said why


class Step(StrEnum):
    """What can happen to a request."""

    ACCEPT = "accept"
    REFUSE = "refuse"
    RECEIVE = "receive"
    REFUND = "refund"
    REPLACE = "replace"
    ANSWER = "answer"
    RESOLVE = "resolve"
    WITHDRAW = "withdraw"
    CLOSE = "close"


K, S, E = Kind, Status, Step

# The lifecycle: (kind, status, step) -> new status. Anything not listed is refused.
TRANSITIONS: dict[tuple[Kind, Status, Step], Status] = {
    **{(kind, S.REQUESTED, E.ACCEPT): S.ACCEPTED for kind in (K.RETURN, K.EXCHANGE)},
    **{(kind, S.REQUESTED, E.REFUSE): S.REFUSED for kind in Kind},
    **{(kind, S.REQUESTED, E.WITHDRAW): S.WITHDRAWN for kind in Kind},
    **{(kind, S.ACCEPTED, E.RECEIVE): S.RECEIVED for kind in (K.RETURN, K.EXCHANGE)},
    # The goods never came: staff may still say no (the units are free again).
    **{(kind, S.ACCEPTED, E.REFUSE): S.REFUSED for kind in (K.RETURN, K.EXCHANGE)},
    (K.RETURN, S.RECEIVED, E.REFUND): S.REFUNDED,
    (K.EXCHANGE, S.RECEIVED, E.REPLACE): S.REPLACED,
    (K.EXCHANGE, S.RECEIVED, E.REFUND): S.REFUNDED,  # the wanted variant is gone: the money instead
    # The goods came back but nothing more is given (damaged by the customer, worth 0): closed with a reason.
    **{(kind, S.RECEIVED, E.CLOSE): S.CLOSED for kind in (K.RETURN, K.EXCHANGE)},
    (K.PROBLEM, S.REQUESTED, E.ANSWER): S.ANSWERED,
    (K.PROBLEM, S.REQUESTED, E.RESOLVE): S.RESOLVED,
    (K.PROBLEM, S.ANSWERED, E.RESOLVE): S.RESOLVED,
}
# Steps only the customer takes; every other step is the staff's.
CUSTOMER_STEPS = frozenset({E.WITHDRAW})
# Steps with their own form (an amount, a reason): never a bare button.
FORM_STEPS = frozenset({E.REFUSE, E.REFUND, E.REPLACE, E.RESOLVE, E.ANSWER, E.CLOSE})
OPEN_STATUSES = frozenset({S.REQUESTED, S.ACCEPTED, S.RECEIVED, S.ANSWERED})
# Requests that no longer hold their units (a new request may ask for them again).
RELEASED_STATUSES = frozenset({S.REFUSED, S.WITHDRAWN})
# Kinds whose units go back to the shop (and so count against the line's quantity).
GOODS_BACK = frozenset({K.RETURN, K.EXCHANGE})

KIND_LABELS = {
    Kind.RETURN: N_("Return"),
    Kind.EXCHANGE: N_("Exchange"),
    Kind.PROBLEM: N_("Problem"),
}
STATUS_LABELS = {
    Status.REQUESTED: N_("Requested"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REFUSED: N_("Refused"),
    Status.RECEIVED: N_("Items received"),
    Status.REFUNDED: N_("Refunded"),
    Status.REPLACED: N_("Replacement on its way"),
    Status.ANSWERED: N_("Answered"),
    Status.RESOLVED: N_("Resolved"),
    Status.WITHDRAWN: N_("Withdrawn"),
    Status.CLOSED: N_("Closed"),
}
REASONS = {
    "changed_mind": N_("Changed my mind"),
    "wrong_size": N_("Wrong size or fit"),
    "damaged": N_("Arrived damaged"),
    "faulty": N_("Faulty or not working"),
    "not_as_described": N_("Not as described"),
    "wrong_item": N_("Wrong item sent"),
    "missing": N_("Something is missing"),
    "other": N_("Other"),
}


class StepRefused(Conflict):
    """The step is not allowed in the request's current status."""

    code = "aftersales_step_refused"


class WindowClosed(Conflict):
    """The order cannot take a request now (not delivered yet, or past the return window)."""

    code = "aftersales_window_closed"


def next_status(kind: str, status: str, step: str) -> Status:
    """The status after `step`, or StepRefused when the table does not allow it."""
    try:
        key = (Kind(kind), Status(status), Step(step))
    except ValueError as exc:
        raise StepRefused(N_("Unknown request status or step.")) from exc
    if key not in TRANSITIONS:
        raise StepRefused(N_("A request that is %(status)s cannot take the step %(step)s."), status=status, step=step)
    return TRANSITIONS[key]


def staff_steps(kind: str, status: str) -> list[Step]:
    """The steps staff may take now, in table order."""
    return [e for (k, s, e) in TRANSITIONS if k == kind and s == status and e not in CUSTOMER_STEPS]


def window_closes_at(delivered_at: datetime, days: int, tz: tzinfo) -> datetime | None:
    """The naive-UTC instant the window closes: midnight after the N-th shop day from delivery; None if 0 days.

    Delivered on day 0 (any hour), the shopper may ask until the end of day N in the shop's zone.
    """
    if days <= 0:
        return None
    local_day = delivered_at.replace(tzinfo=UTC).astimezone(tz).date()
    closes = datetime.combine(local_day + timedelta(days=days + 1), time.min, tzinfo=tz)
    return closes.astimezone(UTC).replace(tzinfo=None)


def check_window(delivered_at: datetime | None, days: int, tz: tzinfo, now: datetime) -> datetime:
    """Refuse unless the order was delivered or collected and `now` is inside the window; its end."""
    if delivered_at is None:
        raise WindowClosed(N_("Requests can be made once the order has been delivered or collected."))
    closes = window_closes_at(delivered_at, days, tz)
    if closes is None:
        raise WindowClosed(N_("This shop does not take returns."))
    if now >= closes:
        raise WindowClosed(N_("The return window for this order has closed."))
    return closes


@dataclass(frozen=True)
class LineAsk:
    """Units of one order line asked for: how many, of how many still free to ask for."""

    order_line_id: int
    quantity: int
    available: int


def check_lines(asks: list[LineAsk]) -> None:
    """At least one unit, and never more of a line than is still free (bought minus asked or refunded)."""
    wanted = [a for a in asks if a.quantity]
    if not wanted:
        raise Invalid(N_("Choose at least one item and how many."))
    for ask in wanted:
        if ask.quantity < 0 or ask.quantity > ask.available:
            raise Invalid(N_("You can ask about at most %(n)s of that item."), n=max(ask.available, 0))


def exchange_allowed(same_variant: bool, wanted_price: int, paid: int) -> bool:
    """An exchange ships at no charge, so it may swap for the same variant or one costing no more than was paid."""
    return same_variant or wanted_price <= paid


def check_text(text: str, limit: int, required: bool = False) -> str:
    """Trimmed text within `limit` characters; Invalid when empty but required, or too long."""
    cleaned = (text or "").replace("\x00", "").strip()
    if required and not cleaned:
        raise Invalid(N_("Please write a few words."))
    if len(cleaned) > limit:
        raise Invalid(N_("Please keep it under %(n)s characters."), n=limit)
    return cleaned


def check_refund_amount(amount: int, most: int) -> None:
    """A refund is positive and at most the value of the returned lines (staff may lower it)."""
    if amount <= 0:
        raise Invalid(N_("Enter an amount above zero."))
    if amount > most:
        raise Invalid(N_("The refund cannot be more than the items' value."))


def check_window_days(days: int) -> int:
    """The return window the owner may set: 0 (no returns) to a year."""
    if not 0 <= days <= MAX_WINDOW_DAYS:
        raise Invalid(N_("Enter a number of days from 0 to %(n)s."), n=MAX_WINDOW_DAYS)
    return days
