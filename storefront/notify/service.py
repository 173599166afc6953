"""Notification use-cases: queue news in the cause's transaction, fan it out to recipients, send one message.

The flow, each step idempotent so a redelivered event or a retried job sends nothing twice:

1. A subscriber (subscribers.py) calls `order_news`, `alert` or `stock_returned` inside the
   transaction that made the fact: one `notify.fan_out` job, keyed by the event (a second
   announcement of the same event enqueues nothing), committed with the fact or not at all.
2. The worker runs fan_out: one `notifications` row per recipient and channel (unique per event,
   so a rerun adds none) and one `notify.send` job per new row.
3. send renders the message in the recipient's language and hands it to web push or SMTP; a
   dead push subscription is deleted, a temporary failure is retried by the queue.

No service function commits: the request (or the worker) that calls it does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from sqlalchemy import ColumnElement, String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from .. import jobs
from ..auth.models import User
from ..catalog.models import Product, Variant
from ..db import insert_ignoring_duplicates, read_only
from ..domain import N_, Conflict, Invalid, NotFound
from ..jobs.service import LEASE_LOST
from ..orders.models import Order
from ..orders.rules import OrderStatus, PaymentMethod
from . import mail, messages, rules, webpush
from .models import AlertChoice, EmailPreference, Notification, PushSubscription, StockWatch
from .rules import Alert, Kind

FAN_OUT, SEND, BACK_IN_STOCK = "notify.fan_out", "notify.send", "notify.back_in_stock"
# What the shop itself writes in a log row's `detail` is a short code, shown translated on
# /admin/notifications (admin/notifications.py DETAIL_LABELS); a push service's or mail server's
# answer is stored as it came. GAVE_UP is followed by ": " and the last answer.
UNSUBSCRIBED, NO_EMAIL_SETUP, OPTED_OUT = "unsubscribed", "no-email-setup", "opted-out"
GAVE_UP, WORKER_LOST = "gave-up", "worker-lost"
MAX_DEVICES = 10  # per order, watch or account: an 11th drops the oldest


class SendLater(Exception):
    """A channel answered "not now" (a 5xx, a timeout): the job queue tries again after its backoff."""


# -- 1. queueing, in the cause's transaction ---------------------------------------------------


def base_url() -> str:
    """The shop's public address for links in messages: SHOP_URL, else the address this request came to."""
    configured = current_app.config.get("SHOP_URL", "")
    if configured:
        return configured.rstrip("/") + "/"
    if has_request_context():
        return request.url_root
    return "http://localhost/"


def order_news(session: Session, order: Order, kind: Kind, now: datetime, **extra: Any) -> None:
    """Tell the order's shopper `kind` (once per order and kind; refunds once per refunded total)."""
    key = f"order:{order.id}:{kind.value}"
    if kind is Kind.ORDER_REFUNDED:
        key += f":{extra.get('refunded_total', extra.get('amount', 0))}"
    _fan_out_job(session, key, kind, now, order_id=order.id, extra=extra)


def order_placed_news(session: Session, order: Order, kind: Kind | None, alert_staff: bool, now: datetime) -> None:
    """A placed order's news for its shopper (`kind`, None: none) and the staff's new-order alert, in one INSERT.

    The same jobs, keys and payloads as `order_news` and `alert(Alert.NEW_ORDER, ...)`: once per order.
    """
    base = base_url()
    news = []
    if kind is not None:
        key = f"order:{order.id}:{kind.value}"
        news.append((FAN_OUT, _fan_out_payload(key, kind, base, order_id=order.id), key))
    if alert_staff:
        key = f"alert:{Alert.NEW_ORDER.value}:{order.id}"
        payload = _fan_out_payload(key, rules.ALERT_KIND[Alert.NEW_ORDER], base, extra={"order_id": order.id})
        news.append((FAN_OUT, payload, key))
    jobs.enqueue_many(session, news, now)


def aftersales_news(session: Session, order: Order, kind: Kind, fact: str, now: datetime, **extra: Any) -> None:
    """Tell the order's shopper about one of its after-sales requests; once per `fact` (a step or a message)."""
    _fan_out_job(session, f"order:{order.id}:{kind.value}:{fact}", kind, now, order_id=order.id, extra=extra)


