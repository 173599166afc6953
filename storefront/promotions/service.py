"""Discount-code use-cases: quote a code on a cart, redeem it exactly once per limit, give it back.

Limits hold under any concurrency, on SQLite and PostgreSQL, because every count moves only
through a conditional UPDATE whose row count is checked (never read-then-write):
- the code's total: UPDATE discount_codes SET uses = uses + 1 WHERE id = :id AND uses < max_uses;
- the customer's: their counter row is inserted if missing (duplicates ignored), then
  UPDATE customer_code_uses SET uses = uses + 1 WHERE ... AND uses < :max_per_customer.
Both run in the checkout's transaction: a refused or failed checkout rolls them back.

A use is given back (once: the redemption's released_at is set by a guarded UPDATE) when the
order ends unpaid or cancelled, paid or not: a cancelled order is refunded in full, the shopper
kept nothing, so the code is theirs to use again (see promotions.subscribers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from ..cart.models import Cart
from ..cart.service import CartItem
from ..core.events import announce
from ..domain import N_, Invalid
from ..orders.models import Order
from ..orders.rules import TransitionRefused
from .events import CODE_REDEEMED
from .models import CustomerCodeUse, DiscountCode, OrderDiscount, Redemption
from .rules import Applied, CodeKind, CodeRefused, CodeTerms, CodeUsedUp, DiscountLine, apply_code, normalise_code


@dataclass(frozen=True)
class Quote:
    """A code and what it takes off a cart."""

    code_id: int
    code: str
    description: str
    kind: str
    seller_id: int | None
    applied: Applied

    @property
    def amount(self) -> int:
        """The discount in minor units."""
        return self.applied.amount


def find_code(session: Session, raw: str | None) -> DiscountCode:
    """The code the shopper typed (any case), with its scope, or CodeRefused("unknown")."""
    text = normalise_code(raw)
    code = None
    if text is not None:
        stmt = (
            select(DiscountCode)
            .where(DiscountCode.code == text)
            .options(selectinload(DiscountCode.products), selectinload(DiscountCode.categories))
        )
        code = session.scalars(stmt).one_or_none()
    if code is None:
        raise CodeRefused(N_("We do not know that code. Please check it and try again."))
    return code


def check_known_code(session: Session, raw: str) -> str:
    """The code as stored (upper case) when the shop has it, else Invalid naming it (for campaigns, reminders)."""
    try:
        return find_code(session, raw).code
    except CodeRefused:
        raise Invalid(
            N_("There is no discount code %(code)s: create it first under Discount codes."), code=raw
        ) from None


def terms_of(code: DiscountCode) -> CodeTerms:
    """A code row's conditions for the pure rules."""
    return CodeTerms(
        kind=CodeKind(code.kind),
        value=code.value,
        min_subtotal=code.min_subtotal,
        starts_at=code.starts_at,
        ends_at=code.ends_at,
        active=code.active,
        product_ids=frozenset(p.product_id for p in code.products),
        category_ids=frozenset(c.category_id for c in code.categories),
        used_up=code.max_uses is not None and code.uses >= code.max_uses,
    )


def discount_lines(items: Sequence[CartItem]) -> list[DiscountLine]:
    """Cart items as the lines a code applies to (unit prices as the cart priced them: sales included)."""
    return [DiscountLine(i.variant.product_id, i.variant.product.category_id, i.total) for i in items]


def quote(session: Session, raw: str | None, items: Sequence[CartItem], shipping: int, now: datetime) -> Quote:
    """What the code takes off these cart items and delivery fee now; CodeRefused/CodeUsedUp says why not."""
    code = find_code(session, raw)
    applied = apply_code(terms_of(code), discount_lines(items), shipping, now)
    return Quote(code.id, code.code, code.description, code.kind, code.seller_id, applied)


def apply_to_cart(session: Session, cart: Cart, raw: str | None, items: Sequence[CartItem], now: datetime) -> Quote:
    """Check the code against the cart (delivery not chosen yet: no fee) and keep it on the cart."""
    found = quote(session, raw, items, 0, now)
    cart.discount_code = found.code
    cart.updated_at = now
    session.flush()
    return found


def remove_from_cart(session: Session, cart: Cart, now: datetime) -> None:
    """Forget the cart's code."""
    cart.discount_code = None
    cart.updated_at = now
    session.flush()


def cart_quote(
    session: Session, cart: Cart | None, items: Sequence[CartItem], shipping: int, now: datetime
) -> tuple[Quote | None, CodeRefused | CodeUsedUp | None]:
    """The cart's code as it stands now (for the pages): its quote, or why it no longer applies."""
    if cart is None or not cart.discount_code or not items:
        return None, None
    try:
        return quote(session, cart.discount_code, items, shipping, now), None
    except (CodeRefused, CodeUsedUp) as err:
        return None, err


