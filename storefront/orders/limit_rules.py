"""Pure rules against stock hoarding through anonymous cash orders. No Flask, no session here.

A cash order takes its stock at once and nobody has paid anything, so a stranger with made-up
phone numbers could empty the shelves. Four limits, tuned by the owner (admin settings page),
keep that small without getting in a real shopper's way: units per order; open (placed, not yet
confirmed) cash orders per phone and per client address; and a time after which unconfirmed
cash orders are cancelled and their stock goes back (unless staff confirmed them first).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Protocol

from ..domain import N_, DomainError, Invalid
from .rules import OrderStatus, PaymentMethod


@dataclass(frozen=True)
class HoardingLimits:
    """The owner's limits; 0 switches a limit off."""

    max_units_per_order: int
    max_open_per_phone: int
    max_open_per_address: int
    release_after_hours: int


# Defaults: a real shopper orders a few items once or twice; the attack seen was 5 orders from
# one address in 2.7 s taking 79 % of the stock. A household or office sharing one address
# still has room for three open orders; staff confirming an order frees its place.
DEFAULT_LIMITS = HoardingLimits(
    max_units_per_order=30, max_open_per_phone=3, max_open_per_address=3, release_after_hours=48
)

# What the owner may set (inclusive); 0 means "no limit" / "never release".
LIMIT_RANGES: dict[str, tuple[int, int]] = {
    "max_units_per_order": (0, 10_000),
    "max_open_per_phone": (0, 1_000),
    "max_open_per_address": (0, 1_000),
    "release_after_hours": (0, 24 * 90),
}


class LimitError(DomainError):
    """A hoarding limit refused the order (DomainError.message writes its numbers in the shopper's digits)."""


class TooManyUnits(LimitError):
    """More units in one order than the shop takes."""

    status_code = 422
    code = "too_many_units"


class TooManyOpenOrders(LimitError):
    """This phone or address already has as many unconfirmed cash orders as allowed."""

    status_code = 429
    code = "too_many_open_orders"


def check_limits(values: dict[str, int]) -> HoardingLimits:
    """The owner's typed limits as HoardingLimits, or Invalid naming the first one out of range."""
    for name, (low, high) in LIMIT_RANGES.items():
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise Invalid(N_("Please give a whole number from %(low)s to %(high)s."), low=low, high=high, field=name)
    return HoardingLimits(**{f.name: values[f.name] for f in fields(HoardingLimits)})


def check_units(units: int, limits: HoardingLimits) -> None:
    """Refuse an order with more units than allowed (TooManyUnits)."""
    if limits.max_units_per_order and units > limits.max_units_per_order:
        raise TooManyUnits(
            N_(
                "One order can hold at most %(limit)s items; this one has %(units)s. "
                "Please remove some, or call us for a larger order."
            ),
            limit=limits.max_units_per_order,
            units=units,
        )


def check_open_orders(open_by_phone: int, open_by_address: int, limits: HoardingLimits) -> None:
    """Refuse one more unconfirmed cash order when the phone or the address has its quota (TooManyOpenOrders)."""
    if limits.max_open_per_phone and open_by_phone >= limits.max_open_per_phone:
        raise TooManyOpenOrders(
            N_(
                "This phone number already has orders waiting for our confirmation. "
                "We will call you soon; you can order again once we have confirmed them, or pay by card."
            )
        )
    if limits.max_open_per_address and open_by_address >= limits.max_open_per_address:
        raise TooManyOpenOrders(
            N_(
                "Too many orders waiting for our confirmation were placed from your connection. "
                "Please wait until we confirm them, call us, or pay by card."
            )
        )


def phone_digits(phone: str) -> str:
    """The digits of a phone number: "+44 20 7946" and "44 20 7946" are the same phone."""
    return re.sub(r"\D", "", phone or "")


def phone_key(phone: str) -> str:
    """One spelling per phone for counting and locking: its digits without the 00 international prefix.

    "+44 20 7946 0958", "44 20 7946 0958" and "0044 20 7946 0958" are the same phone (no
    national number starts with 00, the international prefix almost everywhere).
    """
    digits = phone_digits(phone)
    return digits[2:] if digits.startswith("00") else digits


def phone_spellings(phone: str) -> list[str]:
    """How the checkout may have stored this phone (digits with an optional + or 00 prefix)."""
    key = phone_key(phone)
    return [key, f"+{key}", f"00{key}", f"+00{key}"]


def client_network(address: str | None) -> str | None:
    """The network a client address stands for: the IPv4 address, or the IPv6 /64 prefix.

    One IPv6 subscriber gets a whole /64, so counting single IPv6 addresses would let one
    person rotate through billions of them.
    """
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# Where a reverse proxy on the shop's own machine or network talks from: loopback, RFC 1918,
# carrier-grade NAT (container networks), IPv6 unique-local and link-local. Not ipaddress's
# is_private, which also covers the documentation ranges that stand for public clients.
PROXY_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def counted_address(remote_addr: str | None, forwarded_for: str | None, trust_proxy: int) -> str | None:
    """The client address to count open cash orders by, or None when it stands for every shopper.

    Behind a reverse proxy the shop was not told about (TRUST_PROXY=0), every request comes
    from the proxy's own loopback or private address with X-Forwarded-For set: counting that
    one address would give the whole shop a single quota. Such requests are not counted by
    address (the per-phone limit still holds). A client on a public address gains nothing by
    forging the header, and with TRUST_PROXY set remote_addr is already the real client's.
    """
    if trust_proxy or not (forwarded_for or "").strip():
        return remote_addr
    try:
        peer = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return remote_addr
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return None if any(peer in net for net in PROXY_NETWORKS) else remote_addr


def client_hash(address: str | None, secret: str | bytes) -> str | None:
    """A keyed hash of the client's network (HMAC-SHA256 with the app secret): never the raw IP."""
    network = client_network(address)
    if network is None:
        return None
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"order-client:{network}".encode(), hashlib.sha256).hexdigest()


def lock_key(kind: str, value: str) -> int:
    """A signed 64-bit key for a PostgreSQL advisory lock on one phone or one address."""
    digest = hashlib.sha256(f"storefront-hoard:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def whatsapp_number(phone: str, calling_code: str = "") -> str | None:
    """The number for a https://wa.me/ link (international digits), or None when it cannot be known.

    A number typed with + is international already; a local one needs the shop's country
    calling code (SHOP_CALLING_CODE), its one leading trunk 0 dropped.
    """
    digits = phone_digits(phone)
    if not digits:
        return None
    if (phone or "").strip().startswith("+") or digits.startswith("00"):
        return phone_key(phone)
    code = phone_digits(calling_code)
    if not code:
        return None
    return code + (digits[1:] if digits.startswith("0") else digits)


class _PlacedOrder(Protocol):
    status: str
    payment_method: str
    created_at: datetime


def release_deadline(order: _PlacedOrder, after_hours: int) -> datetime | None:
    """When the sweep will cancel this order if staff do not confirm it (unconfirmed cash orders only)."""
    if after_hours <= 0 or order.status != OrderStatus.PLACED or order.payment_method != PaymentMethod.CASH:
        return None
    return order.created_at + timedelta(hours=after_hours)
