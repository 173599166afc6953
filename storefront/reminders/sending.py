"""The one door reminders send through: notify's marketing queue (consent-checked, once per key, opt-out link).

TEMPORARY ADAPTER until branch `campaigns` (storefront/notify/marketing.py) is merged: same signature,
checks consent and answers whether it would queue, but queues nothing itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..customers import consent
from ..customers.models import Customer


def queue_marketing(
    session: Session,
    *,
    key: str,
    customer: Customer,
    channel: str,
    locale: str,
    title: str,
    body: str,
    url: str,
    now: datetime,
) -> bool:
    """Queue one marketing message to `customer` on `channel` once per `key`; False when not allowed."""
    return consent.allows(customer, channel)
