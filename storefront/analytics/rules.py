"""Pure behaviour-logging rules: the beacon's event schema, bots, privacy ids, traffic sources.

No Flask and no session here: values in, values out, InvalidEvent (a DomainError) raised.
The schema is a closed list on purpose: anything the tracker does not send is refused, so
a bug or a forged request cannot fill the events table with free-form data.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from ..cart.rules import CART_TOKEN_RE as CART_TOKEN_RE  # the cart token: the cart owns its shape
from ..cart.rules import cart_hash as cart_hash
from ..domain import N_, DomainError

MAX_BODY_BYTES = 8 * 1024
MAX_EVENTS = 20
MAX_AGE_DAYS = 36_500

EVENT_NAMES = frozenset(
    {"page_view", "view_item_list", "view_item", "select_item", "search", "add_to_cart", "remove_from_cart"}
    | {"begin_checkout", "share", "engagement"}
)
SERVER_EVENT_NAMES = frozenset({"purchase", "refund"})  # never accepted from the browser

ATTRIBUTION = frozenset({"referrer", "utm_source", "utm_medium", "utm_campaign", "ref", "source"})
COMMON_FIELDS = frozenset({"name", "ts", "path"}) | ATTRIBUTION
PRODUCT = frozenset({"product_slug", "variant_id", "quantity", "value", "currency"})
FIELDS_BY_EVENT: dict[str, frozenset[str]] = {
    "page_view": frozenset(),
    "view_item_list": frozenset({"list"}),
    "view_item": frozenset({"product_slug", "variant_id", "value", "currency", "list"}),
    "select_item": frozenset({"product_slug", "list"}),
    "search": frozenset({"query"}),
    "add_to_cart": PRODUCT,
    "remove_from_cart": PRODUCT,
    "begin_checkout": frozenset({"value", "currency", "quantity"}),
    "share": frozenset({"product_slug"}),
    "engagement": frozenset({"dwell_ms", "scroll_pct", "product_slug"}),
}
REQUIRED_BY_EVENT: dict[str, frozenset[str]] = {
    "view_item": frozenset({"product_slug"}),
    "select_item": frozenset({"product_slug"}),
    "search": frozenset({"query"}),
    "add_to_cart": frozenset({"variant_id"}),
    "remove_from_cart": frozenset({"variant_id"}),
    "engagement": frozenset({"dwell_ms"}),
}

# A client clock may be off, and the service worker may replay a batch sent offline; older
# or far-future timestamps mean a broken client, not a shopper.
TS_PAST = timedelta(days=30)
TS_FUTURE = timedelta(days=1)


@dataclass(frozen=True)
class Text:
    """A string field: at most `max_len` characters, optionally matching `pattern`."""

    max_len: int
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Number:
    """An integer field between `low` and `high` (JSON booleans and floats are refused)."""

    low: int
    high: int


NO_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SPECS: dict[str, Text | Number] = {
    "name": Text(24),
    "ts": Number(0, 2**53),
    "path": Text(300, re.compile(r"/[^?#\s]*")),
    "product_slug": Text(120, re.compile(r"[\w-]+")),
    "variant_id": Number(1, 2**31 - 1),
    "quantity": Number(1, 1000),
    "value": Number(0, 10**9),
    "currency": Text(3, re.compile(r"[A-Z]{3}")),
    "query": Text(100),
    "dwell_ms": Number(0, 86_400_000),
    "scroll_pct": Number(0, 100),
    "list": Text(80),
    "referrer": Text(300),
    "utm_source": Text(80),
    "utm_medium": Text(80),
    "utm_campaign": Text(80),
    "ref": Text(32, re.compile(r"[A-Za-z0-9_-]+")),
    "source": Text(8, re.compile(r"pwa")),
}
SESSION_ID_RE = re.compile(r"[0-9a-f]{32}")
AGE_RE = re.compile(r"(\d{1,6})d")
BOT_RE = re.compile(
    r"bot|crawler|spider|facebookexternalhit|WhatsApp|TelegramBot|Slackbot|Twitterbot|LinkedInBot|Discordbot",
    re.IGNORECASE,
)


class InvalidEvent(DomainError):
    """The beacon's batch breaks the schema; `code` names the reason (unknown_field ...)."""

    status_code = 400

    def __init__(self, code: str, template: str, **params) -> None:
        super().__init__(template, **params)
        self.code = code


class PayloadTooLarge(DomainError):
    """The beacon's body is over MAX_BODY_BYTES."""

    status_code = 413
    code = "too_large"


class UnsupportedType(DomainError):
    """The beacon's body is neither text/plain nor application/json."""

    status_code = 415
    code = "unsupported_type"