def _insert_ignoring_duplicates(session: Session, code_id: int, customer_key: str) -> None:
    """The customer's counter row for the code, created unless another transaction already did."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    stmt = dialect.insert(CustomerCodeUse).values(code_id=code_id, customer_key=customer_key, uses=0)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["code_id", "customer_key"]))


def _take_use(session: Session, code: DiscountCode, customer_key: str, *, active_only: bool) -> str | None:
    """One more use of `code` by `customer_key`, by two conditional UPDATEs that hold under concurrency.

    Returns None when taken, else the limit that refused it ("total" or "customer"); the caller raises,
    and its rollback undoes a total use taken before a refused customer use.
    """
    total = [DiscountCode.id == code.id, DiscountCode.max_uses.is_(None) | (DiscountCode.uses < DiscountCode.max_uses)]
    if active_only:
        total.append(DiscountCode.active.is_(True))
    taken = session.execute(
        update(DiscountCode)
        .where(*total)
        .values(uses=DiscountCode.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return "total"
    # Counted for every code (a limit set later then counts earlier uses too).
    _insert_ignoring_duplicates(session, code.id, customer_key)
    mine = [CustomerCodeUse.code_id == code.id, CustomerCodeUse.customer_key == customer_key]
    if code.max_per_customer is not None:
        mine.append(CustomerCodeUse.uses < code.max_per_customer)
    counted = session.execute(
        update(CustomerCodeUse)
        .where(*mine)
        .values(uses=CustomerCodeUse.uses + 1)
        .execution_options(synchronize_session=False)
    )
    return None if counted.rowcount == 1 else "customer"


def redeem(session: Session, found: Quote, order: Order, customer_key: str, now: datetime) -> Redemption:
    """Take one use of the code for this order, within both limits, or raise CodeUsedUp (caller rolls back)."""
    refused = _take_use(session, session.get(DiscountCode, found.code_id), customer_key, active_only=True)
    if refused == "total":
        raise CodeUsedUp(N_("This code has been used up."))
    if refused == "customer":
        raise CodeUsedUp(N_("You have already used this code."))
    redemption = Redemption(
        code_id=found.code_id, order_id=order.id, customer_key=customer_key, amount=found.amount, at=now
    )
    session.add(redemption)
    session.add(OrderDiscount(order_id=order.id, code=found.code, description=found.description, amount=found.amount))
    session.flush()
    announce(session, CODE_REDEEMED, order=order, code=found.code, now=now)
    return redemption


def release(session: Session, order_id: int, now: datetime) -> bool:
    """Give the order's code use back (once, however often this is called); True when it did."""
    redemption = session.scalars(select(Redemption).where(Redemption.order_id == order_id)).one_or_none()
    if redemption is None:
        return False
    done = session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.released_at.is_(None))
        .values(released_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    session.execute(
        update(DiscountCode)
        .where(DiscountCode.id == redemption.code_id, DiscountCode.uses > 0)
        .values(uses=DiscountCode.uses - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(CustomerCodeUse)
        .where(
            CustomerCodeUse.code_id == redemption.code_id,
            CustomerCodeUse.customer_key == redemption.customer_key,
            CustomerCodeUse.uses > 0,
        )
        .values(uses=CustomerCodeUse.uses - 1)
        .execution_options(synchronize_session=False)
    )
    return True


class UseTakenMeanwhile(TransitionRefused):
    """A late payment revives an order whose code use was given back, and the code is used up meanwhile."""


def retake(session: Session, order_id: int, now: datetime) -> bool:
    """A revived order (a late payment) takes its code's use again, within both limits, or UseTakenMeanwhile.

    The caller's transaction (or savepoint) is rolled back on refusal: the payment is then handled like
    one for goods that sold out meanwhile (cancelled and refunded). True when a use was taken again.
    """
    redemption = session.scalars(select(Redemption).where(Redemption.order_id == order_id)).one_or_none()
    if redemption is None:
        return False
    back = session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.released_at.is_not(None))
        .values(released_at=None)
        .execution_options(synchronize_session=False)
    )
    if back.rowcount != 1:
        return False  # never released: it still holds its use
    if _take_use(session, session.get(DiscountCode, redemption.code_id), redemption.customer_key, active_only=False):
        raise UseTakenMeanwhile(N_("The discount code of this order was used up before its payment arrived."))
    return True


def order_discount(session: Session, order_id: int) -> OrderDiscount | None:
    """The discount line an order keeps (its code, description and amount), if it had one."""
    return session.scalars(select(OrderDiscount).where(OrderDiscount.order_id == order_id)).first()
