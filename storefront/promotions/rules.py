"""Pure money rules of discount codes: eligibility, the amount (rounded once), its allocation.

No Flask, no session: values in, values out. Amounts are integer minor units; a percent is in
basis points (1000 = 10 %). A discount never exceeds what it applies to, so totals are never
negative.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..domain import N_, Conflict, Invalid

MAX_BASIS_POINTS = 10_000
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")


class CodeKind(StrEnum):
    """What a code takes off."""

    PERCENT = "percent"  # a share of the eligible lines
    FIXED = "fixed"  # an amount off the eligible lines (at most their subtotal)
    FREE_DELIVERY = "free_delivery"  # the delivery fee


class CodeRefused(Invalid):
    """The code cannot be used for this cart (the message says why)."""


class CodeUsedUp(Conflict):
    """The code's total or per-customer limit is reached."""


@dataclass(frozen=True)
class CodeTerms:
    """A code's conditions, read from its row."""

    kind: CodeKind
    value: int
    min_subtotal: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    used_up: bool = False  # uses >= max_uses when read (the real check is the conditional UPDATE)


@dataclass(frozen=True)
class DiscountLine:
    """A priced line the code may apply to: its product, category and total (unit price x quantity)."""

    product_id: int
    category_id: int | None
    amount: int


@dataclass(frozen=True)
class Applied:
    """The discount on a cart: the amount, each line's share and the part that is the delivery fee."""

    amount: int
    line_shares: tuple[int, ...]
    shipping_share: int = 0


def normalise_code(raw: str | None) -> str | None:
    """The code as stored (upper case, no spaces around), or None when it cannot be a code."""
    text = (raw or "").strip().upper()
    return text if CODE_RE.match(text) else None


def in_scope(terms: CodeTerms, line: DiscountLine) -> bool:
    """True when the code applies to this line (no products or categories named: to every line)."""
    if not terms.product_ids and not terms.category_ids:
        return True
    return line.product_id in terms.product_ids or (
        line.category_id is not None and line.category_id in terms.category_ids
    )


def check_usable(terms: CodeTerms, now: datetime) -> None:
    """Refuse a code that is switched off, not started, ended or used up."""
    if not terms.active:
        raise CodeRefused(N_("This code is no longer valid."))
    if terms.starts_at is not None and now < terms.starts_at:
        raise CodeRefused(N_("This code is not valid yet."))
    if terms.ends_at is not None and now >= terms.ends_at:
        raise CodeRefused(N_("This code has expired."))
    if terms.used_up:
        raise CodeUsedUp(N_("This code has been used up."))


def percent_of(amount: int, basis_points: int) -> int:
    """`basis_points` of `amount`, rounded once, half-up (exact integers, no floats)."""
    if amount < 0 or not 0 <= basis_points <= MAX_BASIS_POINTS:
        raise ValueError("percent_of takes a non-negative amount and 0..10000 basis points")
    return (2 * amount * basis_points + MAX_BASIS_POINTS) // (2 * MAX_BASIS_POINTS)


def allocate(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split `amount` over `weights` pro rata with largest remainders: the shares sum exactly.

    No share exceeds its weight when amount <= sum(weights); ties go to the earlier line.
    """
    total = sum(weights)
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate takes non-negative amounts")
    if total == 0:
        if amount:
            raise ValueError("cannot allocate an amount over nothing")
        return tuple(0 for _ in weights)
    floors = [amount * w // total for w in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:left]:
        floors[i] += 1
    return tuple(floors)


def apply_code(terms: CodeTerms, lines: Sequence[DiscountLine], shipping: int, now: datetime) -> Applied:
    """The discount this code gives on these lines and delivery fee now, or CodeRefused/CodeUsedUp."""
    check_usable(terms, now)
    eligible = [in_scope(terms, line) for line in lines]
    if not any(eligible):
        raise CodeRefused(N_("This code is not for the products in your cart."))
    weights = [line.amount if ok else 0 for line, ok in zip(lines, eligible, strict=True)]
    base = sum(weights)
    if base < terms.min_subtotal:
        raise CodeRefused(
            N_("This code needs a subtotal of at least %(minimum)s: add %(missing)s more."),
            minimum=terms.min_subtotal,
            missing=terms.min_subtotal - base,
        )
    if terms.kind == CodeKind.FREE_DELIVERY:
        # Collected from a store there is no fee to take off: the code gives nothing then.
        shipping = max(shipping, 0)
        return Applied(amount=shipping, line_shares=tuple(0 for _ in lines), shipping_share=shipping)
    amount = percent_of(base, terms.value) if terms.kind == CodeKind.PERCENT else min(max(terms.value, 0), base)
    return Applied(amount=amount, line_shares=allocate(amount, weights))
