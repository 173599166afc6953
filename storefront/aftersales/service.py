"""After-sales use-cases: the return window, open a request, talk, move it along its table (stock back).

Every function takes the session and `now`, flushes and never commits (the view does, once).
What a request ends in, its refund or replacement order, is in outcomes.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, selectinload

from ..catalog.generation import mark_changed
from ..catalog.images import StoredImage
from ..catalog.models import Variant
from ..core.events import announce
from ..domain import N_, Conflict, Invalid, NotFound
from ..inventory import service as inventory
from ..orders.models import Order, OrderLine
from ..orders.rules import OrderStatus
from . import rules
from .events import AFTERSALES_MOVED, AFTERSALES_OPENED, AFTERSALES_REPLIED
from .models import AftersalesRequest, AftersalesSettings, RequestLine, RequestMessage, RequestPhoto, RequestStep
from .rules import GOODS_BACK, Kind, LineAsk, Status, Step

DONE_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COLLECTED)


@dataclass(frozen=True)
class NewRequest:
    """What the shopper filled in (parsed by the view, checked here)."""

    kind: str
    reason: str
    details: str
    quantities: dict[int, int]  # order line id -> units
    exchange_variants: dict[int, int] = field(default_factory=dict)  # order line id -> wanted variant id


# ---- settings --------------------------------------------------------------


def window_days(session: Session) -> int:
    """The owner's return window in days (the default until saved)."""
    saved = session.scalar(select(AftersalesSettings.return_window_days).order_by(AftersalesSettings.id).limit(1))
    return rules.DEFAULT_WINDOW_DAYS if saved is None else saved


def save_window_days(session: Session, days: int, user_id: int | None, now: datetime) -> None:
    """Save the return window (0: no returns)."""
    rules.check_window_days(days)
    row = session.scalars(select(AftersalesSettings).order_by(AftersalesSettings.id).limit(1)).first()
    if row is None:
        row = AftersalesSettings()
        session.add(row)
    row.return_window_days, row.updated_at, row.updated_by = days, now, user_id
    mark_changed(session)  # product pages state the return policy (structured data): cached copies renew
    session.flush()


# ---- reading ---------------------------------------------------------------


def delivered_at(order: Order) -> datetime | None:
    """When the order was last delivered or collected (its status history), or None."""
    done = [c.created_at for c in order.history if c.to_status in DONE_STATUSES]
    return max(done) if done else None


def requests_of(session: Session, order_id: int) -> list[AftersalesRequest]:
    """An order's requests, newest first, with everything the order page shows."""
    stmt = (
        select(AftersalesRequest)
        .where(AftersalesRequest.order_id == order_id)
        .options(*_everything())
        .order_by(AftersalesRequest.id.desc())
    )
    return list(session.scalars(stmt))


def _everything() -> list:
    """Loader options for a request's lines, photos, thread and steps (no N+1)."""
    return [
        selectinload(AftersalesRequest.lines).selectinload(RequestLine.order_line),
        selectinload(AftersalesRequest.lines).selectinload(RequestLine.exchange_variant),
        selectinload(AftersalesRequest.photos),
        selectinload(AftersalesRequest.messages),
        selectinload(AftersalesRequest.steps),
    ]


def get_request(session: Session, request_id: int, order_id: int | None = None) -> AftersalesRequest:
    """A request by id (and, for a shopper, of their order), or NotFound."""
    stmt = select(AftersalesRequest).where(AftersalesRequest.id == request_id).options(*_everything())
    if order_id is not None:
        stmt = stmt.where(AftersalesRequest.order_id == order_id)
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(N_("We could not find that request."))
    return found


def replaced_order_of(session: Session, order: Order) -> Order | None:
    """The original order when this one is an exchange's replacement, else None.

    Only a replacement order (its checkout key says so) can be one: any other is answered
    without a read (the order page of every shopper's order asks).
    """
    if not (order.checkout_key or "").startswith(rules.REPLACEMENT_KEY_PREFIX):
        return None
    order_id = order.id
    stmt = select(Order).join(AftersalesRequest, AftersalesRequest.order_id == Order.id)
    return session.scalars(stmt.where(AftersalesRequest.replacement_order_id == order_id).limit(1)).first()