def alert(session: Session, which: Alert, key: str, now: datetime, **context: Any) -> None:
    """Tell the staff (and, for a new order, its seller) who chose `which`; once per `key`."""
    _fan_out_job(session, f"alert:{which.value}:{key}", rules.ALERT_KIND[which], now, extra=context)


def stock_returned(session: Session, variant_id: int, now: datetime) -> None:
    """A sold-out variant is on sale again: answer its open watches, if any (the job re-checks the stock)."""
    waiting = session.scalar(
        select(StockWatch.id)
        .where(StockWatch.variant_id == variant_id, StockWatch.notified_at.is_(None), StockWatch.cancelled_at.is_(None))
        .limit(1)
    )
    if waiting is not None:
        jobs.enqueue(session, BACK_IN_STOCK, {"variant_id": variant_id, "base": base_url()}, now=now)


def _fan_out_job(
    session: Session, key: str, kind: Kind, now: datetime, *, order_id: int | None = None, extra: dict | None = None
) -> None:
    payload = _fan_out_payload(key, kind, base_url(), order_id=order_id, extra=extra)
    jobs.enqueue(session, FAN_OUT, payload, key=key, now=now)


def _fan_out_payload(
    key: str, kind: Kind, base: str, *, order_id: int | None = None, extra: dict | None = None
) -> dict[str, Any]:
    """The fan-out job's payload: the event's key, its kind, the order, what the message adds, the shop's address."""
    return {"event": key, "kind": kind.value, "order_id": order_id, "extra": extra or {}, "base": base}


# -- 2. fan out: who hears it, on which channel ------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One place a message goes."""

    channel: str  # "push" | "email"
    recipient: str  # rules.push_recipient / email_recipient
    locale: str
    subscription_id: int | None = None
    user_id: int | None = None


def fan_out(session: Session, payload: dict[str, Any], now: datetime) -> int:
    """Write one log row per recipient of an event and queue its sending; how many were new."""
    kind = Kind(payload["kind"])
    order = session.get(Order, payload["order_id"]) if payload.get("order_id") else None
    extra = payload.get("extra") or {}
    if rules.about_order(kind):
        if order is None:
            return 0  # the order was deleted meanwhile
        context = {**order_context(session, order), **extra}
        recipients = shopper_recipients(
            session, PushSubscription.order_id == order.id, order.email, order.locale, about_order=True
        )
    else:
        order = session.get(Order, extra["order_id"]) if extra.get("order_id") else None
        context = {**(order_context(session, order) if order is not None else {}), **extra}
        if extra.get("variant_id"):
            variant = session.get(Variant, extra["variant_id"])
            if variant is None:
                return 0
            context |= {"product": variant.product.title, "variant": variant.name, "sku": variant.sku or ""}
        recipients = staff_recipients(session, kind, order)
    context["base"] = payload.get("base") or base_url()
    return queue_messages(
        session, payload["event"], kind, recipients, context, now, order_id=order.id if order else None
    )


def queue_messages(
    session: Session,
    event: str,
    kind: Kind,
    recipients: list[Recipient],
    context: dict[str, Any],
    now: datetime,
    order_id: int | None = None,
) -> int:
    """The log rows (skipping any this event already has) and one send job per new row."""
    new = 0
    for to in recipients:
        values = {
            "event_key": event[:120],
            "kind": kind.value,
            "channel": to.channel,
            "recipient": to.recipient[:300],
            "subscription_id": to.subscription_id,
            "order_id": order_id,
            "user_id": to.user_id,
            "locale": to.locale,
            "context": context,
            "status": "queued",
            "detail": "",
            "created_at": now,
        }
        keys = ["event_key", "channel", "recipient"]
        row_id = insert_ignoring_duplicates(session, Notification, values, keys, Notification.id)
        if row_id is not None:
            jobs.enqueue(session, SEND, {"id": row_id}, key=f"notification:{row_id}", now=now)
            new += 1
    return new


def order_context(session: Session, order: Order) -> dict[str, Any]:
    """What order messages are rendered from (plain values: it is stored as JSON)."""
    from ..stores.models import OrderStore

    placed = session.get(OrderStore, order.id)
    store = placed.store.name if placed is not None and placed.reason == "pickup" else ""
    return {
        "order_id": order.id,
        "ref": order.reference,
        "token": order.token,
        "total": order.total,
        "discount": order.discount,  # a discount code's amount (the confirmation shows it)
        "currency": order.currency,
        "delivery": order.delivery_method,
        "store": store,
        "city": order.city,
        "name": order.customer_name,
        "items": order.item_count,
        "until": order.hold_expires_at.isoformat() if order.hold_expires_at else "",
    }


