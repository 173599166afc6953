"""The marketing send path: one offer to one customer who opted in, on one channel, once per key.

Campaigns and reminders call `queue_marketing` inside their own transaction. It writes the send-log
rows (kind "marketing", shown as such on /admin/notifications) and the `notify.send` jobs of the
usual flow (service.queue_messages): the log's unique (event, channel, recipient) makes a repeated
key a no-op, so a redelivered job or a second run sends nothing twice. The message carries the
customer's one-click opt-out link (customers.consent.optout_url; email: also List-Unsubscribe and
List-Unsubscribe-Post), and consent is asked again when the message is sent (service.send).

WhatsApp is never sent by the shop (the owner exports it): only "push" and "email" queue anything.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers import consent
from ..customers.models import Customer, CustomerOrder
from . import mail, messages, rules, service
from .models import PushSubscription
from .rules import Kind

SENT_CHANNELS = ("push", "email")  # whatsapp: exported for the owner's phone, never sent from here
BODY_KEEP_CHARS = 2000  # the caller's text as stored in the log's context (rendering cuts it to fit)


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
    pixel: str = "",
) -> bool:
    """Queue an offer (`title`, `body` already in `locale`, opening `url`) to the customer on `channel`.

    True when something was queued now; False when the customer has not opted in on the channel,
    the channel is not one the shop sends on, the customer has no device or address there, or
    `key` was queued already (each message goes once). Never commits. `pixel`: a path of the shop
    whose image an email shows (an open counter, e.g. a campaign's /r/<token>/o.gif).
    """
    if channel not in SENT_CHANNELS or not consent.allows(customer, channel):
        return False
    locale = locale or current_app.config.get("SHOP_LOCALE", "en")
    recipients = customer_devices(session, customer, locale) if channel == "push" else _email(customer, locale)
    if not recipients:
        return False
    context = {
        "customer_id": customer.id,
        "channel": channel,
        "key": key,
        "title": title[: messages.TITLE_CHARS],
        "body": body[:BODY_KEEP_CHARS],
        "url": messages.relative_url(url or "/"),  # only a path of the shop, never another site
        "base": service.base_url(),
    }
    if pixel and channel == "email":
        context["pixel"] = messages.relative_url(pixel)
    return service.queue_messages(session, key, Kind.MARKETING, recipients, context, now) > 0


def customer_devices(session: Session, customer: Customer, locale: str) -> list[service.Recipient]:
    """The customer's browsers: push subscriptions of their own orders, one per endpoint, the newest MAX_DEVICES.

    Not those of back-in-stock watches with the same email: a watch's address is never verified, so a
    stranger's browser could otherwise receive this customer's personal links.
    """
    theirs = PushSubscription.order_id.in_(
        select(CustomerOrder.order_id).where(CustomerOrder.customer_id == customer.id)
    )
    seen: set[str] = set()
    out: list[service.Recipient] = []
    for sub in session.scalars(select(PushSubscription).where(theirs).order_by(PushSubscription.id)):
        if sub.endpoint_hash not in seen:  # one browser following three orders gets one message
            seen.add(sub.endpoint_hash)
            out.append(service.Recipient("push", rules.push_recipient(sub.id), locale, subscription_id=sub.id))
    return out[-service.MAX_DEVICES :]


def _email(customer: Customer, locale: str) -> list[service.Recipient]:
    if not customer.email or not mail.configured(current_app.config):
        return []
    return [service.Recipient("email", rules.email_recipient(customer.email), locale)]