def free_units(session: Session, order: Order) -> dict[int, int]:
    """Per order line, the units still free to return or exchange (bought minus asked for or refunded)."""
    stmt = (
        select(RequestLine.order_line_id, func.sum(RequestLine.quantity))
        .join(AftersalesRequest)
        .where(
            AftersalesRequest.order_id == order.id,
            AftersalesRequest.kind.in_(GOODS_BACK),
            AftersalesRequest.status.not_in(rules.RELEASED_STATUSES),
        )
        .group_by(RequestLine.order_line_id)
    )
    asked = {line_id: int(n) for line_id, n in session.execute(stmt)}
    return {ln.id: min(ln.quantity - asked.get(ln.id, 0), ln.quantity - ln.refunded_quantity) for ln in order.lines}


def queue(
    session: Session, status: str = "", kind: str = "", limit: int = 200, offset: int = 0
) -> list[AftersalesRequest]:
    """Requests for the staff: open ones first (oldest first: they waited longest), then the rest newest first."""
    is_open = AftersalesRequest.status.in_(rules.OPEN_STATUSES)
    stmt = select(AftersalesRequest).options(selectinload(AftersalesRequest.order))
    if status == "open":
        stmt = stmt.where(is_open)
    elif status in set(Status):
        stmt = stmt.where(AftersalesRequest.status == status)
    if kind in set(Kind):
        stmt = stmt.where(AftersalesRequest.kind == kind)
    opened_first = case((is_open, 0), else_=1)
    oldest_open = case((is_open, AftersalesRequest.id), else_=-AftersalesRequest.id)
    return list(session.scalars(stmt.order_by(opened_first, oldest_open).limit(limit).offset(offset)))


# ---- opening and talking ---------------------------------------------------


def open_request(
    session: Session,
    order: Order,
    asked: NewRequest,
    photos: list[StoredImage],
    now: datetime,
    tz: tzinfo,
) -> AftersalesRequest:
    """Open a request on a delivered order inside the window; per line at most the units still free.

    The order row is touched first, so two requests sent at once take turns (PostgreSQL's row
    lock, SQLite's write lock) and the second counts the first's units.
    """
    rules.check_window(delivered_at(order), window_days(session), tz, now)
    kind, reason = _kind_and_reason(asked)
    details = rules.check_text(asked.details, rules.MAX_DETAILS, required=kind == Kind.PROBLEM)
    if len(photos) > rules.MAX_PHOTOS:
        raise Invalid(N_("Send at most %(n)s photos."), n=rules.MAX_PHOTOS)
    session.execute(update(Order).where(Order.id == order.id).values(updated_at=now))
    free = free_units(session, order) if kind in GOODS_BACK else {ln.id: ln.quantity for ln in order.lines}
    lines = {ln.id: ln for ln in order.lines}
    if any(line_id not in lines for line_id in asked.quantities):
        raise Invalid(N_("That item is not part of this order."))
    rules.check_lines([LineAsk(i, q, free.get(i, 0)) for i, q in asked.quantities.items()])
    request = AftersalesRequest(
        order_id=order.id, kind=kind, status=Status.REQUESTED, reason=reason, details=details,
        created_at=now, updated_at=now,
    )  # fmt: skip
    for line_id, quantity in sorted(asked.quantities.items()):
        if quantity:
            wanted = _exchange_variant(session, lines[line_id], asked) if kind == Kind.EXCHANGE else None
            request.lines.append(RequestLine(order_line_id=line_id, quantity=quantity, exchange_variant_id=wanted))
    request.photos.extend(RequestPhoto(key=p.key, width=max(p.widths)) for p in photos)
    request.steps.append(
        RequestStep(from_status=None, to_status=Status.REQUESTED, event="open", author="customer", created_at=now)
    )
    session.add(request)
    session.flush()
    announce(session, AFTERSALES_OPENED, request=request, order=order, status=Status.REQUESTED, now=now)
    return request


def _kind_and_reason(asked: NewRequest) -> tuple[Kind, str]:
    """The request's kind and reason code, or Invalid."""
    if asked.kind not in set(Kind):
        raise Invalid(N_("Choose a return, an exchange or a problem."))
    if asked.reason not in rules.REASONS:
        raise Invalid(N_("Choose a reason."))
    return Kind(asked.kind), asked.reason


def _exchange_variant(session: Session, line: OrderLine, asked: NewRequest) -> int:
    """The variant the shopper wants instead: another (or the same) variant of the same product, on sale."""
    bought = session.get(Variant, line.variant_id) if line.variant_id else None
    wanted = session.get(Variant, asked.exchange_variants.get(line.id, line.variant_id or 0))
    if bought is None or wanted is None or wanted.product_id != bought.product_id or wanted.archived:
        raise Invalid(N_("Choose the size or colour you want instead."))
    if not rules.exchange_allowed(wanted.id == bought.id, wanted.unit_price, line.unit_price):
        # The replacement ships at 0: a dearer variant would be a free upgrade.
        raise Invalid(N_("An exchange can only be for an item costing no more than the one you bought."))
    return wanted.id