def shopper_recipients(
    session: Session, devices: ColumnElement[bool], email: str, locale: str, *, about_order: bool
) -> list[Recipient]:
    """A shopper's devices (those matching `devices`, e.g. `PushSubscription.order_id == 42`), and
    their email address when email is set up and the address wants this kind of message."""
    locale = locale or _shop_locale()
    out = [
        Recipient("push", rules.push_recipient(sub.id), sub.locale or locale, subscription_id=sub.id)
        for sub in session.scalars(select(PushSubscription).where(devices).order_by(PushSubscription.id))
    ]
    if email and mail.configured(current_app.config) and email_allows(session, email, about_order=about_order):
        out.append(Recipient("email", rules.email_recipient(email), locale))
    return out


def staff_recipients(session: Session, kind: Kind, order: Order | None) -> list[Recipient]:
    """Every active account that chose this alert: each of its devices, and its email if it asked."""
    which = next(alert for alert, k in rules.ALERT_KIND.items() if k is kind)
    seller_user = _seller_user_id(session, order) if which is Alert.NEW_ORDER and order is not None else None
    choices = {c.user_id: c for c in session.scalars(select(AlertChoice))}
    out: list[Recipient] = []
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    for user in users:
        if user.role == "seller" and user.id != seller_user:
            continue  # a seller hears only of their own customers' orders
        choice = choices.get(user.id)
        if which not in rules.chosen_alerts(user.role, choice.kinds if choice else None):
            continue
        subs = session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id))
        out += [Recipient("push", rules.push_recipient(s.id), s.locale or _shop_locale(), s.id, user.id) for s in subs]
        if choice is not None and choice.by_email and mail.configured(current_app.config):
            out.append(Recipient("email", rules.email_recipient(user.email), _shop_locale(), user_id=user.id))
    return out


def _seller_user_id(session: Session, order: Order) -> int | None:
    from ..sellers.models import Seller
    from ..sellers.service import entry_for_order

    entry = entry_for_order(session, order.id)
    if entry is None:
        return None
    return session.scalar(select(Seller.user_id).where(Seller.id == entry.seller_id))


def _shop_locale() -> str:
    return current_app.config.get("SHOP_LOCALE", "en")


# -- back in stock -----------------------------------------------------------------------------


def back_in_stock_offered(session: Session) -> bool:
    """Whether the owner offers back-in-stock requests (their switch is on the reminders page; on until set)."""
    decide = current_app.extensions.get("notify.back_in_stock_on")
    return True if decide is None else bool(decide(session))


