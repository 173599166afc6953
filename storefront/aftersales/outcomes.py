"""What a request ends in: its refund (card or by hand, booked once) and an exchange's replacement order.

Like service.py, each function takes the session and `now`, flushes and never commits. A card
refund is only booked here (payments.service.begin_refund, in the transaction of the request's
step); the view asks the provider after the commit (payments.flows.refund, with the same key).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..catalog.models import Variant
from ..domain import N_, Conflict
from ..inventory import service as inventory
from ..orders.models import Order, OrderLine, OrderStatusChange
from ..orders.rules import STOCK_STATE, OrderStatus, PaymentMethod
from ..orders.service import new_reference
from ..payments import manual_refunds
from ..payments import service as payments
from ..payments.currencies import check_card_amount
from ..payments.models import Refund
from . import rules
from .models import AftersalesRequest, RequestLine
from .rules import Step
from .service import take_step


@dataclass(frozen=True)
class RefundBooking:
    """A refund booked with a request's step; a card one still has to be asked of the provider."""

    order_id: int
    amount: int
    key: str
    by_card: bool


def refund_state(session: Session, request: AftersalesRequest) -> str | None:
    """Where the request's booked refund stands: "sent", "pending" or "failed"; None when none was booked."""
    if not request.refund_key:
        return None
    if manual_refunds.find_manual_refund(session, request.refund_key) is not None:
        return "sent"
    status = session.scalar(select(Refund.status).where(Refund.idempotency_key == request.refund_key))
    return {"succeeded": "sent", "pending": "pending"}.get(status or "", "failed")


def line_value(request: AftersalesRequest) -> int:
    """What the request's units cost after the order's discount: the most a refund gives back."""
    return sum(line.order_line.paid_for(line.quantity) for line in request.lines)


def refund_left(session: Session, request: AftersalesRequest) -> int:
    """The most this request may give back: its units' value, capped by its lines' full value less other refunds.

    Other requests on the same lines count against it, so a problem refund and a return of the
    same units cannot both pay out in full.
    """
    lines = {ln.order_line_id: ln.order_line for ln in request.lines}
    line_ids = set(lines)
    whole = sum(line.paid_total for line in lines.values())
    on_same_lines = select(RequestLine.request_id).where(RequestLine.order_line_id.in_(line_ids))
    given = session.scalar(
        select(func.coalesce(func.sum(AftersalesRequest.refund_amount), 0)).where(
            AftersalesRequest.id != request.id, AftersalesRequest.id.in_(on_same_lines)
        )
    )
    return max(min(line_value(request), whole - int(given)), 0)