def add_message(
    session: Session, request: AftersalesRequest, author: str, body: str, now: datetime, user_id: int | None = None
) -> RequestMessage:
    """Add a message to the thread; the shopper only while the request is open. Staff answering a problem answers it."""
    text = rules.check_text(body, rules.MAX_MESSAGE, required=True)
    if author == "customer" and request.status not in rules.OPEN_STATUSES:
        raise Conflict(N_("This request is closed; start a new one if you need to."))
    message = RequestMessage(request_id=request.id, author=author, user_id=user_id, body=text, created_at=now)
    session.add(message)
    if author == "staff" and request.kind == Kind.PROBLEM and request.status == Status.REQUESTED:
        take_step(session, request, Step.ANSWER, now, "staff", user_id)
    session.flush()
    announce(session, AFTERSALES_REPLIED, request=request, order=request.order, message=message, author=author, now=now)
    return message


# ---- the lifecycle ---------------------------------------------------------


def take_step(
    session: Session,
    request: AftersalesRequest,
    step: str,
    now: datetime,
    author: str,
    user_id: int | None = None,
    note: str = "",
) -> Status:
    """Move a request along rules.TRANSITIONS; the one place its status changes.

    Guarded by the status we read: of ten people pressing "refund" at once, one moves it and
    the others get StepRefused (so stock and money move once). Receiving puts the goods back.
    """
    old = request.status
    new = rules.next_status(request.kind, old, step)
    if (step in rules.CUSTOMER_STEPS) != (author == "customer"):
        raise rules.StepRefused(N_("This step is not yours to take."))
    moved = session.execute(
        update(AftersalesRequest)
        .where(AftersalesRequest.id == request.id, AftersalesRequest.status == old)
        .values(status=new, updated_at=now, **({"decided_by": user_id} if author == "staff" else {}))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        session.expire(request)
        raise rules.StepRefused(N_("This request changed meanwhile; reload the page and try again."))
    session.add(
        RequestStep(
            request_id=request.id, from_status=old, to_status=new, event=step, author=author,
            user_id=user_id, note=note[: rules.MAX_REFUSAL], created_at=now,
        )
    )  # fmt: skip
    if step == Step.RECEIVE:
        _stock_back(session, request, now, user_id)
    session.flush()
    session.expire(request, ["status", "updated_at", "decided_by", "steps"])
    announce(
        session, AFTERSALES_MOVED, request=request, order=request.order, step=Step(step), old_status=Status(old),
        new_status=new, author=author, note=note[: rules.MAX_REFUSAL], now=now,
    )  # fmt: skip
    return new


def refuse(session: Session, request: AftersalesRequest, why: str, now: datetime, user_id: int) -> None:
    """Say no, with a reason the shopper reads."""
    reason = rules.check_text(why, rules.MAX_REFUSAL, required=True)
    take_step(session, request, Step.REFUSE, now, "staff", user_id, note=reason)
    session.execute(update(AftersalesRequest).where(AftersalesRequest.id == request.id).values(refusal=reason))


def close(session: Session, request: AftersalesRequest, why: str, now: datetime, user_id: int) -> None:
    """Close a received request without refund or replacement, with a reason the shopper reads.

    The goods were put back when received; closing moves no stock and keeps the units counted.
    """
    reason = rules.check_text(why, rules.MAX_REFUSAL, required=True)
    take_step(session, request, Step.CLOSE, now, "staff", user_id, note=reason)
    session.execute(update(AftersalesRequest).where(AftersalesRequest.id == request.id).values(refusal=reason))


def _stock_back(session: Session, request: AftersalesRequest, now: datetime, user_id: int | None) -> None:
    """The goods are back on the shelf, through the ledger (once: the guarded step runs once)."""
    reference = request.order.reference
    for line in sorted(request.lines, key=lambda ln: ln.order_line.variant_id or 0):
        variant_id = line.order_line.variant_id
        if variant_id is None:  # the variant was deleted since: nothing to put back
            continue
        inventory.adjust_stock(
            session, variant_id, line.quantity, "returned", now, user_id,
            note=f"{reference} #{request.id}", order_id=request.order_id,  # the reason code says "returned"
        )  # fmt: skip


def staff_steps_of(request: AftersalesRequest) -> list[Step]:
    """The steps staff may take on this request now."""
    return rules.staff_steps(request.kind, request.status)
