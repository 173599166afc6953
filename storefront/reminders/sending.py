"""The one door reminders send through: notify's marketing queue (consent-checked, once per key, opt-out link).

Kept as its own module so the reminders name the send path in one place (tests replace it here).
"""

from __future__ import annotations

from ..notify.marketing import queue_marketing

__all__ = ["queue_marketing"]
