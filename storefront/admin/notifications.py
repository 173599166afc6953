"""Admin: the send log, for the owner: what the shop told whom, on which channel, and whether it arrived.

Newest first, a page at a time, filtered in the address (status, channel, what it was about).
Shoppers' addresses are masked and message texts are shown only while they are kept
(NOTIFY_BODY_KEEP_DAYS): the log says that something was sent, not everything it said forever.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.guards import role_required
from ..clock import utcnow
from ..extensions import db
from ..notify import alert_service, rules, service
from ..notify.models import Notification
from ..notify.rules import Kind
from .views import bp

KIND_LABELS = {
    Kind.ORDER_PLACED.value: _l("Order received"),
    Kind.ORDER_CONFIRMED.value: _l("Order confirmed"),
    Kind.ORDER_SHIPPED.value: _l("Order on its way"),
    Kind.ORDER_READY.value: _l("Order ready for pickup"),
    Kind.ORDER_DELIVERED.value: _l("Order delivered"),
    Kind.ORDER_COLLECTED.value: _l("Order collected"),
    Kind.ORDER_CANCELLED.value: _l("Order cancelled"),
    Kind.ORDER_REFUNDED.value: _l("Order refunded"),
    Kind.AWAITING_TRANSFER.value: _l("Order waiting for transfer"),
    Kind.PAYMENT_FAILED.value: _l("Payment did not go through"),
    Kind.FINISH_PAYING.value: _l("Reminder: finish paying"),
    Kind.BACK_IN_STOCK.value: _l("Back in stock (to a shopper)"),
    Kind.MARKETING.value: _l("Marketing (an offer)"),
    Kind.ALERT_NEW_ORDER.value: _l("Alert: new order"),
    Kind.ALERT_PAYMENT.value: _l("Alert: payment problem"),
    Kind.ALERT_STOCK_LOW.value: _l("Alert: running low"),
    Kind.ALERT_JOB_FAILING.value: _l("Alert: job failing"),
    Kind.ALERT_AFTERSALES.value: _l("Alert: after-sales request"),
    Kind.AFTERSALES_ACCEPTED.value: _l("Request accepted"),
    Kind.AFTERSALES_REFUSED.value: _l("Request refused"),
    Kind.AFTERSALES_RECEIVED.value: _l("Returned items received"),
    Kind.AFTERSALES_REPLACED.value: _l("Replacement on its way"),
    Kind.AFTERSALES_REPLY.value: _l("Answer to a request"),
    rules.Kind.ALERT_TEST.value: _l("Test alert"),
}
STATUS_LABELS = {
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "gone": _l("Device gone"),
    "skipped": _l("Skipped"),
}
# The details the shop writes itself are codes (notify.service); a provider's answer is shown as it came.
DETAIL_LABELS = {
    service.UNSUBSCRIBED: _l("The device unsubscribed."),
    service.NO_EMAIL_SETUP: _l("Email is not set up."),
    service.OPTED_OUT: _l("The address asked for no more of these."),
    service.GAVE_UP: _l("Gave up after several tries. The last answer:"),
    service.WORKER_LOST: _l("The worker stopped during the send; no tries were left."),
}
CHANNEL_LABELS = {"push": _l("Push"), "email": _l("Email")}
GROUP_LABELS = {
    "orders": _l("Orders"),
    "stock": _l("Back-in-stock requests"),
    "alerts": _l("Alerts"),
    "marketing": _l("Marketing"),
}


def recipient_label(line: alert_service.LogLine) -> str:
    """Who a message went to, without giving a shopper's address away."""
    note: Notification = line.note
    if note.channel == "email":
        return rules.mask_email(note.recipient.removeprefix("email:"))
    if note.user_id is not None:
        return _("device of %(name)s", name=line.staff_name or _("an account"))
    if note.kind == Kind.BACK_IN_STOCK.value:
        return _("device (back in stock)")
    if note.kind == Kind.MARKETING.value:
        return _("device (offers)")
    if line.reference:
        return _("device of order %(ref)s", ref=line.reference)
    return _("device")


def detail_label(detail: str) -> str:
    """A log row's detail for the owner: a code in their language (with the last answer after it), else as stored."""
    code, colon, rest = (detail or "").partition(": ")
    label = DETAIL_LABELS.get(code)
    if label is None:
        return detail or ""
    return f"{label} {rest}".strip() if colon else str(label)


@bp.get("/notifications")
@role_required("owner")
def notifications():
    """The send log: counts of the last days, filters, one page of messages."""
    where = alert_service.LogFilter.parse(
        request.args.get("status"), request.args.get("channel"), request.args.get("kind")
    )
    page = alert_service.parse_page(request.args.get("page"))
    now = utcnow()
    return render_template(
        "admin/notifications.html",
        where=where,
        log=alert_service.send_log(db.session, where, page),
        counts=alert_service.status_counts(db.session, now),
        kept_since=now - timedelta(days=current_app.config["NOTIFY_BODY_KEEP_DAYS"]),
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        channel_labels=CHANNEL_LABELS,
        group_labels=GROUP_LABELS,
        recipient_label=recipient_label,
        detail_label=detail_label,
    )
