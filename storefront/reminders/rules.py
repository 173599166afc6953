"""Pure reminder rules: when a customer has lapsed, and the bounds of the owner's settings.

No flask, no session: values in, values out. Integer maths only (the factor is a percentage).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..domain import N_, Invalid

CHANNELS = ("push", "email")  # the channels reminders use (WhatsApp is the owner's own broadcast list)
CART_HOURS = (1, 720)  # at least an hour, at most 30 days
FACTOR_PCT = (100, 1000)  # 1.0 x to 10 x the customer's usual interval
MIN_DAYS = (1, 3650)
CODE_CHARS = 40


@dataclass(frozen=True)
class Settings:
    """The owner's reminder settings as plain values (the defaults until saved)."""

    cart_on: bool = False
    cart_hours: int = 4
    lapse_on: bool = False
    lapse_factor_pct: int = 150
    lapse_min_days: int = 60
    lapse_code: str = ""
    push_on: bool = True
    email_on: bool = True
    stock_on: bool = True  # the back-in-stock form on sold-out variants, and its answers

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels switched on, in a fixed order."""
        return tuple(c for c, on in (("push", self.push_on), ("email", self.email_on)) if on)


DEFAULTS = Settings()


def usual_interval(order_dates: Iterable[datetime], factor_pct: int, min_days: int) -> timedelta | None:
    """How long after their last order a customer counts as lapsed; None without orders.

    The median gap between their orders times the factor, never less than `min_days` (one-order
    customers get exactly `min_days`): a customer who ordered twice in one afternoon has not
    "lapsed" the next morning.
    """
    dates = sorted(order_dates)
    if not dates:
        return None
    floor = timedelta(days=min_days)
    if len(dates) == 1:
        return floor
    gaps = sorted(int((b - a).total_seconds()) for a, b in zip(dates, dates[1:], strict=False))
    middle = len(gaps) // 2
    # The median in whole seconds: the mean of the two middle gaps when their number is even.
    median = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) // 2
    return max(floor, timedelta(seconds=median * factor_pct // 100))


def lapsed_since(order_dates: Iterable[datetime], factor_pct: int, min_days: int) -> datetime | None:
    """The instant the customer became lapsed (last order + usual interval); None without orders."""
    dates = list(order_dates)
    interval = usual_interval(dates, factor_pct, min_days)
    return None if interval is None else max(dates) + interval


def is_lapsed(order_dates: Iterable[datetime], factor_pct: int, min_days: int, now: datetime) -> bool:
    """True when `now` is past the customer's usual interval since their last order."""
    since = lapsed_since(order_dates, factor_pct, min_days)
    return since is not None and now >= since


def lapse_key(customer_id: int, last_order: date) -> str:
    """The once-per-lapse key: a new order starts a new lapse, so a new key."""
    return f"lapse:{customer_id}:{last_order.isoformat()}"


def cart_key(cart_id: int) -> str:
    """The once-per-cart key."""
    return f"cart:{cart_id}"


def _whole(raw: str | None, bounds: tuple[int, int], message: str) -> int:
    """A whole number within bounds from a form field, else Invalid(message)."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 6) or not bounds[0] <= int(text) <= bounds[1]:
        raise Invalid(message, low=bounds[0], high=bounds[1])
    return int(text)


def _factor_pct(raw: str | None) -> int:
    """ "1.5" (or "1,5") -> 150; at most two decimals; within FACTOR_PCT."""
    text = (raw or "").strip().replace(",", ".")
    whole, _dot, frac = text.partition(".")
    message = N_("The factor must be a number from %(low)s to %(high)s, like 1.5.")
    ok = whole.isascii() and whole.isdigit() and len(whole) <= 3 and (not frac or (frac.isascii() and frac.isdigit()))
    if not ok or len(frac) > 2:
        raise Invalid(message, low=FACTOR_PCT[0] // 100, high=FACTOR_PCT[1] // 100)
    pct = int(whole) * 100 + int((frac + "00")[:2])
    if not FACTOR_PCT[0] <= pct <= FACTOR_PCT[1]:
        raise Invalid(message, low=FACTOR_PCT[0] // 100, high=FACTOR_PCT[1] // 100)
    return pct


def parse_settings(form: Mapping[str, str]) -> Settings:
    """The settings form's fields as Settings, or Invalid naming the first bad field."""
    code = (form.get("lapse_code") or "").strip()
    if len(code) > CODE_CHARS or any(not ch.isprintable() for ch in code):
        raise Invalid(N_("The code can have at most %(n)s characters."), n=CODE_CHARS)
    return Settings(
        cart_on=form.get("cart_on") == "1",
        cart_hours=_whole(
            form.get("cart_hours"), CART_HOURS, N_("Hours must be a whole number from %(low)s to %(high)s.")
        ),
        lapse_on=form.get("lapse_on") == "1",
        lapse_factor_pct=_factor_pct(form.get("lapse_factor")),
        lapse_min_days=_whole(
            form.get("lapse_min_days"), MIN_DAYS, N_("Days must be a whole number from %(low)s to %(high)s.")
        ),
        lapse_code=code,
        push_on=form.get("push_on") == "1",
        email_on=form.get("email_on") == "1",
        stock_on=form.get("stock_on") == "1",
    )


def factor_text(pct: int) -> str:
    """150 -> "1.5", 200 -> "2", 125 -> "1.25" (the form shows it back)."""
    whole, frac = divmod(pct, 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".")