class InvalidAge(DomainError):
    """A retention age that is not a whole number of days like '400d'."""

    code = "invalid_age"


@dataclass(frozen=True)
class EventInput:
    """One validated browser event; absent fields are None (the JSON key `list` is `list_name`)."""

    name: str
    ts: int | None = None
    path: str | None = None
    product_slug: str | None = None
    variant_id: int | None = None
    quantity: int | None = None
    value: int | None = None
    currency: str | None = None
    query: str | None = None
    dwell_ms: int | None = None
    scroll_pct: int | None = None
    list_name: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    ref: str | None = None
    source: str | None = None

    @property
    def has_attribution(self) -> bool:
        """True when the event says where the visit came from (landing page views do)."""
        return any(getattr(self, key) for key in ATTRIBUTION)


@dataclass(frozen=True)
class Batch:
    """A validated beacon body: the events and the session id the tracker sent, if any."""

    events: list[EventInput] = field(default_factory=list)
    session_id: str | None = None


def validate_batch(payload: object, now: datetime) -> Batch:
    """Check a decoded beacon body against the closed schema; all events or none."""
    if not isinstance(payload, dict) or not set(payload) <= {"events", "sid"}:
        raise InvalidEvent("bad_batch", N_('The body must be an object like {"events": [...]}.'))
    events = payload.get("events")
    if not isinstance(events, list):
        raise InvalidEvent("bad_batch", N_('The body must be an object like {"events": [...]}.'))
    if not events:
        raise InvalidEvent("empty", N_("The batch has no events."))
    if len(events) > MAX_EVENTS:
        raise InvalidEvent("too_many", N_("At most %(limit)s events per batch."), limit=MAX_EVENTS)
    sid = payload.get("sid")
    if sid is not None and not (isinstance(sid, str) and SESSION_ID_RE.fullmatch(sid)):
        raise InvalidEvent("bad_format", N_("The session id must be 32 hexadecimal characters."))
    now_ms = int((now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp() * 1000)
    return Batch([validate_event(item, index, now_ms) for index, item in enumerate(events, 1)], sid)


def validate_event(item: object, index: int, now_ms: int) -> EventInput:
    """One event: a known name, only its own fields, each of the right type and size."""
    if not isinstance(item, dict):
        raise InvalidEvent("bad_batch", N_("Event %(index)s is not an object."), index=index)
    name = item.get("name")
    if not isinstance(name, str) or name not in EVENT_NAMES:
        raise InvalidEvent("unknown_event", N_("Event %(index)s has an unknown name."), index=index)
    allowed = COMMON_FIELDS | FIELDS_BY_EVENT[name]
    for key in item:
        if key not in allowed:
            raise InvalidEvent(
                "unknown_field", N_("Event %(index)s: unknown field %(field)s."), index=index, field=str(key)[:40]
            )
    values = {key: _check_value(key, value, index) for key, value in item.items() if value is not None}
    for key in REQUIRED_BY_EVENT.get(name, ()):
        if values.get(key) is None:
            raise InvalidEvent("missing_field", N_("Event %(index)s: %(field)s is missing."), index=index, field=key)
    ts = values.get("ts")
    if ts is not None and not (now_ms - _ms(TS_PAST) <= ts <= now_ms + _ms(TS_FUTURE)):
        raise InvalidEvent("out_of_range", N_("Event %(index)s: ts is not a plausible time."), index=index)
    if "list" in values:
        values["list_name"] = values.pop("list")
    return EventInput(**values)


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def _check_value(key: str, value: object, index: int) -> object:
    """One field's value against its spec; empty strings become None (nothing to store)."""
    spec = SPECS[key]
    if isinstance(spec, Number):
        if type(value) is not int:
            raise InvalidEvent(
                "wrong_type", N_("Event %(index)s: %(field)s must be a whole number."), index=index, field=key
            )
        if not spec.low <= value <= spec.high:
            raise InvalidEvent(
                "out_of_range", N_("Event %(index)s: %(field)s is out of range."), index=index, field=key
            )
        return value
    if not isinstance(value, str):
        raise InvalidEvent("wrong_type", N_("Event %(index)s: %(field)s must be text."), index=index, field=key)
    if len(value) > spec.max_len:
        raise InvalidEvent(
            "too_long",
            N_("Event %(index)s: %(field)s is longer than %(limit)s characters."),
            index=index,
            field=key,
            limit=spec.max_len,
        )
    if not _storable(value) or (value and spec.pattern and not spec.pattern.fullmatch(value)):
        raise InvalidEvent("bad_format", N_("Event %(index)s: %(field)s is not well formed."), index=index, field=key)
    return value or None


def _storable(text: str) -> bool:
    """No control characters (PostgreSQL refuses NUL) and no lone surrogates (not UTF-8)."""
    if NO_CONTROL.search(text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_bot(user_agent: str | None) -> bool:
    """True for crawlers and link-preview fetchers, whose visits are not shoppers'."""
    return bool(user_agent and BOT_RE.search(user_agent))


def opted_out(dnt: str | None, gpc: str | None) -> bool:
    """True when the browser asks not to be tracked (DNT: 1 or Sec-GPC: 1)."""
    return (dnt or "").strip() == "1" or (gpc or "").strip() == "1"


def visitor_id(salt: str, ip: str, user_agent: str) -> str:
    """A daily pseudonymous visitor id; without the day's salt it cannot be tied to an IP."""
    return hashlib.sha256(f"{salt}|{ip}|{user_agent}".encode("utf-8", "replace")).hexdigest()[:32]


def session_id(value: str | None) -> str | None:
    """The tracker's session id when well formed (it comes from a cookie or the body)."""
    return value if value and SESSION_ID_RE.fullmatch(value) else None


def redact_path(path: str | None) -> str | None:
    """The page path without secrets: order pages are reached by a token that opens them."""
    if path is None:
        return None
    return re.sub(r"^/o/[^/]+", "/o/-", path)


def parse_age(text: str) -> timedelta:
    """A retention age like '400d' (whole days, at least one) as a timedelta."""
    match = AGE_RE.fullmatch((text or "").strip().lower())
    if not match or not 1 <= int(match.group(1)) <= MAX_AGE_DAYS:
        raise InvalidAge(N_("Give the age as a number of days, like 400d (got %(value)s)."), value=text)
    return timedelta(days=int(match.group(1)))


SOURCE_REF, SOURCE_UTM, SOURCE_PWA = "ref", "utm", "pwa"
SOURCE_SEARCH, SOURCE_SOCIAL, SOURCE_REFERRAL = "search", "social", "referral"
SOURCE_INTERNAL, SOURCE_DIRECT = "internal", "direct"
SEARCH_BRANDS = frozenset({"google", "bing", "duckduckgo", "yahoo", "yandex", "baidu", "ecosia", "qwant", "brave"})
SOCIAL_DOMAINS = frozenset(
    {"facebook.com", "fb.com", "instagram.com", "t.co", "twitter.com", "x.com", "linkedin.com", "lnkd.in"}
    | {"pinterest.com", "reddit.com", "tiktok.com", "youtube.com", "whatsapp.com", "wa.me", "t.me", "threads.net"}
)


@dataclass(frozen=True)
class Source:
    """Where a visit came from: a label (SOURCE_*) and, for links, only the referring domain."""

    label: str
    referrer_host: str | None = None


def classify_source(event: EventInput, own_host: str) -> Source:
    """Seller ref code, then utm tags, then a home-screen launch, then the referrer, else direct."""
    name = _hostname(event.referrer)
    host = referrer_host(event.referrer)
    if event.ref:
        return Source(SOURCE_REF, host)
    if event.utm_source or event.utm_medium or event.utm_campaign:
        return Source(SOURCE_UTM, host)
    if event.source == "pwa":
        return Source(SOURCE_PWA)
    if name is not None and name == _hostname(f"http://{own_host}"):
        return Source(SOURCE_INTERNAL)
    if host is None:
        # A referrer we cannot name (an IP address, an app) still means a link was followed.
        return Source(SOURCE_REFERRAL if event.referrer else SOURCE_DIRECT)
    if SEARCH_BRANDS.intersection(host.split(".")[:-1]):
        return Source(SOURCE_SEARCH, host)
    if any(host == d or host.endswith("." + d) for d in SOCIAL_DOMAINS):
        return Source(SOURCE_SOCIAL, host)
    return Source(SOURCE_REFERRAL, host)


def referrer_host(referrer: str | None) -> str | None:
    """The referring site's domain without 'www.'; the rest of the URL is never kept."""
    name = _hostname(referrer)
    if name is None:
        return None
    try:
        ipaddress.ip_address(name)
        return None  # an address is not a site name, and addresses are never stored
    except ValueError:
        return name[:253]


def _hostname(url: str | None) -> str | None:
    """The lower-case host of an http(s) URL without 'www.' and port, or None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        name = parts.hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme not in ("http", "https") or not name:
        return None
    name = name.rstrip(".")
    return (name[4:] if name.startswith("www.") else name) or None
