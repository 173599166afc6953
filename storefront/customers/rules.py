"""Pure RFM rules: score customers by recency, frequency and money, and name their segment.

No Flask and no session. Reports (segment counts over a date range) and customers (each
customer's stored segment) share these, so a customer's segment reads the same in both.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import NamedTuple

from ..domain import N_


class CustomerStats(NamedTuple):
    """One customer's sale orders in the range (a tuple: there may be tens of thousands)."""

    key: str
    orders: int
    revenue: int
    last_day: date


# RFM: recency (days since the last order, at the end of the range), frequency (orders) and
# money (revenue), each scored 1-3, then named by the first matching rule below.
RECENT_DAYS, LAPSING_DAYS = 30, 90


class Rfm(NamedTuple):
    """A customer's RFM scores and segment."""

    key: str
    recency_days: int
    orders: int
    revenue: int
    r: int
    f: int
    m: int
    segment: str


SEGMENTS: tuple[tuple[str, str, str], ...] = (
    (
        "champions",
        N_("Champions"),
        N_("Recent, frequent, big spenders: thank them, ask for referrals."),
    ),
    ("loyal", N_("Loyal"), N_("Ordered more than once, lately: early access and new arrivals.")),
    ("new", N_("New"), N_("One recent order: a welcome follow-up turns them into regulars.")),
    ("at_risk", N_("At risk"), N_("Used to order more than once, not lately: win them back.")),
    ("lapsed", N_("Lapsed"), N_("One order, a while ago: a reminder or an offer.")),
)


def segment_of(r: int, f: int, m: int) -> str:
    """The RFM segment of scores (rules in SEGMENTS order, first match wins)."""
    if r == 3 and f >= 2 and m == 3:
        return "champions"
    if f >= 2 and r >= 2:
        return "loyal"
    if f == 1 and r == 3:
        return "new"
    if f >= 2:
        return "at_risk"
    return "lapsed"


