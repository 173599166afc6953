"""The staff side of notifications: a test alert to one's own devices, and the owner's send log.

The test alert is written and sent like any alert (one send-log row per device and email, one
notify.send job per row), to the account's own devices only, with no event behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..jobs.models import Job
from ..orders.models import Order
from . import mail, rules, service
from .models import AlertChoice, Notification, PushSubscription
from .rules import Kind

STATUSES = ("queued", "sent", "failed", "gone", "skipped")
CHANNELS = ("push", "email")
# The send log's kind groups (the owner filters by what a message was about, not by every kind).
GROUPS: dict[str, tuple[str, ...]] = {
    "orders": tuple(sorted(k.value for k in rules.ORDER_KINDS)),
    "stock": (Kind.BACK_IN_STOCK.value,),
    "alerts": tuple(sorted(k.value for k in rules.ALERT_KINDS)),
    "marketing": (Kind.MARKETING.value,),
}
PAGE_SIZE = 50
COUNT_DAYS = 7


# -- the test alert ------------------------------------------------------------------------------


def own_recipients(session: Session, user: User) -> list[service.Recipient]:
    """Every device of the account, and its email when it asked for alerts by email and email is set up."""
    locale = current_app.config.get("SHOP_LOCALE", "en")
    subs = session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user.id).order_by(PushSubscription.id)
    )
    out = [service.Recipient("push", rules.push_recipient(s.id), s.locale or locale, s.id, user.id) for s in subs]
    choice = session.get(AlertChoice, user.id)
    if choice is not None and choice.by_email and mail.configured(current_app.config):
        out.append(service.Recipient("email", rules.email_recipient(user.email), locale, user_id=user.id))
    return out


def queue_test_alert(session: Session, user: User, now: datetime) -> int:
    """Log and queue a test alert to each of the account's own devices (and email); how many."""
    event = f"alert:test:{user.id}:{now.isoformat()}"
    context = {"base": service.base_url()}
    return service.queue_messages(session, event, Kind.ALERT_TEST, own_recipients(session, user), context, now)


# -- the send log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    """The send log's filters; an unknown value is no filter."""

    status: str = ""
    channel: str = ""
    group: str = ""

    @classmethod
    def parse(cls, status: str | None, channel: str | None, group: str | None) -> LogFilter:
        """Filters from the query string, each kept only when it is one of the known values."""
        return cls(
            status=status if status in STATUSES else "",
            channel=channel if channel in CHANNELS else "",
            group=group if group in GROUPS else "",
        )

    def query(self) -> dict[str, str]:
        """The filters in force as query-string arguments (for the pager's links)."""
        named = {"status": self.status, "channel": self.channel, "kind": self.group}
        return {name: value for name, value in named.items() if value}


@dataclass(frozen=True)
class LogLine:
    """One send-log row with what the page shows beside it."""

    note: Notification
    reference: str | None  # the order's, when the message was about one
    staff_name: str  # the account's name (or masked email) for a staff device or address
    retry_reason: str = ""  # a queued message's last "not now" (from its send job), while it is retried


@dataclass(frozen=True)
class LogPage:
    """One page of the send log."""

    lines: list[LogLine]
    page: int
    pages: int  # at least 1


def send_log(session: Session, where: LogFilter, page: int) -> LogPage:
    """The newest messages first, PAGE_SIZE per page, filtered (a page past the end is empty)."""
    conditions = []
    if where.status:
        conditions.append(Notification.status == where.status)
    if where.channel:
        conditions.append(Notification.channel == where.channel)
    if where.group:
        conditions.append(Notification.kind.in_(GROUPS[where.group]))
    total = session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    rows = session.execute(
        select(Notification, Order.reference, User.name, User.email)
        .outerjoin(Order, Order.id == Notification.order_id)
        .outerjoin(User, User.id == Notification.user_id)
        .where(*conditions)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    reasons = retry_reasons(session, [note.id for note, *_rest in rows if note.status == "queued"])
    lines = [
        LogLine(note, reference, _staff_name(name, email), reasons.get(note.id, ""))
        for note, reference, name, email in rows
    ]
    return LogPage(lines=lines, page=page, pages=max(1, -(-total // PAGE_SIZE)))


def _staff_name(name: str | None, email: str | None) -> str:
    """An account as the log names it: its name, else its masked email."""
    return (name or "").strip() or (rules.mask_email(email) if email else "")


def retry_reasons(session: Session, notification_ids: list[int]) -> dict[int, str]:
    """Why each of these queued messages is waiting for another try: its send job's last error, first line."""
    if not notification_ids:
        return {}
    keys = {f"notification:{note_id}": note_id for note_id in notification_ids}
    errors = session.execute(
        select(Job.key, Job.last_error).where(
            Job.name == service.SEND, Job.key.in_(list(keys)), Job.status == "queued", Job.last_error.is_not(None)
        )
    ).all()
    prefix = f"{service.SendLater.__name__}: "
    return {keys[key]: error.split("\n", 1)[0].removeprefix(prefix)[:300] for key, error in errors}


def status_counts(session: Session, now: datetime) -> dict[str, int]:
    """How many messages of each status were written in the last COUNT_DAYS days (every status listed)."""
    since = now - timedelta(days=COUNT_DAYS)
    found = dict(
        session.execute(
            select(Notification.status, func.count())
            .where(Notification.created_at >= since)
            .group_by(Notification.status)
        ).all()
    )
    return {status: int(found.get(status, 0)) for status in STATUSES}


def parse_page(raw: str | None) -> int:
    """A page number from the query string: 1 for anything that is not a small positive number."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 5:
        return max(int(raw), 1)
    return 1