def refund_return(
    session: Session, request: AftersalesRequest, amount: int, reference: str, now: datetime, user_id: int
) -> RefundBooking:
    """Refund a received return once: the step, the units no longer reviewable, the money booked."""
    rules.check_refund_amount(amount, refund_left(session, request))
    take_step(session, request, Step.REFUND, now, "staff", user_id)
    for line in request.lines:
        marked = session.execute(
            update(OrderLine)
            .where(
                OrderLine.id == line.order_line_id, OrderLine.refunded_quantity + line.quantity <= OrderLine.quantity
            )
            .values(refunded_quantity=OrderLine.refunded_quantity + line.quantity)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            raise Conflict(N_("Those items were already refunded."))
    return _book_refund(session, request, amount, reference, now, user_id)


def resolve_problem(
    session: Session, request: AftersalesRequest, amount: int, reference: str, now: datetime, user_id: int
) -> RefundBooking | None:
    """Close a problem, optionally with a partial refund (at most the value of the lines it is about)."""
    if amount:
        rules.check_refund_amount(amount, refund_left(session, request))
    take_step(session, request, Step.RESOLVE, now, "staff", user_id)
    return _book_refund(session, request, amount, reference, now, user_id) if amount else None


def _book_refund(
    session: Session, request: AftersalesRequest, amount: int, reference: str, now: datetime, user_id: int
) -> RefundBooking:
    """Book the money once, under the request's own key: a card refund (asked after commit) or a manual one."""
    order = request.order
    key = f"aftersales-{request.id}"
    why = f"After-sales request {request.id}"
    by_card = order.payment_method == PaymentMethod.CARD
    if by_card:
        check_card_amount(amount, order.currency)
        payments.begin_refund(session, order.id, amount, key, now, user_id, why)
    else:
        manual_refunds.record_manual_refund(session, order.id, amount, key, now, user_id, reference)
    session.execute(
        update(AftersalesRequest).where(AftersalesRequest.id == request.id).values(refund_amount=amount, refund_key=key)
    )
    session.flush()
    return RefundBooking(order_id=order.id, amount=amount, key=key, by_card=by_card)


def retry_refund(session: Session, request: AftersalesRequest, now: datetime, user_id: int) -> RefundBooking:
    """Book again a card refund the provider refused, under a new key kept in refund_key (pages follow it).

    The failed refund already gave its amount back to the payment; the units stay counted as
    refunded because the money is owed (the owner asks again until it goes through).
    """
    old = request.refund_key
    status = session.scalar(select(Refund.status).where(Refund.idempotency_key == old)) if old else None
    if status != "failed":
        raise Conflict(N_("Only a refused card refund can be tried again."))
    base = f"aftersales-{request.id}"
    mine = or_(Refund.idempotency_key == base, Refund.idempotency_key.like(f"{base}-%"))
    tries = session.scalar(select(func.count(Refund.id)).where(mine))
    key = f"{base}-{tries + 1}"
    moved = session.execute(
        update(AftersalesRequest)
        .where(AftersalesRequest.id == request.id, AftersalesRequest.refund_key == old)
        .values(refund_key=key, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # two owners pressed at once: one books the retry
        raise Conflict(N_("This request changed meanwhile; reload the page and try again."))
    payments.begin_refund(session, request.order_id, request.refund_amount, key, now, user_id, f"After-sales {base}")
    session.flush()
    session.expire(request, ["refund_key", "updated_at"])
    return RefundBooking(order_id=request.order_id, amount=request.refund_amount, key=key, by_card=True)


# What the replacement order copies from the original: the same person, the same delivery.
COPIED = (
    "customer_name",
    "phone",
    "email",
    "locale",
    "delivery_method",
    "street",
    "city",
    "region",
    "postcode",
    "country",
)


def make_replacement(session: Session, request: AftersalesRequest, now: datetime, user_id: int) -> Order:
    """Create the exchange's replacement order once: same shopper and delivery, the wanted variants, priced 0.

    Its stock is taken through the order stock path (OutOfStock rolls the step back). It starts
    confirmed (staff made it; no unconfirmed-cash sweep) and is not announced as a sale. Its
    checkout key names the request, so even a second step that slipped through could not make two.
    """
    take_step(session, request, Step.REPLACE, now, "staff", user_id)
    order = _replacement_order(session, request, now, user_id)
    session.add(order)
    session.flush()
    lines = [(ln.variant_id, ln.quantity) for ln in order.lines]
    inventory.move_stock(session, lines, "none", STOCK_STATE[OrderStatus(order.status)], order.id, now, user_id)
    session.execute(
        update(AftersalesRequest).where(AftersalesRequest.id == request.id).values(replacement_order_id=order.id)
    )
    session.flush()
    return order


def _replacement_order(session: Session, request: AftersalesRequest, now: datetime, user_id: int) -> Order:
    """The replacement order's rows (not yet added): a line per returned line, the wanted variant at 0.

    Its note stays empty (the order page shows it as the customer's own words); the link to the
    original is the request's replacement_order_id, which the order page reads and words itself.
    """
    original, status, key = request.order, OrderStatus.CONFIRMED, f"{rules.REPLACEMENT_KEY_PREFIX}{request.id}"
    order = Order(
        token=secrets.token_urlsafe(24), reference=new_reference(), checkout_key=key,
        status=status, payment_method=PaymentMethod.CASH, note="",
        currency=original.currency, subtotal=0, shipping=0, total=0, created_at=now, updated_at=now,
        **{name: getattr(original, name) for name in COPIED},
    )  # fmt: skip
    for line in request.lines:
        variant = line.exchange_variant or session.get(Variant, line.order_line.variant_id or 0)
        if variant is None:
            raise Conflict(N_("The item to send instead no longer exists."))
        order.lines.append(
            OrderLine(
                variant_id=variant.id, product_slug=variant.product.slug, title=variant.product.title,
                variant_name=variant.name, sku=variant.sku, unit_price=0, quantity=line.quantity,
            )
        )  # fmt: skip
    order.history.append(
        OrderStatusChange(from_status=None, to_status=status, event="place", user_id=user_id, created_at=now)
    )
    return order