def answer_watches(session: Session, variant_id: int, now: datetime, base: str = "") -> int:
    """Queue "it's back" for every open watch of a variant that is on sale now; how many were answered.

    Each watch is taken by a guarded UPDATE (notified_at IS NULL), so two runs (two restocks in a
    row, two workers) answer it once. A variant sold out again before this ran waits for the next return.
    """
    if not back_in_stock_offered(session):
        return 0  # switched off: the requests wait, answered at a stock return after it is on again
    variant = session.get(Variant, variant_id)
    if variant is None or variant.archived or not variant.product.published or variant.on_hand - variant.reserved <= 0:
        return 0  # not on sale (an archived variant is not, however much of it is on the shelf)
    oldest = now - timedelta(days=rules.WATCH_DAYS)
    watches = session.scalars(
        select(StockWatch).where(
            StockWatch.variant_id == variant_id,
            StockWatch.notified_at.is_(None),
            StockWatch.cancelled_at.is_(None),
            StockWatch.created_at >= oldest,
        )
    ).all()
    context = {
        "variant_id": variant.id,
        "product": variant.product.title,
        "variant": variant.name if len(variant.product.variants) > 1 else "",
        "slug": variant.product.slug,
        "base": base or base_url(),
    }
    answered = 0
    for watch in watches:
        taken = session.execute(
            update(StockWatch)
            .where(StockWatch.id == watch.id, StockWatch.notified_at.is_(None))
            .values(notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            continue
        answered += 1
        recipients = shopper_recipients(
            session, PushSubscription.watch_id == watch.id, watch.email, watch.locale, about_order=False
        )
        queue_messages(session, f"watch:{watch.id}", Kind.BACK_IN_STOCK, recipients, context, now)
    return answered


def watch_variant(session: Session, variant_id: int, email: str, locale: str, now: datetime) -> StockWatch:
    """Start (or find) a shopper's "tell me when it's back" for a sold-out variant.

    Raises NotFound for a variant not on sale, Conflict when it is in stock now (add it to the
    cart instead), Invalid for a malformed address. The same address asking twice gets its open watch.
    """
    from ..auth.rules import normalise_email

    variant = session.get(Variant, variant_id)
    if variant is None or not variant.product.published:
        raise NotFound(N_("That product is not on sale."))
    if variant.on_hand - variant.reserved > 0:
        raise Conflict(N_("Good news: it is in stock now. Add it to your cart."))
    address = normalise_email(email) if email.strip() else ""
    if address:
        open_watch = session.scalars(
            select(StockWatch).where(
                StockWatch.variant_id == variant_id,
                StockWatch.email == address,
                StockWatch.notified_at.is_(None),
                StockWatch.cancelled_at.is_(None),
            )
        ).first()
        if open_watch is not None:
            return open_watch
    watch = StockWatch(
        token=secrets.token_urlsafe(24), variant_id=variant_id, email=address, locale=locale, created_at=now
    )
    session.add(watch)
    session.flush()
    return watch


def find_watch(session: Session, token: str) -> StockWatch:
    """A watch by its token, or NotFound."""
    watch = session.scalars(select(StockWatch).where(StockWatch.token == (token or "")[:64])).first()
    if watch is None:
        raise NotFound(N_("We could not find that request."))
    return watch


def cancel_watch(session: Session, watch: StockWatch, now: datetime) -> None:
    """The shopper no longer wants to hear (its push rows go with it)."""
    if watch.cancelled_at is None:
        watch.cancelled_at = now
    session.execute(delete(PushSubscription).where(PushSubscription.watch_id == watch.id))


# -- push subscriptions ------------------------------------------------------------------------

ENDPOINT_CHARS = 1000


@dataclass(frozen=True)
class Owner:
    """Whom a push subscription belongs to (exactly one is set)."""

    order_id: int | None = None
    watch_id: int | None = None
    user_id: int | None = None


def endpoint_hash(endpoint: str) -> str:
    """The indexed digest of a push endpoint."""
    return hashlib.sha256(endpoint.encode()).hexdigest()


class BadSubscription(Invalid):
    """A browser subscription the shop will not keep: 400, as the push endpoint's contract says."""

    status_code = 400


def parse_subscription(data: Any) -> webpush.PushTarget:
    """A browser's PushSubscription.toJSON(), checked, or BadSubscription.

    Only endpoints of the browsers' push services are kept (webpush.endpoint_problem: https, port
    443, a known host; http://127.0.0.1 in tests), so a subscription cannot point the worker at the
    shop's own network.
    """
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise BadSubscription(N_("That browser subscription is not valid."))
    endpoint, keys = data.get("endpoint"), data["keys"]
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not all(isinstance(v, str) and v for v in (endpoint, p256dh, auth)):
        raise BadSubscription(N_("That browser subscription is not valid."))
    allowed = webpush.endpoint_problem(current_app.config, endpoint) is None
    if not allowed or len(endpoint) > ENDPOINT_CHARS or len(p256dh) > 200 or len(auth) > 100:
        raise BadSubscription(N_("That browser subscription is not valid."))
    if not _is_b64url(p256dh) or not _is_b64url(auth):
        raise BadSubscription(N_("That browser subscription is not valid."))
    return webpush.PushTarget(endpoint=endpoint, p256dh=p256dh, auth=auth)


def _is_b64url(text: str) -> bool:
    return all(c.isalnum() or c in "-_=" for c in text)


def subscribe(session: Session, target: webpush.PushTarget, owner: Owner, locale: str, now: datetime) -> None:
    """Keep a device for an owner (again: its keys and language are refreshed).

    An owner keeps at most MAX_DEVICES devices: a new one beyond that drops the oldest, so one
    order or watch token cannot make every event fan out to an ever-growing list of endpoints.
    """
    column = _owner_column(owner)
    owner_id = owner.order_id or owner.watch_id or owner.user_id
    existing = session.scalars(
        select(PushSubscription).where(column == owner_id, PushSubscription.endpoint == target.endpoint)
    ).first()
    if existing is not None:
        existing.p256dh, existing.auth, existing.locale = target.p256dh, target.auth, locale
        return
    values = {
        "endpoint": target.endpoint,
        "endpoint_hash": endpoint_hash(target.endpoint),
        "p256dh": target.p256dh,
        "auth": target.auth,
        "order_id": owner.order_id,
        "watch_id": owner.watch_id,
        "user_id": owner.user_id,
        "locale": locale,
        "created_at": now,
    }
    insert_ignoring_duplicates(session, PushSubscription, values, [column.key, "endpoint"])
    newest = (
        select(PushSubscription.id)
        .where(column == owner_id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
        .limit(MAX_DEVICES)
    )
    session.execute(
        delete(PushSubscription)
        .where(column == owner_id, PushSubscription.id.not_in(newest))
        .execution_options(synchronize_session=False)
    )


def unsubscribe(session: Session, endpoint: str, owner: Owner) -> int:
    """Forget a device for an owner; how many rows went."""
    column = _owner_column(owner)
    owner_id = owner.order_id or owner.watch_id or owner.user_id
    result = session.execute(
        delete(PushSubscription).where(column == owner_id, PushSubscription.endpoint_hash == endpoint_hash(endpoint))
    )
    return result.rowcount


def _owner_column(owner: Owner):
    if owner.order_id is not None:
        return PushSubscription.order_id
    if owner.watch_id is not None:
        return PushSubscription.watch_id
    if owner.user_id is not None:
        return PushSubscription.user_id
    raise ValueError("a subscription needs an owner")


def account_devices(session: Session, user_id: int) -> int:
    """How many devices an account gets its alerts on."""
    return session.scalar(select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user_id))


# -- email preferences -------------------------------------------------------------------------


def email_allows(session: Session, email: str, *, about_order: bool) -> bool:
    """Whether this address wants this kind of email (no row: yes to both)."""
    pref = session.get(EmailPreference, email.lower())
    if pref is None:
        return True
    return pref.order_news if about_order else pref.other_news


def email_preference(session: Session, email: str) -> EmailPreference:
    """The address's choices (not stored until changed)."""
    return session.get(EmailPreference, email.lower()) or EmailPreference(
        email=email.lower(), order_news=True, other_news=True
    )


def set_email_preference(session: Session, email: str, now: datetime, *, order_news: bool, other_news: bool) -> None:
    """Store an address's choices."""
    pref = session.get(EmailPreference, email.lower())
    if pref is None:
        pref = EmailPreference(email=email.lower())
        session.add(pref)
    pref.order_news, pref.other_news, pref.updated_at = order_news, other_news, now


# -- staff alert choices -----------------------------------------------------------------------


def alert_choice(session: Session, user: User) -> tuple[tuple[Alert, ...], bool]:
    """An account's alerts in force and whether it gets them by email too."""
    choice = session.get(AlertChoice, user.id)
    return rules.chosen_alerts(user.role, choice.kinds if choice else None), bool(choice and choice.by_email)


def set_alert_choice(session: Session, user: User, kinds: list[str], by_email: bool, now: datetime) -> None:
    """Store an account's alerts (only those its role may choose)."""
    allowed = {a.value for a in rules.default_alerts(user.role)}
    chosen = [k for k in kinds if k in allowed]
    choice = session.get(AlertChoice, user.id)
    if choice is None:
        choice = AlertChoice(user_id=user.id)
        session.add(choice)
    choice.kinds, choice.by_email, choice.updated_at = chosen, by_email, now


# -- 3. sending one message --------------------------------------------------------------------


def send(session: Session, notification_id: int, now: datetime) -> str:
    """Render and send one logged message; its new status. Raises SendLater for "try again later".

    The read ends before the network call and the outcome is written after it: a worker outside a
    request starts SQLite transactions with BEGIN IMMEDIATE, and the shop's one write lock (or, on
    PostgreSQL, the log row's lock) must never wait on a slow push service or mail server.
    """
    with read_only():
        note = session.get(Notification, notification_id)
        if note is None or note.status != "queued":
            return note.status if note is not None else "gone"  # sent already (a rerun of the job)
        message = rendered(note.kind, _audience(session, note), note.locale)
        prepare = _send_push if note.channel == "push" else _send_email
        note_channel, note_address = note.channel, note.recipient.removeprefix("email:")
        if note.kind == Kind.MARKETING.value and not _still_consents(session, note.context):
            deliver = lambda: ("skipped", OPTED_OUT)  # noqa: E731 - opted out between queueing and sending
        else:
            deliver = prepare(session, note, message)
        session.rollback()  # only read so far: end it, nothing is held while we wait on the network
    status, detail = deliver()
    if note_channel == "email":
        detail = masked(detail, note_address)
    if status == "retry":
        raise SendLater(detail)
    note = session.get(Notification, notification_id)
    note.title, note.body = message.title, message.body
    note.status, note.detail = status, detail[:300]
    note.sent_at = now if status == "sent" else None
    return status


def _still_consents(session: Session, context: dict[str, Any]) -> bool:
    """Whether the customer an offer was queued for still wants offers on its channel (asked again at sending)."""
    from ..customers.consent import allows
    from ..customers.models import Customer

    customer = session.get(Customer, context.get("customer_id") or 0)
    return customer is not None and allows(customer, context.get("channel", ""))


def _audience(session: Session, note: Notification) -> dict[str, Any]:
    """The message's context, told when it goes to a seller (whose links lead to their own pages)."""
    if note.user_id is None:
        return note.context
    user = session.get(User, note.user_id)
    return {**note.context, "audience": "seller"} if user is not None and user.role == "seller" else note.context


def rendered(kind: str, context: dict[str, Any], locale: str) -> messages.Message:
    """The message in `locale`, its links on the shop's public address."""
    base = context.get("base") or base_url()
    with current_app.test_request_context("/", base_url=base), force_locale(locale or _shop_locale()):
        return messages.render(kind, context, locale or _shop_locale())


def _send_push(session: Session, note: Notification, message: messages.Message) -> Callable[[], tuple[str, str]]:
    """The push to make once the read is over: a call giving (status, detail)."""
    sub = session.get(PushSubscription, note.subscription_id) if note.subscription_id else None
    if sub is None:
        return lambda: ("skipped", UNSUBSCRIBED)
    target = webpush.PushTarget(endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth)
    dead = sub.endpoint_hash

    def deliver() -> tuple[str, str]:
        """Post the push; a dead endpoint's rows go (every owner's), in a write transaction of their own."""
        result = webpush.send(
            current_app.config,
            target,
            messages.push_payload(message),
            ttl=message.ttl,
            urgency=message.urgency,
            topic=message.tag[:32] if message.tag else None,
        )
        if result.outcome is webpush.PushOutcome.GONE:
            session.execute(delete(PushSubscription).where(PushSubscription.endpoint_hash == dead))
            return "gone", result.detail
        if result.outcome is webpush.PushOutcome.RETRY:
            return "retry", result.detail
        if result.outcome is webpush.PushOutcome.REJECTED:
            return "failed", result.detail
        return "sent", result.detail

    return deliver


def _send_email(session: Session, note: Notification, message: messages.Message) -> Callable[[], tuple[str, str]]:
    """The email to send once the read is over: a call giving (status, detail)."""
    config = current_app.config
    address = note.recipient.removeprefix("email:")
    if not mail.configured(config):
        return lambda: ("skipped", NO_EMAIL_SETUP)
    if note.user_id is None and not email_allows(session, address, about_order=message.about_order):
        return lambda: ("skipped", OPTED_OUT)
    base = note.context.get("base") or base_url()
    with current_app.test_request_context("/", base_url=base), force_locale(note.locale or _shop_locale()):
        from . import links

        unsubscribe = None if message.about_order or note.user_id else links.unsubscribe_url(address)
        if note.kind == Kind.MARKETING.value:  # an offer: its one-click opt-out stops offers on this channel
            from ..customers.consent import optout_url

            unsubscribe = optout_url(note.context["customer_id"], note.context["channel"], note.context["key"])
        pixel = note.context.get("pixel") if note.kind == Kind.MARKETING.value else None
        pixel = request.url_root + messages.relative_url(pixel).lstrip("/") if pixel else None
        preferences = None if note.user_id else links.preferences_url(address)
        text, html = mail.render_bodies(
            message, unsubscribe_url=unsubscribe, preferences_url=preferences, pixel_url=pixel
        )
        try:
            built = mail.build(
                config,
                to=address,
                subject=message.title,
                text=text,
                html=html,
                lang=message.lang,
                unsubscribe_url=unsubscribe,
                preferences_url=preferences,
            )
        except ValueError as err:  # an address the mail library refuses, or no sender address set up
            refused = str(err)
            return lambda: ("failed", refused)

    def deliver() -> tuple[str, str]:
        """Hand the email to the SMTP server."""
        result = mail.send(config, built)
        if result.outcome is mail.MailOutcome.RETRY:
            return "retry", result.detail
        return ("sent" if result.outcome is mail.MailOutcome.SENT else "failed"), result.detail

    return deliver


def masked(detail: str, address: str) -> str:
    """A mail server's answer with the recipient's address masked (550 <ada@example.com> ... names it)."""
    if not address or "@" not in address:
        return detail
    return re.sub(re.escape(address), lambda _match: rules.mask_email(address), detail, flags=re.IGNORECASE)


def mark_failed(session: Session, notification_id: int, error: str) -> None:
    """The send job gave up: the log says so ("gave-up: <the last answer>", or "worker-lost")."""
    if error.startswith(LEASE_LOST):
        detail = WORKER_LOST
    else:
        detail = f"{GAVE_UP}: {error.removeprefix(f'{SendLater.__name__}: ')}"
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == "queued")
        .values(status="failed", detail=detail[:300])
        .execution_options(synchronize_session=False)
    )


