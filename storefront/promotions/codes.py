"""The owner's side of discount codes: save one (validated), generate single-use codes in bulk, list with figures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..domain import N_, Invalid
from ..orders.models import Order
from ..orders.rules import SALE_STATUSES
from .models import DiscountCode, DiscountCodeCategory, DiscountCodeProduct, Redemption
from .rules import MAX_BASIS_POINTS, CodeKind, normalise_code

MAX_BULK = 1000
BULK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


class CodeInvalid(Invalid):
    """A code the owner typed cannot be saved; `field` names the form field to mark."""

    def __init__(self, field_name: str, template: str, **params) -> None:
        super().__init__(template, **params)
        self.field = field_name


@dataclass
class CodeFields:
    """What the owner's form says about a code (already parsed to integers and instants)."""

    code: str
    kind: str
    value: int
    description: str = ""
    min_subtotal: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    max_per_customer: int | None = None
    active: bool = True
    seller_id: int | None = None
    product_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)


MAX_LIMIT = 1_000_000_000  # uses of a code: fits the INTEGER columns on both databases


def check_fields(fields: CodeFields, *, bulk: bool = False) -> None:
    """Refuse what cannot be a code: the form is re-shown with the message at its field."""
    if not bulk and normalise_code(fields.code) is None:
        raise CodeInvalid("code", N_("A code is 3 to 40 letters, digits, - or _, without spaces."))
    if fields.kind not in set(CodeKind):
        raise CodeInvalid("kind", N_("Choose what the code takes off."))
    if fields.kind == CodeKind.PERCENT and not 0 < fields.value <= MAX_BASIS_POINTS:
        raise CodeInvalid("value", N_("A percent is more than 0 and at most 100."))
    if fields.kind == CodeKind.FIXED and fields.value <= 0:
        raise CodeInvalid("value", N_("Enter the amount the code takes off."))
    if fields.min_subtotal < 0:
        raise CodeInvalid("min_subtotal", N_("The minimum cannot be negative."))
    if fields.starts_at and fields.ends_at and fields.ends_at <= fields.starts_at:
        raise CodeInvalid("ends_on", N_("The code must end after it starts."))
    for name in ("max_uses", "max_per_customer"):
        value = getattr(fields, name)
        if value is not None and not 1 <= value <= MAX_LIMIT:
            raise CodeInvalid(
                name, N_("A limit is a whole number from 1 to 1,000,000,000 (leave it empty for no limit).")
            )


def save_code(
    session: Session, code: DiscountCode | None, fields: CodeFields, user_id: int | None, now: datetime
) -> DiscountCode:
    """Create or change a code; a code already taken is refused (the caller rolls back)."""
    check_fields(fields)
    text = normalise_code(fields.code)
    clash = session.scalar(select(DiscountCode.id).where(DiscountCode.code == text))
    if clash is not None and (code is None or clash != code.id):
        raise CodeInvalid("code", N_("The code %(code)s exists already."), code=text)
    if code is not None and fields.max_uses is not None and fields.max_uses < code.uses:
        raise CodeInvalid(
            "max_uses", N_("This code was used %(n)s times already: the limit cannot be lower."), n=code.uses
        )
    if code is None:
        code = DiscountCode(created_at=now, created_by=user_id, uses=0)
        session.add(code)
    _fill(code, fields, text, now)
    session.flush()
    return code


def _fill(code: DiscountCode, fields: CodeFields, text: str, now: datetime) -> None:
    """Copy the form's values onto the row, scope included."""
    code.code = text
    code.kind = fields.kind
    code.value = 0 if fields.kind == CodeKind.FREE_DELIVERY else fields.value
    code.description = fields.description.strip()[:200]
    code.min_subtotal = fields.min_subtotal
    code.starts_at = fields.starts_at or now
    code.ends_at = fields.ends_at
    code.max_uses = fields.max_uses
    code.max_per_customer = fields.max_per_customer
    code.active = fields.active
    code.seller_id = fields.seller_id
    code.products = [DiscountCodeProduct(product_id=p) for p in sorted(set(fields.product_ids))]
    code.categories = [DiscountCodeCategory(category_id=c) for c in sorted(set(fields.category_ids))]


