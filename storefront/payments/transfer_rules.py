"""Pure rules of payment by transfer (mobile money, Pix, bank, QR wallets). No Flask here.

A transfer is money the shopper sends to the owner's own account; the shop never sees it
arrive, so the shopper's transaction id is a hint for staff, never proof. Only a member of
staff who saw the money marks the order received, with the transaction id they saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.numbers import list_currencies

from ..domain import N_, Invalid

# bKash/Nagad TrxIDs, Pix end-to-end ids, bank references, WeChat/Alipay order numbers: letters
# and digits. Spaces and dashes people copy or type with them are dropped before checking.
TRANSACTION_ID_RE = re.compile(r"^[A-Za-z0-9]{4,40}$")
HOLD_HOURS_RANGE = (1, 168)  # an hour to a week; bank transfers can take days
NAME_MAX, ACCOUNT_MAX, INSTRUCTIONS_MAX = 80, 120, 2000
MAX_CURRENCIES = 10


@dataclass(frozen=True)
class TransferMethodValues:
    """What the owner entered for one way to pay by transfer, validated."""

    name: str
    account: str
    instructions: str
    currencies: tuple[str, ...]
    hold_hours: int
    active: bool = True


def normalise_transaction_id(raw: str | None) -> str:
    """The transaction id in one spelling (no spaces or dashes, upper case), or Invalid when it cannot be one.

    Upper case and without dashes so that "8n7a6d" and "8N7A-6D" are the same transfer: the
    unique constraint must see one id however it was typed (staff's field is pre-filled with
    the shopper's spelling).
    """
    text = re.sub(r"[\s-]+", "", raw or "")
    if not TRANSACTION_ID_RE.match(text):
        raise Invalid(N_("A transaction id is 4 to 40 letters, digits or dashes, as shown in your payment app."))
    return text.upper()


def parse_currencies(raw: str | None) -> tuple[str, ...]:
    """ISO currency codes from "BDT, USD" (any separators), known to Babel; Invalid otherwise."""
    codes = [code.upper() for code in re.split(r"[\s,;]+", raw or "") if code]
    if not codes:
        raise Invalid(N_("Enter at least one currency code, like BDT or BRL."))
    known = list_currencies()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise Invalid(N_("Unknown currency code: %(codes)s."), codes=", ".join(unknown[:5]))
    unique = tuple(dict.fromkeys(codes))
    if len(unique) > MAX_CURRENCIES:
        raise Invalid(N_("At most %(n)s currencies."), n=MAX_CURRENCIES)
    return unique


def check_method(name: str, account: str, instructions: str, currencies: str, hold_hours: str) -> TransferMethodValues:
    """The owner's entries for a transfer method as clean values; Invalid (with its `field`) names the first problem."""
    name, account, instructions = (name or "").strip(), (account or "").strip(), (instructions or "").strip()
    if not name or len(name) > NAME_MAX:
        raise _on("name", Invalid(N_("Give the method a name of at most %(n)s characters, like bKash."), n=NAME_MAX))
    if not account or len(account) > ACCOUNT_MAX:
        message = N_("Enter the number, key or account to pay to (at most %(n)s characters).")
        raise _on("account", Invalid(message, n=ACCOUNT_MAX))
    if len(instructions) > INSTRUCTIONS_MAX:
        message = N_("Instructions can be at most %(n)s characters.")
        raise _on("instructions", Invalid(message, n=INSTRUCTIONS_MAX))
    try:
        codes = parse_currencies(currencies)
    except Invalid as err:
        raise _on("currencies", err) from None
    try:
        hours = check_hold_hours(hold_hours)
    except Invalid as err:
        raise _on("hold_hours", err) from None
    return TransferMethodValues(name, account, instructions, codes, hours)


def _on(field: str, err: Invalid) -> Invalid:
    """`err` marked with the form field it is about, so the form shows it beside that field."""
    err.field = field
    return err


def check_hold_hours(raw: str | int | None) -> int:
    """Hours the stock is held for a transfer: a whole number in HOLD_HOURS_RANGE."""
    low, high = HOLD_HOURS_RANGE
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise Invalid(N_("Hold the stock for %(low)s to %(high)s hours."), low=low, high=high)
    return int(text)


def accepts(currencies: str, currency: str) -> bool:
    """True when a method's stored currency list ("BDT,USD") takes `currency`."""
    return currency.upper() in currencies.split(",")


def hold_deadline(now: datetime, hold_hours: int) -> datetime:
    """When the stock held for a transfer goes back on sale if nobody saw the money."""
    return now + timedelta(hours=hold_hours)


def choice_value(method_id: int) -> str:
    """The checkout form's value for a transfer method ("transfer-3")."""
    return f"transfer-{method_id}"


def method_id_of(choice: str | None) -> int | None:
    """The transfer method id in a checkout choice, or None when the choice is not a transfer."""
    match = re.fullmatch(r"transfer-([1-9][0-9]{0,8})", choice or "")
    return int(match.group(1)) if match else None