# -- periodic: "finish paying", and forgetting --------------------------------------------------


def remind_unpaid(session: Session, now: datetime) -> int:
    """Queue "finish paying" for card orders whose hold ends soon; how many (each order once, by its key)."""
    soon = now + timedelta(minutes=rules.FINISH_PAYING_BEFORE_MINUTES)
    placed_before = now - timedelta(minutes=rules.FINISH_PAYING_MIN_AGE_MINUTES)
    due = session.scalars(
        select(Order).where(
            Order.status == OrderStatus.AWAITING_PAYMENT.value,
            Order.payment_method == PaymentMethod.CARD.value,
            Order.hold_expires_at > now,
            Order.hold_expires_at <= soon,
            Order.created_at <= placed_before,
        )
    ).all()
    for order in due:
        order_news(session, order, Kind.FINISH_PAYING, now)
    return len(due)


def forget_old(session: Session, now: datetime) -> tuple[int, int]:
    """Blank message texts and contexts past NOTIFY_BODY_KEEP_DAYS, delete log rows past NOTIFY_LOG_KEEP_DAYS.

    Every row past the cutoff is blanked, sent or not: a row that failed or never left the queue
    has no body but still holds the context (the shopper's name, city, the order's token).
    """
    config = current_app.config
    body_cutoff = now - timedelta(days=config["NOTIFY_BODY_KEEP_DAYS"])
    row_cutoff = now - timedelta(days=config["NOTIFY_LOG_KEEP_DAYS"])
    blanked = session.execute(
        update(Notification)
        .where(Notification.created_at < body_cutoff, or_(*_not_forgotten()))
        .values(title=None, body=None, context={})
        .execution_options(synchronize_session=False)
    ).rowcount
    deleted = session.execute(delete(Notification).where(Notification.created_at < row_cutoff)).rowcount
    watch_cutoff = now - timedelta(days=rules.WATCH_DAYS)
    session.execute(delete(StockWatch).where(StockWatch.created_at < watch_cutoff))
    return blanked, deleted


def _not_forgotten() -> list[ColumnElement[bool]]:
    """Conditions of which any holds for a row whose texts or context are still kept.

    The context is a JSON column (no equality on PostgreSQL's json): a blanked one is the text "{}".
    """
    return [
        Notification.title.is_not(None),
        Notification.body.is_not(None),
        func.coalesce(cast(Notification.context, String), "") != "{}",
    ]


def product_of_variant(session: Session, variant_id: int) -> Product | None:
    """The product a variant belongs to (for pages about a watch)."""
    variant = session.get(Variant, variant_id)
    return variant.product if variant is not None else None
