"""What notifications do when orders, payments, stock, jobs and after-sales requests announce their facts.

Every subscriber runs inside the announcing transaction and only enqueues a job there (service),
so a message exists if and only if its cause was committed, and is sent by the worker, never by
the shopper's request. Each job is keyed by its event: an event announced twice (a webhook
delivered ten times) still sends one message.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from sqlalchemy.orm import Session

from ..aftersales.events import AFTERSALES_MOVED, AFTERSALES_OPENED, AFTERSALES_REPLIED
from ..aftersales.models import AftersalesRequest, RequestMessage
from ..analytics.rollup_rules import shop_day
from ..clock import utcnow
from ..core.events import Event
from ..inventory.events import STOCK_LOW, STOCK_RETURNED
from ..jobs.events import JOB_FAILED
from ..orders.events import ORDER_PLACED, ORDER_STATUS_CHANGED
from ..orders.models import Order
from ..orders.rules import OrderStatus
from ..payments.events import PAYMENT_DISPUTED, PAYMENT_FAILED, PAYMENT_REFUNDED, REFUND_REVERSED
from ..payments.rules import PaymentStatus
from . import rules, service
from .rules import Alert, Kind

# An order staff must act on: a cash order at once, a transfer order to check the money, a card order once paid.
NEEDS_STAFF = (OrderStatus.PLACED, OrderStatus.AWAITING_TRANSFER)
# What a just placed order tells its shopper: a cash order that it is placed, a transfer order what to send.
PLACED_NEWS = {OrderStatus.PLACED: Kind.ORDER_PLACED, OrderStatus.AWAITING_TRANSFER: Kind.AWAITING_TRANSFER}


def connect() -> None:
    """Subscribe to the facts that are news for someone (the app factory calls this once)."""
    ORDER_PLACED.connect(order_placed)
    ORDER_STATUS_CHANGED.connect(order_moved)
    PAYMENT_FAILED.connect(payment_failed)
    PAYMENT_REFUNDED.connect(refunded)
    REFUND_REVERSED.connect(refund_reversed)
    PAYMENT_DISPUTED.connect(disputed)
    STOCK_LOW.connect(stock_low)
    STOCK_RETURNED.connect(stock_returned)
    JOB_FAILED.connect(job_failed)
    AFTERSALES_OPENED.connect(aftersales_opened)
    AFTERSALES_MOVED.connect(aftersales_moved)
    AFTERSALES_REPLIED.connect(aftersales_replied)


def order_placed(_event: Event, *, session: Session, order: Order, now: datetime, **_payload) -> None:
    """A cash order is news for its shopper now, and so is a transfer order waiting for its money (what to
    send, and the order's link); any order staff must act on is news for them."""
    kind = PLACED_NEWS.get(order.status)
    service.order_placed_news(session, order, kind, order.status in NEEDS_STAFF, now)  # both jobs in one INSERT


def order_moved(
    _event: Event, *, session: Session, order: Order, new_status: OrderStatus, now: datetime, **_payload
) -> None:
    """Each step the shopper cares about is news; a paid card order is also new for the staff."""
    kind = rules.kind_for_status(new_status)
    if kind is not None:
        service.order_news(session, order, kind, now)
    if new_status == OrderStatus.PLACED:  # paid, or the transfer arrived (already told: the key says so)
        service.alert(session, Alert.NEW_ORDER, str(order.id), now, order_id=order.id)


def payment_failed(
    _event: Event, *, session: Session, order_id: int, payment_id: int, status: str, now: datetime, **_payload
) -> None:
    """A card payment the bank refused is a payment problem (an abandoned page that expired is not)."""
    if status == PaymentStatus.FAILED:
        service.alert(session, Alert.PAYMENT, f"failed:{payment_id}", now, order_id=order_id, problem="failed")


def refunded(
    _event: Event, *, session: Session, order: Order, amount: int, refunded_total: int, now: datetime, **_payload
) -> None:
    """Money on its way back is news for the shopper (each refund once)."""
    service.order_news(session, order, Kind.ORDER_REFUNDED, now, amount=amount, refunded_total=refunded_total)


def refund_reversed(
    _event: Event, *, session: Session, order: Order, refund_id: int, now: datetime, **_payload
) -> None:
    """A refund the provider took back: the staff must act (once per refund, however often it is announced)."""
    key = f"refund-reversed:{refund_id}"
    service.alert(session, Alert.PAYMENT, key, now, order_id=order.id, problem="refund_reversed")


def disputed(_event: Event, *, session: Session, order_id: int, dispute_id: int, now: datetime, **_payload) -> None:
    """A dispute opened on an order's payment (once per dispute: two on one order are two alerts)."""
    key = f"disputed:{dispute_id}"
    service.alert(session, Alert.PAYMENT, key, now, order_id=order_id, problem="disputed")


def stock_low(
    _event: Event, *, session: Session, variant_id: int, available: int, low_stock_threshold: int, **_payload
) -> None:
    """A variant ran low: once per variant and shop day (SHOP_TIMEZONE), however often it crosses its threshold."""
    now = utcnow()
    key = f"{variant_id}:{shop_day(now, ZoneInfo(str(get_timezone()))).isoformat()}"
    service.alert(
        session, Alert.STOCK_LOW, key, now, variant_id=variant_id, available=available, threshold=low_stock_threshold
    )


def stock_returned(_event: Event, *, session: Session, variant_id: int, **_payload) -> None:
    """A sold-out variant is back: answer who asked."""
    service.stock_returned(session, variant_id, utcnow())


def job_failed(
    _event: Event, *, session: Session, job_id: int, name: str, payload: dict, attempts: int, error: str, now: datetime
) -> None:
    """A job gave up: a message's send is marked failed in the log; any other job is an alert for the owner."""
    if name == service.SEND:
        service.mark_failed(session, int(payload.get("id", 0)), error.split("\n", 1)[0])
        return
    if name.startswith(rules.QUIET_JOB_PREFIX):
        return
    first_line = error.split("\n", 1)[0]
    service.alert(
        session, Alert.JOB_FAILING, str(job_id), now, job_id=job_id, name=name, attempts=attempts, error=first_line
    )


def aftersales_opened(
    _event: Event, *, session: Session, request: AftersalesRequest, order: Order, now: datetime, **_payload
) -> None:
    """A shopper asked for a return, an exchange or help: the staff must look (once per request)."""
    service.alert(session, Alert.AFTERSALES, f"opened:{request.id}", now, **_request_context(request, order))


def aftersales_moved(
    _event: Event,
    *,
    session: Session,
    request: AftersalesRequest,
    order: Order,
    new_status: str,
    note: str,
    now: datetime,
    **_payload,
) -> None:
    """A step the shopper cares about is news for them (once per request and status: each is reached once)."""
    kind = rules.kind_for_request_status(new_status)
    if kind is not None:
        fact = f"{request.id}:{new_status}"
        service.aftersales_news(session, order, kind, fact, now, **_request_context(request, order), note=note)


def aftersales_replied(
    _event: Event,
    *,
    session: Session,
    request: AftersalesRequest,
    order: Order,
    message: RequestMessage,
    author: str,
    now: datetime,
    **_payload,
) -> None:
    """Staff wrote: news for the shopper; the shopper wrote: an alert for the staff (each message once)."""
    context = _request_context(request, order)
    if author == "staff":
        service.aftersales_news(
            session, order, Kind.AFTERSALES_REPLY, f"{request.id}:message:{message.id}", now, **context
        )
    else:
        service.alert(session, Alert.AFTERSALES, f"message:{message.id}", now, **context, what="message")


def _request_context(request: AftersalesRequest, order: Order) -> dict:
    """What the after-sales messages are rendered from, besides the order's own context (plain values)."""
    return {"order_id": order.id, "request_id": request.id, "request_kind": str(request.kind)}
