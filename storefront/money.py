"""Money as integer minor units plus a currency code; formatting goes through Babel."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision

# Digits of the numbering systems CLDR makes the default for some locale we may serve (bn uses
# Bengali digits). Babel picks the right symbols for these systems but always prints ASCII
# digits, so the digits are swapped afterwards. Systems not listed keep ASCII digits.
NATIVE_DIGITS = {
    "beng": "০১২৩৪৫৬৭৮৯",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "deva": "०१२३४५६७८९",
    "mymr": "၀၁၂၃၄၅၆၇၈၉",
    "tibt": "༠༡༢༣༤༥༦༧༨༩",
}


def minor_digits(currency: str) -> int:
    """How many minor-unit digits the currency has (2 for USD, 0 for JPY)."""
    return get_currency_precision(currency)


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Convert integer minor units to a Decimal amount in major units."""
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def parse_amount(text: str, currency: str) -> int:
    """Parse an owner-typed amount like "12.50" into minor units; ValueError when invalid."""
    cleaned = (text or "").strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except ArithmeticError as exc:
        raise ValueError("not a number") from exc
    if not value.is_finite() or value < 0:
        raise ValueError("not a positive amount")
    scaled = value.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError("too many decimal places")
    if scaled > 10**12:
        raise ValueError("amount too large")
    return int(scaled)


@lru_cache(maxsize=8192)
def format_money(amount_minor: int, currency: str, locale: str, native_digits: bool = False) -> str:
    """Format minor units for display, the way Babel says for this locale and currency.

    Memoised: a pure function of its arguments, and Babel's formatting (pattern parsing, CLDR
    lookups) costs more than the rest of a product card; a shop has a few hundred distinct prices.

    With `native_digits`, the locale's own numbering system is used where CLDR makes it the
    default (bn: ৳১,২৩৪.৫০); Babel picks that system's symbols, and in_native_digits() its digits.
    """
    if not native_digits:
        return format_currency(to_decimal(amount_minor, currency), currency, locale=locale)
    text = format_currency(to_decimal(amount_minor, currency), currency, locale=locale, numbering_system="default")
    return in_native_digits(text, locale)


def in_native_digits(text: str, locale: Locale | str) -> str:
    """`text` with ASCII digits written in the locale's default digits (Bengali for bn)."""
    try:
        parsed = locale if isinstance(locale, Locale) else Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):  # '*' or an unknown tag: ASCII digits
        parsed = None
    digits = NATIVE_DIGITS.get(parsed.default_numbering_system if parsed is not None else "latn")
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def format_amount_plain(amount_minor: int, currency: str) -> str:
    """Plain "12.50" for form fields and CSV (no symbol, no grouping)."""
    return f"{to_decimal(amount_minor, currency):f}"
