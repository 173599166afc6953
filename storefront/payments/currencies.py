"""Which amounts Stripe can charge in each currency, and how shop amounts become Stripe's. Pure.

The shop stores money in Babel's (CLDR's) minor units; Stripe has its own exponent per currency
and, for a few, a step the amount must be a multiple of (docs.stripe.com/currencies, "Zero-decimal",
"Three-decimal" and "Special cases"):

- zero-decimal currencies (JPY, KRW, VND ...): the amount is in whole units;
- three-decimal currencies (BHD, JOD, KWD, OMR, TND): thousandths, but the last digit must be 0
  (5.125 KWD cannot be charged; 5.120 can);
- ISK: still two-decimal in the API (100 = 1 krona) but only whole krónur, so a multiple of 100,
  while Babel keeps ISK with 0 decimals: 5,000 kr is sent as 500000, not 5000;
- HUF and TWD: two-decimal for charges (whole units only matter for payouts, not for us);
- every other currency: two-decimal, whatever Babel says (LAK has 0 decimals in CLDR, 2 in Stripe).

Every amount sent to Stripe goes through `to_stripe`, every amount read from it through
`from_stripe`; `check_card_amount` is the same rule, for the owner typing a price.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..domain import N_, Invalid
from ..money import format_amount_plain, minor_digits

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Stripe amounts (in Stripe's own minor units) must be a multiple of this.
STRIPE_STEP = {"ISK": 100, **{code: 10 for code in THREE_DECIMAL}}


class UnchargeableAmount(Invalid):
    """An amount Stripe cannot charge in this currency (too fine a fraction)."""


@dataclass(frozen=True)
class CurrencyUnits:
    """One currency's minor units in the shop and at Stripe."""

    currency: str
    shop_digits: int  # Babel's decimals: how the shop stores and shows the amount
    stripe_exponent: int  # Stripe's decimals: how the amount is sent
    stripe_step: int  # a Stripe amount must be a multiple of this

    @property
    def scale(self) -> Fraction:
        """Stripe units per shop unit (100 for ISK, 1 for USD, 1/1 for KWD)."""
        return Fraction(10) ** (self.stripe_exponent - self.shop_digits)

    @property
    def shop_step(self) -> int:
        """The smallest shop amount Stripe can charge; every chargeable amount is a multiple of it."""
        return (self.stripe_step / self.scale).numerator


def units(currency: str) -> CurrencyUnits:
    """The shop's and Stripe's minor units of a currency (upper-case ISO code)."""
    code = currency.upper()
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return CurrencyUnits(code, minor_digits(code), exponent, STRIPE_STEP.get(code, 1))


def check_card_amount(amount_minor: int, currency: str) -> None:
    """Raise UnchargeableAmount unless Stripe can charge exactly this shop amount."""
    rule = units(currency)
    if amount_minor % rule.shop_step:
        raise UnchargeableAmount(
            N_("Card payments can only charge %(currency)s in steps of %(step)s."),
            currency=rule.currency,
            step=format_amount_plain(rule.shop_step, rule.currency),
        )


def to_stripe(amount_minor: int, currency: str) -> int:
    """A shop amount in Stripe's units (ISK 5000 -> 500000); UnchargeableAmount if not exact."""
    check_card_amount(amount_minor, currency)
    return int(amount_minor * units(currency).scale)


def from_stripe(amount: int, currency: str) -> int:
    """An amount Stripe reports, in the shop's units (ISK 500000 -> 5000).

    Rounded down: only a page the shop did not open could carry a fraction the shop cannot
    hold, and the shop never records more money than it received.
    """
    return int(Fraction(amount) / units(currency).scale)
