"""Campaign use-cases. Each takes the session and `now` and never commits (the view or the job does).

Sending: `schedule` enqueues one `campaigns.start` job (at the chosen time, or now). It snapshots the
segment's members who consented on the channel into recipients and enqueues one `campaigns.send`
job per recipient, spread by the owner's rate. Each send job queues the message through
notify.marketing (key "campaign:<id>:<customer>": a rerun or a redelivered job sends nothing twice).
Cancelling marks what is not yet queued cancelled; a send job finding it so does nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import jobs
from ..customers import consent
from ..customers.models import Customer, CustomerOrder
from ..db import insert_ignoring_duplicates
from ..domain import N_, Conflict, Invalid, NotFound
from ..jobs.models import Job
from ..notify import marketing
from ..notify.models import Notification
from ..orders.models import Order
from ..orders.rules import SALE_STATUSES
from ..promotions import service as promotions
from ..segments.models import Segment
from ..segments.service import member_ids
from . import rules
from .models import Campaign, CampaignOrder, CampaignRecipient

START, SEND = "campaigns.start", "campaigns.send"
SEND_ATTEMPTS = 5


@dataclass
class Draft:
    """What the owner typed in the campaign form."""

    name: str
    segment_id: int | None
    channel: str
    messages: dict[str, dict[str, str]]
    landing: str
    code: str
    scheduled_at: datetime | None
    rate_per_minute: int


def shop_locale() -> str:
    return current_app.config.get("SHOP_LOCALE", "en")


def create(session: Session, draft: Draft, user_id: int | None, now: datetime) -> Campaign:
    """A draft campaign, checked (Invalid names what is wrong)."""
    if not draft.name.strip():
        raise Invalid(N_("Give the campaign a name."))
    if draft.channel not in rules.CHANNELS:
        raise Invalid(N_("Choose a channel."))
    if draft.segment_id is None or session.get(Segment, draft.segment_id) is None:
        raise Invalid(N_("Choose a segment."))
    messages = {
        loc: {"title": m["title"].strip()[: rules.TITLE_CHARS], "body": m["body"].strip()[: rules.BODY_CHARS]}
        for loc, m in draft.messages.items()
        if m.get("title", "").strip()
    }
    if not messages:
        raise Invalid(N_("Write the message in at least one language."))
    if not 1 <= draft.rate_per_minute <= rules.MAX_RATE:
        raise Invalid(N_("The rate must be between 1 and 10,000 messages a minute."))
    if draft.scheduled_at is not None and draft.scheduled_at <= now:
        raise Invalid(N_("The time to send must be in the future."))
    code = draft.code.strip()[: rules.CODE_CHARS]
    if code:
        code = promotions.check_known_code(session, code)
    campaign = Campaign(
        name=draft.name.strip()[: rules.NAME_CHARS],
        segment_id=draft.segment_id,
        channel=draft.channel,
        messages=messages,
        landing=rules.safe_path(draft.landing),
        code=code,
        scheduled_at=draft.scheduled_at,
        rate_per_minute=draft.rate_per_minute,
        status="draft",
        created_by=user_id,
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(N_("That campaign does not exist."))
    return campaign


def schedule(session: Session, campaign_id: int, now: datetime) -> Campaign:
    """Send a draft: now, or at its scheduled time (a job waits until then)."""
    campaign = get(session, campaign_id)
    if campaign.status != "draft":
        raise Conflict(N_("This campaign was sent or cancelled already."))
    when = campaign.scheduled_at if campaign.scheduled_at and campaign.scheduled_at > now else now
    campaign.status = "scheduled"
    jobs.enqueue(session, START, {"id": campaign.id}, key=f"campaign:{campaign.id}", run_at=when, now=now)
    return campaign


def cancel(session: Session, campaign_id: int, now: datetime) -> int:
    """Stop a campaign: nothing not yet queued goes out. How many recipients were stopped."""
    campaign = get(session, campaign_id)
    if campaign.status not in ("draft", "scheduled", "sending"):
        raise Conflict(N_("This campaign cannot be cancelled any more."))
    campaign.status, campaign.cancelled_at = "cancelled", now
    return session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount


def consenting(session: Session, segment: Segment, channel: str, now: datetime):
    """A SELECT of the ids of the segment's members who consented to offers on `channel`."""
    members = member_ids(session, _definition(segment), now)
    return select(Customer.id).where(Customer.id.in_(members.scalar_subquery()), consent.FLAG[channel].is_(True))


def consenting_count(session: Session, segment: Segment, channel: str, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(consenting(session, segment, channel, now).subquery()))


