"""Helpers for the behaviour-logging tests: a beacon sender and event counts."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from storefront.analytics.models import Event
from storefront.extensions import db

PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile"


SHOPPER_IP = "203.0.113.7"


def send(client, body, content_type: str = "text/plain", ip: str = SHOPPER_IP, ua: str = PHONE_UA, **headers):
    """POST a beacon body (a dict is JSON-encoded) as a phone at `ip` would."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        "/e",
        data=data,
        content_type=content_type,
        headers={"User-Agent": ua, **headers},
        environ_base={"REMOTE_ADDR": ip},
    )


def event_count(app) -> int:
    """How many events are stored (read in a short app context)."""
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)))


def stored_events(app) -> list[Event]:
    """Every stored event in id order, detached for reading after the context closes."""
    with app.app_context():
        events = list(db.session.scalars(select(Event).order_by(Event.id)))
        db.session.expunge_all()
        return events
