"""Pure campaign rules: channels, statuses, the send schedule, safe landing paths, the texts, wa.me links."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

from ..domain import N_

CHANNELS = ("push", "email", "whatsapp")
CHANNEL_LABELS = {"push": N_("Push notification"), "email": N_("Email"), "whatsapp": N_("WhatsApp (export)")}
STATUS_LABELS = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "cancelled": N_("Cancelled"),
}
MAX_RATE = 10_000  # messages per minute
TITLE_CHARS, BODY_CHARS, CODE_CHARS, NAME_CHARS = 120, 600, 40, 80
COOKIE = "sf_campaign"  # the recipient token of the last campaign link this browser followed
COOKIE_DAYS = 30


def event_key(campaign_id: int, customer_id: int) -> str:
    """The send log's key of one campaign message: each customer gets it once."""
    return f"campaign:{campaign_id}:{customer_id}"


def send_at(start: datetime, index: int, rate_per_minute: int) -> datetime:
    """When the `index`-th message (from 0) goes, at `rate_per_minute` from `start`."""
    return start + timedelta(seconds=60 * index / max(rate_per_minute, 1))


def safe_path(landing: str) -> str:
    """A path of this shop ("/..."); anything else (another site, "//host", a scheme) is the home page."""
    landing = (landing or "").strip()
    if not landing.startswith("/") or landing.startswith(("//", "/\\")) or any(c in landing for c in "\r\n\t\\"):
        return "/"
    return landing


def pick_locale(messages: dict, locale: str, default: str) -> str:
    """The language a recipient reads: theirs when the campaign has it, else the shop's, else any."""
    for candidate in (locale, default):
        if candidate and (messages.get(candidate) or {}).get("title"):
            return candidate
    return next((k for k, v in sorted(messages.items()) if (v or {}).get("title")), default)


def phone_digits(phone: str) -> str:
    """The international digits wa.me wants ("+44 20 7946" -> "44207946")."""
    return re.sub(r"\D", "", phone or "")


def wa_link(phone: str, text: str) -> str:
    """A personal WhatsApp link that opens a chat with `phone` and `text` typed in."""
    return f"https://wa.me/{phone_digits(phone)}?text={quote(text, safe='')}"