def generate_batch(
    session: Session, prefix: str, count: int, fields: CodeFields, user_id: int | None, now: datetime
) -> list[str]:
    """`count` new single-use codes PREFIX-XXXXXXXX with the same terms, labelled with a batch name."""
    prefix = (prefix or "").strip().upper()
    if normalise_code(prefix + "XXX") is None or len(prefix) > 20:
        raise CodeInvalid("prefix", N_("A prefix is up to 20 letters, digits, - or _."))
    if not 1 <= count <= MAX_BULK:
        raise CodeInvalid("count", N_("Generate between 1 and %(max)s codes at a time."), max=MAX_BULK)
    check_fields(fields, bulk=True)
    batch = f"{prefix}{now:%Y%m%d%H%M%S}"[:40]
    made: list[str] = []
    taken = set(session.scalars(select(DiscountCode.code).where(DiscountCode.code.like(f"{prefix}%"))))
    while len(made) < count:
        text = prefix + "".join(secrets.choice(BULK_ALPHABET) for _ in range(8))
        if text in taken:
            continue
        taken.add(text)
        row = DiscountCode(created_at=now, created_by=user_id, uses=0, batch=batch)
        _fill(row, CodeFields(**{**fields.__dict__, "max_uses": 1, "max_per_customer": 1}), text, now)
        session.add(row)
        made.append(text)
    session.flush()
    return made


@dataclass(frozen=True)
class CodeFigures:
    """A code with what it did: live uses, orders that count as sales, their revenue and the discount given."""

    code: DiscountCode
    redemptions: int
    orders: int
    revenue: int
    discount: int


def codes_with_figures(session: Session, limit: int = 500) -> list[CodeFigures]:
    """Every code (newest first) with its redemptions and its sold orders' revenue and discount: two queries."""
    codes = session.scalars(
        select(DiscountCode).order_by(DiscountCode.created_at.desc(), DiscountCode.id.desc()).limit(limit)
    ).all()
    stats = {
        code_id: (redemptions, orders or 0, revenue or 0, given or 0)
        for code_id, redemptions, orders, revenue, given in session.execute(
            select(
                Redemption.code_id,
                func.count(Redemption.id),
                func.count(Order.id),
                func.sum(Order.total),
                func.sum(Order.discount),
            )
            .outerjoin(Order, (Order.id == Redemption.order_id) & Order.status.in_(list(SALE_STATUSES)))
            .group_by(Redemption.code_id)
        )
    }
    return [CodeFigures(code, *stats.get(code.id, (0, 0, 0, 0))) for code in codes]


def discount_given(session: Session, start: datetime, end: datetime, orders: Select | None = None) -> int:
    """Discounts on sale orders placed in [start, end) (naive UTC): the reports' "Discounts".

    `orders` (a SELECT of order ids) narrows it to a filtered report's orders.
    """
    stmt = select(func.coalesce(func.sum(Order.discount), 0)).where(
        Order.created_at >= start, Order.created_at < end, Order.status.in_(list(SALE_STATUSES))
    )
    if orders is not None:
        stmt = stmt.where(Order.id.in_(orders))
    total = session.scalar(stmt)
    return int(total or 0)


def codes_in_period(
    session: Session, start: datetime, end: datetime, orders: Select | None = None
) -> list[tuple[str, int, int, int, int]]:
    """(code, redemptions, sale orders, revenue, discount given) for codes used in [start, end), most used first.

    `orders` (a SELECT of order ids) narrows it to a filtered report's orders.
    """
    stmt = (
        select(
            DiscountCode.code,
            func.count(Redemption.id),
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), 0),
            func.coalesce(func.sum(Order.discount), 0),
        )
        .join(Redemption, Redemption.code_id == DiscountCode.id)
        .outerjoin(Order, (Order.id == Redemption.order_id) & Order.status.in_(list(SALE_STATUSES)))
        .where(Redemption.at >= start, Redemption.at < end)
        .group_by(DiscountCode.code)
        .order_by(func.count(Redemption.id).desc(), DiscountCode.code)
    )
    if orders is not None:
        stmt = stmt.where(Redemption.order_id.in_(orders))
    rows = session.execute(stmt)
    return [(code, int(r), int(o), int(rev), int(d)) for code, r, o, rev, d in rows]
