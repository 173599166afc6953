"""Pure seller rules: referral codes, link-preview bots, attribution, commission maths, the ledger table.

No Flask and no session here: values in, values out, DomainError subclasses raised.

Attribution (who is credited for an order), decided once, at order time:
  * the shopper's *touches* are the seller links they opened (code + server time), newest first;
  * a touch counts only inside the window (default 30 days): `now - window <= at <= now`;
  * touches of unknown codes or disabled sellers are ignored, as if never made;
  * a seller's own touches are ignored when the buyer is that seller (self-referral: the order's
    email or phone is the seller's), so an earlier genuine referral by another seller still wins;
  * of what is left, the LAST touch wins (last seller touch). No touch left: nobody is credited.

Commission: sum over order lines of line total x rate (basis points; a per-category override
beats the seller's default rate), shipping excluded, divided by 10,000 ONCE for the whole order
and rounded half-up to the minor unit (so 0.5 cent goes to the seller, 0.49 does not).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from ..analytics.rules import is_bot
from ..domain import N_, Invalid

# --- referral codes -------------------------------------------------------------------------

CODE_RE = re.compile(r"^[A-Z0-9]{4,12}$")
# Generated codes avoid look-alikes (0/O, 1/I/L) because people read them out and type them.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GENERATED_CODE_LENGTH = 6
MAX_BASIS_POINTS = 10_000  # 100 %


def normalise_code(raw: str | None) -> str | None:
    """An upper-cased referral code when well formed (4-12 letters/digits), else None."""
    code = (raw or "").strip().upper()
    return code if CODE_RE.match(code) else None


def check_code(raw: str) -> str:
    """The owner-typed code, normalised, or Invalid with the reason."""
    code = normalise_code(raw)
    if code is None:
        raise Invalid(N_("A referral code has 4 to 12 letters or digits, like ANNA24."))
    return code


def generate_code(length: int = GENERATED_CODE_LENGTH) -> str:
    """A random, easy-to-read referral code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def parse_rate_percent(text: str | None) -> int:
    """An owner-typed percentage like "7.5" as basis points (750); Invalid unless 0-100 with <= 2 decimals."""
    cleaned = (text or "").strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise Invalid(N_("Give the commission as a percentage like 7.5.")) from exc
    if not value.is_finite() or not 0 <= value <= 100:
        raise Invalid(N_("The commission must be between 0 and 100 percent."))
    basis_points = value * 100
    if basis_points != basis_points.to_integral_value():
        raise Invalid(N_("The commission can have at most two decimals, like 7.25."))
    return int(basis_points)


def format_rate(basis_points: int) -> str:
    """Basis points as a plain percentage for forms: 750 -> "7.5", 1000 -> "10"."""
    whole, hundredths = divmod(basis_points, 100)
    return f"{whole}.{hundredths:02d}".rstrip("0") if hundredths else str(whole)


# --- link previews --------------------------------------------------------------------------

# Chat apps fetch a shared link to draw its preview card. They are not shoppers: no click, no
# cookie, no credit. analytics.rules.is_bot already knows the big ones (WhatsApp, TelegramBot,
# facebookexternalhit, Twitterbot, Slackbot, Discordbot, LinkedInBot, any "bot"); these are the
# other preview fetchers seen in chat apps.
PREVIEW_RE = re.compile(
    r"Facebot|facebookcatalog|SkypeUriPreview|Viber|\bLine/|KAKAOTALK-scrap|Iframely|Embedly|vkShare"
    r"|redditbot|Pinterest|MicrosoftPreview|Google-PageRenderer|Snapchat|Mastodon|Bluesky|Signal",
    re.IGNORECASE,
)


def is_link_preview(user_agent: str | None) -> bool:
    """True for crawlers and chat-app link-preview fetchers (they get the page, never credit)."""
    return is_bot(user_agent) or bool(user_agent and PREVIEW_RE.search(user_agent))


# --- touches (the shopper's seller links) --------------------------------------------------

MAX_TOUCHES = 5
# Re-opening the same seller's link within this time is the same visit, not another click.
CLICK_DEDUP = timedelta(minutes=30)


@dataclass(frozen=True)
class Touch:
    """The shopper opened a seller's link: the seller's code and when (naive UTC, server time)."""

    code: str
    at: datetime