def money_thresholds(revenues: list[int]) -> tuple[int, int]:
    """Revenue at the first and second tertile (the M score's cut points)."""
    if not revenues:
        return (0, 0)
    ordered = sorted(revenues)
    return ordered[(len(ordered) - 1) // 3], ordered[(2 * (len(ordered) - 1)) // 3]


def rfm(customers: list[CustomerStats], as_of: date, thresholds: tuple[int, int] | None = None) -> list[Rfm]:
    """Score and segment every customer as of `as_of` (the end of the range).

    The M score cuts at `thresholds` (default: the tertiles of these customers' revenue; pass
    the whole range's to score a subset, e.g. the biggest customers only).
    """
    low, high = thresholds if thresholds is not None else money_thresholds([c.revenue for c in customers])
    result = []
    for c in customers:
        recency = (as_of - c.last_day).days
        r, f, m = _scores(recency, c.orders, c.revenue, low, high)
        result.append(Rfm(c.key, recency, c.orders, c.revenue, r, f, m, segment_of(r, f, m)))
    return result


def _scores(recency: int, orders: int, revenue: int, low: int, high: int) -> tuple[int, int, int]:
    r = 3 if recency <= RECENT_DAYS else 2 if recency <= LAPSING_DAYS else 1
    f = 1 if orders == 1 else 2 if orders <= 3 else 3
    m = 3 if revenue > high else 2 if revenue > low else 1
    return r, f, m


def rfm_segment_counts(
    customers: list[CustomerStats], as_of: date, thresholds: tuple[int, int]
) -> list[tuple[str, int, int]]:
    """segment_counts(rfm(customers, as_of, thresholds)) without an RFM row per customer.

    Tens of thousands of customers: count them per (r, f, m) in one tight loop (the R score
    looked up per distinct last day), then name the 27 combinations.
    """
    low, high = thresholds
    r_of: dict[date, int] = {}
    customers_in: Counter = Counter()
    revenue_in: Counter = Counter()
    for _key, orders, revenue, last_day in customers:
        r = r_of.get(last_day)
        if r is None:
            r = r_of[last_day] = _scores((as_of - last_day).days, 1, 0, 0, 0)[0]
        scores = (r, 1 if orders == 1 else 2 if orders <= 3 else 3, 3 if revenue > high else 2 if revenue > low else 1)
        customers_in[scores] += 1
        revenue_in[scores] += revenue
    by_segment, money = Counter(), Counter()
    for scores, n in customers_in.items():
        segment = segment_of(*scores)
        by_segment[segment] += n
        money[segment] += revenue_in[scores]
    return [(key, by_segment.get(key, 0), money.get(key, 0)) for key, _label, _advice in SEGMENTS]


def segment_counts(scored: list[Rfm]) -> list[tuple[str, int, int]]:
    """(segment, customers, revenue) for every segment, in SEGMENTS order."""
    customers, revenue = Counter(), Counter()
    for row in scored:
        customers[row.segment] += 1
        revenue[row.segment] += row.revenue
    return [(key, customers.get(key, 0), revenue.get(key, 0)) for key, _label, _advice in SEGMENTS]


# --- a seller's view of the customers they brought (issue 21) ---------------------------------------

MASK = "•"

# The WhatsApp follow-up a seller may send about one of their orders, per order status (the
# customer's language is chosen by the caller). Not paid or cancelled: nothing to follow up.
FOLLOW_UP_RECEIVED = N_("Hi %(name)s, we received your order %(ref)s.")
FOLLOW_UPS: dict[str, str] = {
    "awaiting_payment": FOLLOW_UP_RECEIVED,
    "awaiting_transfer": FOLLOW_UP_RECEIVED,
    "placed": FOLLOW_UP_RECEIVED,
    "confirmed": FOLLOW_UP_RECEIVED,
    "packed": FOLLOW_UP_RECEIVED,
    "shipped": N_("Hi %(name)s, your order %(ref)s is on its way."),
    "ready_for_pickup": N_("Hi %(name)s, your order %(ref)s is ready for pickup at %(store)s."),
    "delivered": N_("Hi %(name)s, your order %(ref)s has been delivered — how do you like it?"),
    "collected": N_("Hi %(name)s, thank you for collecting your order %(ref)s — how do you like it?"),
}


def follow_up_message(status: str) -> str | None:
    """The follow-up message id for an order in `status` (translate it with name, ref, store), or None."""
    return FOLLOW_UPS.get(status)


def mask_phone(phone: str, calling_code: str = "") -> str:
    """A phone with only its country code (or first 2 digits) and last 2 digits shown: +880 17•• ••••21.

    `calling_code` is the shop's (SHOP_CALLING_CODE): an international number starting with it shows
    it apart. Fewer than 6 digits after the code: every digit hidden.
    """
    text = (phone or "").strip()
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not digits:
        return ""
    international = text.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    code = "".join(ch for ch in calling_code or "" if ch.isascii() and ch.isdigit())
    if international and not (code and digits.startswith(code)):
        code = _country_code(digits)
    prefix = ""
    if international and code and digits.startswith(code) and len(digits) > len(code):
        prefix, digits = f"+{code} ", digits[len(code) :]
    shown = len(digits) >= 6  # else too few digits left hidden to show any
    masked = digits[:2] + MASK * (len(digits) - 4) + digits[-2:] if shown else MASK * len(digits)
    if len(masked) > 6:
        masked = f"{masked[:4]} {masked[4:]}"
    return prefix + masked


# ITU country calling codes: 1 and 7 are one digit, these two-digit ones are two, all others three.
_TWO_DIGIT_CODES = frozenset(
    ("20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49")
    + ("51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66")
    + ("81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98")
)


def _country_code(digits: str) -> str:
    """The country calling code an international number (digits only, no 00) starts with."""
    if digits[:1] in ("1", "7"):
        return digits[:1]
    return digits[:2] if digits[:2] in _TWO_DIGIT_CODES else digits[:3]


def mask_email(email: str) -> str:
    """An email with only its first letter and its domain shown: a•••@example.com."""
    local, at, domain = (email or "").strip().rpartition("@")
    if not at:
        return MASK * 3 if domain else ""
    return f"{local[:1]}{MASK * 3}@{domain}"
