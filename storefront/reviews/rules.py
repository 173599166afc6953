"""Pure review rules: who may review a line, what a review may say, how ratings add up. No Flask here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ..domain import N_, Conflict, Invalid
from ..orders.rules import OrderStatus

BEST, WORST = 5, 1
MAX_BODY_CHARS = 2000
MAX_REPLY_CHARS = 1000
MAX_PHOTOS = 3
PER_PAGE = 10
# Only goods that reached the shopper can be reviewed: nobody reviews what they never held.
REVIEWABLE = frozenset({OrderStatus.DELIVERED, OrderStatus.COLLECTED})
# After-sales replacement orders are made with this checkout key prefix: their goods were already reviewable once.
REPLACEMENT_KEY_PREFIX = "exchange-"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ReviewStatus(StrEnum):
    """Where a review stands: every new one waits for the owner."""

    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"


class Refusal(StrEnum):
    """Why a line cannot be reviewed (None: it can)."""

    NOT_RECEIVED = "not_received"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    REPLACEMENT = "replacement"


REFUSAL_MESSAGES = {
    Refusal.NOT_RECEIVED: N_("You can review this item once it has been delivered or collected."),
    Refusal.CANCELLED: N_("A cancelled order cannot be reviewed."),
    Refusal.REFUNDED: N_("This item was refunded, so it cannot be reviewed."),
    Refusal.REPLACEMENT: N_("This item replaced one you bought earlier: please review the original order's item."),
}
ALREADY_REVIEWED = N_("You have already reviewed this item.")


@dataclass(frozen=True)
class LineFacts:
    """What eligibility reads of an order line, its order and the order's card payment."""

    order_status: str
    quantity: int
    refunded_quantity: int
    paid: int | None = None  # the card payment's amount (None: no card payment)
    paid_back: int = 0  # the card payment's refunded amount (in flight included)
    replacement: bool = False  # an after-sales replacement (free): one purchase, one review


def is_replacement(checkout_key: str | None, unit_price: int) -> bool:
    """A line of an exchange's replacement order, or any free line: nothing was bought, so nothing is reviewed."""
    return (checkout_key or "").startswith(REPLACEMENT_KEY_PREFIX) or unit_price <= 0


def refusal(facts: LineFacts) -> Refusal | None:
    """Why this line cannot be reviewed now, or None when it can (a bought review is impossible)."""
    if facts.order_status == OrderStatus.CANCELLED:
        return Refusal.CANCELLED
    if facts.order_status not in REVIEWABLE:
        return Refusal.NOT_RECEIVED
    if facts.replacement:
        return Refusal.REPLACEMENT
    if facts.refunded_quantity >= facts.quantity:
        return Refusal.REFUNDED
    if facts.paid is not None and facts.paid_back >= facts.paid:
        return Refusal.REFUNDED
    return None


def check_eligible(facts: LineFacts) -> None:
    """Raise Conflict (409) with the reason when the line cannot be reviewed."""
    reason = refusal(facts)
    if reason is not None:
        raise Conflict(REFUSAL_MESSAGES[reason])


def parse_rating(raw: str | None) -> int:
    """The stars chosen: 1 to 5, else Invalid (422)."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) == 1 and WORST <= int(text) <= BEST:
        return int(text)
    raise Invalid(N_("Please choose from 1 to 5 stars."))


def clean_text(raw: str | None, limit: int) -> str:
    """Plain text as typed: control characters out, newlines unified, trimmed; Invalid past `limit`."""
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).strip()
    if len(text) > limit:
        raise Invalid(N_("Please keep it to %(limit)s characters (you wrote %(count)s)."), limit=limit, count=len(text))
    return text


def check_photo_count(count: int) -> None:
    """At most MAX_PHOTOS photos per review."""
    if count > MAX_PHOTOS:
        raise Invalid(N_("Please choose at most %(limit)s photos."), limit=MAX_PHOTOS)


def author_name(customer_name: str) -> str:
    """A first name and the last name's initial ("Ada L."), or "" when the name looks like contact details.

    Orders keep whatever was typed: a phone number or an email in the name field must never be shown.
    """
    words = [w for w in (customer_name or "").split() if w]
    if not words or any("@" in w or sum(c.isdigit() for c in w) > 1 for w in words):
        return ""
    first = words[0][:40]
    initial = next((c for c in words[-1] if c.isalpha()), "") if len(words) > 1 else ""
    return f"{first} {initial.upper()}." if initial else first


@dataclass(frozen=True)
class Rating:
    """A product's published ratings: average (1 decimal place), count and the count per star."""

    average: Decimal
    count: int
    distribution: dict[int, int] = field(default_factory=dict)
    best: int = BEST
    worst: int = WORST

    def share(self, stars: int) -> int:
        """The percentage of ratings with `stars` (for the distribution bars)."""
        return round(100 * self.distribution.get(stars, 0) / self.count) if self.count else 0


def average(total: int, count: int) -> Decimal:
    """Stars total over count, to one decimal place, halves rounded up (4.25 -> 4.3)."""
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rating_from(counts: Iterable[tuple[int, int]]) -> Rating | None:
    """A Rating from (stars, how many) pairs; None when there are none."""
    distribution = {stars: 0 for stars in range(BEST, WORST - 1, -1)}
    for stars, n in counts:
        distribution[int(stars)] += int(n)
    count = sum(distribution.values())
    if not count:
        return None
    return Rating(average(sum(s * n for s, n in distribution.items()), count), count, distribution)


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """How many pages `total` reviews fill (at least one)."""
    return max(1, -(-total // per_page))


def can_publish(status: str) -> bool:
    """Pending and hidden reviews can be published."""
    return status != ReviewStatus.PUBLISHED


def can_hide(status: str) -> bool:
    """Pending and published reviews can be hidden."""
    return status != ReviewStatus.HIDDEN