def add_touch(touches: Iterable[Touch], code: str, now: datetime) -> list[Touch]:
    """The touches after opening `code` now: newest first, one per code, at most MAX_TOUCHES."""
    kept = [t for t in touches if t.code != code]
    return [Touch(code, now), *sorted(kept, key=lambda t: t.at, reverse=True)][:MAX_TOUCHES]


def is_new_click(touches: Iterable[Touch], code: str, now: datetime) -> bool:
    """False when the shopper opened the same seller's link within CLICK_DEDUP (a reload)."""
    return not any(t.code == code and now - CLICK_DEDUP <= t.at <= now for t in touches)


# --- attribution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerState:
    """What the attribution rule needs to know about one seller of the registry."""

    seller_id: int
    active: bool
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Buyer:
    """Who placed the order (from the order itself)."""

    email: str = ""
    phone: str = ""


class Reason(StrEnum):
    """Why the attribution rule chose as it did (shown in tests and logs)."""

    CREDITED = "credited"
    NO_TOUCH = "no_touch"
    EXPIRED = "expired"
    UNKNOWN_CODE = "unknown_code"
    DISABLED = "disabled"
    SELF_REFERRAL = "self_referral"


@dataclass(frozen=True)
class Decision:
    """The credited seller (or None), the touch that won, and why."""

    seller_id: int | None
    reason: Reason
    touch: Touch | None = None


def phone_digits(raw: str | None) -> str:
    """Only the digits of a phone number ("+44 20 7946 0958" -> "442079460958")."""
    return re.sub(r"\D", "", raw or "")


def same_phone(a: str | None, b: str | None) -> bool:
    """True when two phone numbers are the same line, written nationally or internationally.

    Equal digits, or, when both have at least 9 digits, the same last 9 (so "+44 20 7946 0958"
    and "020 7946 0958" match). A false match would only cost a seller a self-referral credit.
    """
    x, y = phone_digits(a), phone_digits(b)
    if not x or not y:
        return False
    return x == y or (len(x) >= 9 and len(y) >= 9 and x[-9:] == y[-9:])


def is_self_referral(seller: SellerState, buyer: Buyer) -> bool:
    """True when the buyer is the seller: same email (case-insensitive) or same phone."""
    email = (buyer.email or "").strip().lower()
    if email and email == (seller.email or "").strip().lower():
        return True
    return same_phone(seller.phone, buyer.phone)


def choose_seller(
    touches: Iterable[Touch],
    registry: Mapping[str, SellerState],
    buyer: Buyer,
    window: timedelta,
    now: datetime,
) -> Decision:
    """The seller credited for an order: the last valid seller touch inside the window, or none."""
    ordered = sorted(touches, key=lambda t: t.at, reverse=True)
    if not ordered:
        return Decision(None, Reason.NO_TOUCH)
    reason = Reason.EXPIRED
    for touch in ordered:
        if not now - window <= touch.at <= now:
            continue  # too old, or from the future (a forged or broken clock): never counts
        seller = registry.get(touch.code)
        if seller is None:
            reason = _worst(reason, Reason.UNKNOWN_CODE)
        elif not seller.active:
            reason = _worst(reason, Reason.DISABLED)
        elif is_self_referral(seller, buyer):
            reason = _worst(reason, Reason.SELF_REFERRAL)
        else:
            return Decision(seller.seller_id, Reason.CREDITED, touch)
    return Decision(None, reason)


_REASON_ORDER = (Reason.EXPIRED, Reason.UNKNOWN_CODE, Reason.DISABLED, Reason.SELF_REFERRAL)


def _worst(current: Reason, new: Reason) -> Reason:
    """Report the most specific reason nobody was credited (self-referral beats expired)."""
    return max(current, new, key=_REASON_ORDER.index)


# --- commission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibleLine:
    """One order line's money that earns commission, and its product's category (if any)."""

    amount: int
    category_id: int | None = None