def _definition(segment: Segment) -> dict:
    try:
        value = json.loads(segment.definition or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def start(session: Session, campaign_id: int, now: datetime) -> int:
    """The start job: snapshot the consenting members and spread their send jobs by the rate; how many."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "scheduled":
        return 0  # cancelled meanwhile, or started already (a rerun)
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    campaign.status, campaign.started_at = "sending", now
    ids = session.scalars(consenting(session, segment, campaign.channel, now)).all() if segment else []
    if ids:
        session.execute(
            CampaignRecipient.__table__.insert(),
            [
                {
                    "campaign_id": campaign.id,
                    "customer_id": customer_id,
                    "channel": campaign.channel,
                    "token": secrets.token_urlsafe(16),
                    "status": "pending",
                }
                for customer_id in sorted(ids)
            ],
        )
    if campaign.channel == "whatsapp":
        campaign.status = "sent"  # the owner sends them from their phone: the export page
        return len(ids)
    recipients = session.execute(
        select(CampaignRecipient.id, CampaignRecipient.customer_id)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .order_by(CampaignRecipient.id)
    ).all()
    # One multi-row INSERT for the send jobs (100,000 recipients enqueue in seconds); the start job runs
    # once (its status guard above), so their (name, key) pairs are new: no conflict to skip.
    if recipients:
        session.execute(
            Job.__table__.insert(),
            [
                {
                    "name": SEND,
                    "key": rules.event_key(campaign.id, customer_id),
                    "payload": {"id": recipient_id},
                    "status": "queued",
                    "attempts": 0,
                    "max_attempts": SEND_ATTEMPTS,
                    "run_at": rules.send_at(now, index, campaign.rate_per_minute),
                    "created_at": now,
                }
                for index, (recipient_id, customer_id) in enumerate(recipients)
            ],
        )
    if not recipients:
        campaign.status = "sent"
    return len(recipients)


def send_one(session: Session, recipient_id: int, now: datetime) -> str:
    """The send job: queue one recipient's message (once); the recipient's status after."""
    recipient = session.get(CampaignRecipient, recipient_id)
    if recipient is None:
        return "gone"
    campaign = session.get(Campaign, recipient.campaign_id)
    if recipient.status != "pending" or campaign.status != "sending":
        return recipient.status
    customer = session.get(Customer, recipient.customer_id)
    title, body, locale = texts(campaign, customer)
    queued = customer is not None and marketing.queue_marketing(
        session,
        key=rules.event_key(campaign.id, customer.id),
        customer=customer,
        channel=campaign.channel,
        locale=locale,
        title=title,
        body=body,
        url=f"/r/{recipient.token}",
        now=now,
        pixel=f"/r/{recipient.token}/o.gif",
    )
    recipient.status = "queued" if queued else "skipped"
    recipient.queued_at = recipient.sent_at = now if queued else None
    session.flush()
    waiting = session.scalar(
        select(func.count())
        .select_from(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "pending")
    )
    if not waiting:
        campaign.status = "sent"
    return recipient.status


def texts(campaign: Campaign, customer: Customer | None) -> tuple[str, str, str]:
    """(title, body, locale) of the campaign for a customer: their language if written, with the code."""
    locale = rules.pick_locale(campaign.messages, customer.locale if customer else "", shop_locale())
    message = campaign.messages.get(locale) or {"title": "", "body": ""}
    body = message["body"]
    if campaign.code:
        with current_app.test_request_context("/"), force_locale(locale):
            line = gettext("Your code: %(code)s", code=campaign.code)
        body = f"{body}\n\n{line}" if body else line
    return message["title"], body, locale


# -- tracked links ---------------------------------------------------------------------------


def recipient_by_token(session: Session, token: str) -> CampaignRecipient | None:
    if not token or len(token) > 32:
        return None
    return session.scalar(select(CampaignRecipient).where(CampaignRecipient.token == token))


def clicked(session: Session, token: str, now: datetime) -> str | None:
    """A recipient followed their link: count it once; the campaign's landing path, or None (unknown token)."""
    recipient = recipient_by_token(session, token)
    if recipient is None:
        return None
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id == recipient.id, CampaignRecipient.clicked_at.is_(None))
        .values(clicked_at=now)
        .execution_options(synchronize_session=False)
    )
    return rules.safe_path(session.get(Campaign, recipient.campaign_id).landing)


