"""Pure cart rules: what a quantity may be, how many of a variant a cart may hold, a line's price."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..core.inputs import parse_id as parse_database_id
from ..domain import N_, Conflict, Invalid


def parse_quantity(raw: object, *, allow_zero: bool, maximum: int) -> int:
    """A whole number of units from form/JSON input, or Invalid with a clear message.

    Refuses fractions ("1.5"), negatives, words, booleans and anything above `maximum`.
    """
    if isinstance(raw, bool):
        raise Invalid(N_("Quantity must be a whole number."))
    text = str(raw).strip() if raw is not None else ""
    if len(text) > 6 or not text.isascii() or not text.isdigit():
        raise Invalid(
            N_("Quantity must be a whole number between %(low)s and %(high)s."),
            low=0 if allow_zero else 1,
            high=maximum,
        )
    quantity = int(text)
    if quantity == 0 and not allow_zero:
        raise Invalid(N_("Quantity must be at least 1."))
    if quantity > maximum:
        raise Invalid(N_("You can buy at most %(high)s of one item."), high=maximum)
    return quantity


def parse_id(raw: object) -> int:
    """A database id (1..2**31-1) from input, or Invalid."""
    variant_id = parse_database_id(raw)
    if variant_id is None:
        raise Invalid(N_("Please choose an option."))
    return variant_id


def check_line_quantity(wanted: int, available: int, maximum: int) -> None:
    """Refuse a line quantity that the shelf cannot supply or that exceeds the per-item limit."""
    if available <= 0:
        raise Conflict(N_("Sorry, this item is sold out."))
    if wanted > maximum:
        raise Invalid(N_("You can buy at most %(high)s of one item."), high=maximum)
    if wanted > available:
        raise Conflict(N_("Only %(count)s left; please choose fewer."), count=available)


CART_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def cart_hash(token: str | None) -> str | None:
    """Links events to a cart without storing the cart token (which opens the cart)."""
    if not token or not CART_TOKEN_RE.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PricedLine:
    """A cart line priced by the server."""

    variant_id: int
    quantity: int
    unit_price: int

    @property
    def total(self) -> int:
        """Line total in minor units."""
        return self.unit_price * self.quantity