@dataclass(frozen=True)
class Commission:
    """The eligible base and the commission on it, both in minor units."""

    base: int
    amount: int


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, for non-negative integers (exact, no floats)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("divide_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def check_rate(basis_points: int) -> int:
    """A commission rate in basis points, or Invalid outside 0..10000."""
    if isinstance(basis_points, bool) or not isinstance(basis_points, int) or not 0 <= basis_points <= MAX_BASIS_POINTS:
        raise Invalid(N_("The commission must be between 0 and 100 percent."))
    return basis_points


def compute_commission(
    lines: Iterable[EligibleLine], default_rate: int, overrides: Mapping[int, int] | None = None
) -> Commission:
    """Commission on the lines: each at its category's override or the default rate, rounded once."""
    overrides = overrides or {}
    base = 0
    weighted = 0  # sum of amount x basis points: exact; divided once at the end
    for line in lines:
        if line.amount < 0:
            raise Invalid(N_("An order line cannot have a negative amount."))
        rate = overrides.get(line.category_id, default_rate) if line.category_id is not None else default_rate
        base += line.amount
        weighted += line.amount * check_rate(rate)
    return Commission(base=base, amount=divide_half_up(weighted, MAX_BASIS_POINTS))


def reduced_commission(original_amount: int, original_base: int, refunded: int) -> int:
    """The commission left after `refunded` (cumulative) of the base was refunded: pro rata, half-up."""
    if original_base <= 0:
        return 0
    kept_base = original_base - min(max(refunded, 0), original_base)
    return divide_half_up(original_amount * kept_base, original_base)


# --- the ledger lifecycle -------------------------------------------------------------------


class EntryStatus(StrEnum):
    """Where a commission stands."""

    PENDING = "pending"  # the order is placed; not yet paid, delivered and past the return window
    APPROVED = "approved"  # earned: owed to the seller
    PAID = "paid"  # covered by a payout
    REVERSED = "reversed"  # the order was cancelled or fully refunded: nothing is owed


class LedgerEvent(StrEnum):
    """What can happen to a commission entry."""

    ORDER_PAID = "order_paid"
    ORDER_COMPLETED = "order_completed"  # delivered or collected: the return window starts
    APPROVE = "approve"  # paid, completed and the return window is over
    REFUND_PART = "refund_part"
    REFUND_ALL = "refund_all"
    CANCEL = "cancel"
    PAYOUT = "payout"


# Labels people read (translated where shown).
ENTRY_LABELS = {
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "paid": N_("Paid out"),
    "reversed": N_("Reversed"),
}

P, A, PD, R = EntryStatus.PENDING, EntryStatus.APPROVED, EntryStatus.PAID, EntryStatus.REVERSED
L = LedgerEvent

# (status, event) -> status. Anything not listed is ignored, not an error: these events come
# from webhooks and order steps that may arrive twice or out of order (a payment after a
# cancel); a reversed entry stays reversed. A refund after a payout keeps the entry paid (part)
# or reverses it (all); what was over-paid is then owed back (the seller's balance goes down).
LEDGER: dict[tuple[EntryStatus, LedgerEvent], EntryStatus] = {
    (P, L.ORDER_PAID): P,
    (P, L.ORDER_COMPLETED): P,
    (P, L.APPROVE): A,
    (P, L.REFUND_PART): P,
    (P, L.REFUND_ALL): R,
    (P, L.CANCEL): R,
    (A, L.REFUND_PART): A,
    (A, L.REFUND_ALL): R,
    (A, L.CANCEL): R,
    (A, L.PAYOUT): PD,
    (PD, L.REFUND_PART): PD,
    (PD, L.REFUND_ALL): R,
}

# Statuses whose amount counts as owed to the seller (a balance that payouts draw down).
EARNED = frozenset({A, PD})


def next_entry_status(status: str, event: str) -> EntryStatus | None:
    """The status after `event`, or None when the table ignores the event in this status."""
    try:
        return LEDGER.get((EntryStatus(status), LedgerEvent(event)))
    except ValueError:
        return None


def approval_due(order_paid_at: datetime | None, approve_after: datetime | None, now: datetime) -> bool:
    """A pending commission is approved once its order is paid AND completed + the return window has passed."""
    return order_paid_at is not None and approve_after is not None and approve_after <= now


def check_payout_amount(amount: int) -> None:
    """A payout is a positive whole number of minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise Invalid(N_("A payout must be a positive amount."))


def check_payout(amount: int, owed: int) -> None:
    """A payout must be positive and at most what is owed (approved, not yet paid)."""
    check_payout_amount(amount)
    if amount > owed:
        raise PayoutTooLarge(N_("A payout cannot be more than the approved commission not yet paid."))


class PayoutTooLarge(Invalid):
    """The payout is more than the seller's approved, unpaid commission."""

    status_code = 409
    code = "payout_too_large"