def opened(session: Session, token: str, now: datetime) -> bool:
    """An email's pixel was loaded: count the open once. False for an unknown token."""
    recipient = recipient_by_token(session, token)
    if recipient is None:
        return False
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id == recipient.id, CampaignRecipient.opened_at.is_(None))
        .values(opened_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


def attribute(session: Session, order: Order, token: str | None, now: datetime) -> bool:
    """Credit a just-placed order to the campaign whose link this browser followed (once per order)."""
    recipient = recipient_by_token(session, token or "")
    if recipient is None:
        return False
    values = {
        "order_id": order.id,
        "campaign_id": recipient.campaign_id,
        "recipient_id": recipient.id,
        "created_at": now,
    }
    return insert_ignoring_duplicates(session, CampaignOrder, values, ["order_id"]) is not None


def attribute_code(session: Session, order: Order, code: str, now: datetime) -> bool:
    """Credit an order that used a campaign's code to that campaign, when its customer was a recipient.

    The newest such campaign wins; an order already credited (by its link) keeps its campaign.
    """
    found = session.execute(
        select(CampaignRecipient.id, CampaignRecipient.campaign_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .join(CustomerOrder, CustomerOrder.customer_id == CampaignRecipient.customer_id)
        .where(CustomerOrder.order_id == order.id, func.upper(Campaign.code) == code.upper())
        .order_by(Campaign.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return False
    values = {"order_id": order.id, "campaign_id": found.campaign_id, "recipient_id": found.id, "created_at": now}
    return insert_ignoring_duplicates(session, CampaignOrder, values, ["order_id"]) is not None


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    reached: int
    delivered: int
    opened: int
    clicked: int
    orders: int
    revenue: int
    discount: int


def figures(session: Session, campaign: Campaign) -> Figures:
    """The campaign's report, from its recipients, the send log and its orders (sale orders only)."""
    recipients = CampaignRecipient.campaign_id == campaign.id
    reached = session.scalar(
        select(func.count()).where(recipients, CampaignRecipient.status.in_(("queued", "exported")))
    )
    delivered = session.scalar(
        select(func.count(func.distinct(Notification.event_key))).where(
            Notification.event_key.like(f"campaign:{campaign.id}:%"), Notification.status == "sent"
        )
    )
    opened_count = session.scalar(select(func.count()).where(recipients, CampaignRecipient.opened_at.is_not(None)))
    clicked_count = session.scalar(select(func.count()).where(recipients, CampaignRecipient.clicked_at.is_not(None)))
    orders, revenue, discount = session.execute(
        select(
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), 0),
            func.coalesce(func.sum(Order.subtotal + Order.shipping - Order.total), 0),
        )
        .join(CampaignOrder, CampaignOrder.order_id == Order.id)
        .where(CampaignOrder.campaign_id == campaign.id, Order.status.in_([s.value for s in SALE_STATUSES]))
    ).one()
    return Figures(reached, delivered, opened_count, clicked_count, orders, int(revenue), int(discount))


# -- WhatsApp export -------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatsappLine:
    recipient_id: int
    name: str
    phone: str
    link: str
    text: str


def whatsapp_lines(session: Session, campaign: Campaign, base: str) -> list[WhatsappLine]:
    """Each consenting recipient with a phone: their name, phone and personal wa.me link (text in their language)."""
    out = []
    rows = session.execute(
        select(CampaignRecipient, Customer)
        .join(Customer, Customer.id == CampaignRecipient.customer_id)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status.in_(("pending", "exported")))
        .order_by(Customer.name, Customer.id)
    ).all()
    for recipient, customer in rows:
        if not consent.allows(customer, "whatsapp") or not rules.phone_digits(customer.phone):
            continue
        title, body, locale = texts(campaign, customer)
        link = base.rstrip("/") + f"/r/{recipient.token}"
        with current_app.test_request_context("/", base_url=base), force_locale(locale):
            stop = gettext(
                "No more offers like this: %(url)s",
                url=consent.optout_url(customer.id, "whatsapp", rules.event_key(campaign.id, customer.id)),
            )
        text = "\n\n".join(part for part in (title, body, link, stop) if part)
        out.append(WhatsappLine(recipient.id, customer.name, customer.phone, rules.wa_link(customer.phone, text), text))
    return out


def mark_exported(session: Session, campaign: Campaign, lines: list[WhatsappLine], now: datetime) -> int:
    """The owner took the list: the recipients on it are "exported" (reached); those left off it are "skipped"."""
    pending = [CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "pending"]
    on_list = [line.recipient_id for line in lines]
    done = session.execute(
        update(CampaignRecipient)
        .where(*pending, CampaignRecipient.id.in_(on_list))
        .values(status="exported", sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(  # opted out since the snapshot, or no phone to write to
        update(CampaignRecipient)
        .where(*pending, CampaignRecipient.id.not_in(on_list))
        .values(status="skipped")
        .execution_options(synchronize_session=False)
    )
    return done


def started_between(session: Session, start: datetime, end: datetime) -> list[Campaign]:
    """Campaigns that started sending in [start, end) (naive UTC), newest first: the reports' campaigns table."""
    stmt = (
        select(Campaign)
        .where(Campaign.started_at >= start, Campaign.started_at < end)
        .order_by(Campaign.started_at.desc(), Campaign.id.desc())
    )
    return list(session.scalars(stmt))


def all_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())))
