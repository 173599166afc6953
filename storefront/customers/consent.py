"""Marketing consent: record an opt-in or opt-out (log row + current flag), ask it, sign opt-out links.

Order messages are not marketing and never ask this. Every marketing message (campaign, reminder)
goes only to a customer whose flag for that channel is set, and carries `optout_url`.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from .models import CONSENT_CHANNELS, ConsentEvent, Customer

SALT = "storefront.customers.marketing-optout"
FLAG = {"email": Customer.marketing_email, "push": Customer.marketing_push, "whatsapp": Customer.marketing_whatsapp}


def record(
    session: Session, customer_id: int, channel: str, granted: bool, source: str, now: datetime, detail: str = ""
) -> None:
    """Set the customer's flag for `channel` and log the change (time, source, detail) in this transaction."""
    if channel not in CONSENT_CHANNELS:
        raise ValueError(f"unknown consent channel {channel!r}")
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values({FLAG[channel].key: granted, "updated_at": now})
        .execution_options(synchronize_session=False)
    )
    session.add(
        ConsentEvent(
            customer_id=customer_id, channel=channel, granted=granted, source=source[:24], detail=detail[:120], at=now
        )
    )
    session.flush()


def allows(customer: Customer, channel: str) -> bool:
    """True when the customer opted in to offers on `channel` (and has not opted out since)."""
    return channel in CONSENT_CHANNELS and bool(getattr(customer, FLAG[channel].key))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def optout_token(customer_id: int, channel: str, detail: str = "") -> str:
    """A signed, non-expiring token naming the customer, the channel and (optionally) the campaign."""
    return _signer().dumps([customer_id, channel, detail[:60]])


def read_optout_token(token: str) -> tuple[int, str, str] | None:
    """(customer id, channel, detail) of a token of ours, else None."""
    try:
        value = _signer().loads((token or "")[:400])
    except BadSignature:
        return None
    if (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and value[1] in CONSENT_CHANNELS
        and isinstance(value[2], str)
    ):
        return value[0], value[1], value[2]
    return None


def optout_url(customer_id: int, channel: str, detail: str = "") -> str:
    """The one-click opt-out link every marketing message carries (absolute)."""
    return url_for("customers.optout", token=optout_token(customer_id, channel, detail), _external=True)
