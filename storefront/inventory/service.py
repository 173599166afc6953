"""Stock use-cases: the only code that changes a variant's on_hand, always via the ledger.

Every change is one conditional UPDATE, so two shoppers (or an owner and a shopper) can never
push stock below what is reserved or below zero, whatever the database and however many
workers: the WHERE clause is re-checked on the latest row version by PostgreSQL, and SQLite
runs write transactions one at a time (BEGIN IMMEDIATE, see storefront.db).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Insert, Update, bindparam, case, insert, or_, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..catalog import generation
from ..catalog.models import Product, Variant
from ..catalog.rules import shows_differently
from ..catalog.service import Page, paginate
from ..core.events import announce
from ..domain import N_, Conflict, NotFound
from .events import STOCK_CHANGED, STOCK_LOW, STOCK_RETURNED
from .models import StockMovement
from .rules import InvalidCsv, OutOfStock, StockRow, check_adjustment


def _record(
    session: Session,
    variant_id: int,
    delta: int,
    on_hand_after: int,
    reason: str,
    now: datetime,
    *,
    order_id: int | None = None,
    user_id: int | None = None,
    note: str = "",
) -> None:
    """Append one line to the stock ledger (a Core INSERT built once: nobody reads the row back here)."""
    values = {"variant_id": variant_id, "delta": delta, "on_hand_after": on_hand_after, "reason": reason}
    values |= {"order_id": order_id, "user_id": user_id, "note": note[:200], "created_at": now}
    session.execute(_insert_movement(), values)


@functools.cache
def _insert_movement() -> Insert:
    """INSERT INTO stock_movements (every column but its id)."""
    return insert(StockMovement.__table__)


Lines = Iterable[tuple[int | None, int]]


def move_stock(
    session: Session,
    lines: Lines,
    before: str,
    after: str,
    order_id: int,
    now: datetime,
    user_id: int | None = None,
) -> None:
    """Move an order's (variant_id, quantity) lines between stock states ("none", "held", "taken").

    The one entry point for order stock, driven by orders.rules.STOCK_STATE: placing takes or
    holds, payment turns a hold into a take, expiry releases a hold, cancelling gives back.
    Lines go in variant id order so concurrent orders lock rows in the same order (no
    deadlocks on PostgreSQL). Taking or holding raises OutOfStock naming every short line;
    the caller rolls the transaction back.
    """
    if before == after:
        return
    step = _MOVES.get((before, after))
    if step is None:
        raise ValueError(f"no stock move from {before} to {after}")
    ordered = sorted((v, q) for v, q in lines if v is not None)  # a deleted variant has nothing to move
    short = [
        variant_id
        for variant_id, quantity in ordered
        if not step(session, variant_id, quantity, order_id, now, user_id)
    ]
    if short:
        raise OutOfStock(short)


def _take(session: Session, variant_id: int, quantity: int, order_id: int, now: datetime, user_id: int | None) -> bool:
    """Off the shelf, only if that many are available (on hand and not held for someone else)."""
    row = session.execute(_take_statement(), {"variant_id": variant_id, "quantity": quantity}).first()
    if row is not None:  # what the ORM's own UPDATE would have told the variant the session holds
        variant = session.identity_map.get(identity_key(Variant, variant_id))
        if variant is not None:
            set_committed_value(variant, "on_hand", row.on_hand)
            set_committed_value(variant, "reserved", row.reserved)
    after = _after_move(session, variant_id, row, -quantity)
    return _ledger_after(session, after, variant_id, -quantity, "order", order_id, now, user_id)


@functools.cache
def _take_statement() -> Update:
    """_take's conditional UPDATE, built once (every order line runs it; built anew it cost more than its
    round trip, issue 22). Core on the table: _take tells the session's variant itself."""
    variants, quantity = Variant.__table__, bindparam("quantity")
    return (
        update(variants)
        .where(variants.c.id == bindparam("variant_id"), variants.c.on_hand - variants.c.reserved >= quantity)
        .values(on_hand=variants.c.on_hand - quantity)
        .returning(variants.c.on_hand, variants.c.reserved, variants.c.low_stock_threshold)
        .execution_options(**{generation.CHECKED_OPTION: True})
    )


def _hold(session: Session, variant_id: int, quantity: int, order_id: int, now: datetime, user_id: int | None) -> bool:
    """Reserve units for a pending payment, by the same availability test as taking."""
    stmt = (
        update(Variant)
        .where(Variant.id == variant_id, Variant.on_hand - Variant.reserved >= quantity)
        .values(reserved=Variant.reserved + quantity)
    )
    return _shown_move(session, variant_id, stmt, -quantity) is not None


def _take_held(
    session: Session, variant_id: int, quantity: int, order_id: int, now: datetime, user_id: int | None
) -> bool:
    """The payment arrived: the held units leave the shelf (cannot fail: they were reserved)."""
    stmt = (
        update(Variant)
        .where(Variant.id == variant_id, Variant.reserved >= quantity, Variant.on_hand >= quantity)
        .values(on_hand=Variant.on_hand - quantity, reserved=Variant.reserved - quantity)
    )
    after = _shown_move(session, variant_id, stmt, 0)  # available stays the same: nothing shown changes
    return _ledger_after(session, after, variant_id, -quantity, "order", order_id, now, user_id)


def _release(
    session: Session, variant_id: int, quantity: int, order_id: int, now: datetime, user_id: int | None
) -> bool:
    """A hold ends without a sale: the units are available again (on_hand never changed)."""
    stmt = (
        update(Variant)
        .where(Variant.id == variant_id)
        .values(reserved=case((Variant.reserved >= quantity, Variant.reserved - quantity), else_=0))
    )
    # If the hold was partly gone already, fewer than `quantity` came back; assuming all of them
    # can only see a change that is not there, never miss one (shown states are ranges of counts).
    _shown_move(session, variant_id, stmt, quantity)
    return True


def _give_back(
    session: Session, variant_id: int, quantity: int, order_id: int, now: datetime, user_id: int | None
) -> bool:
    """Back on the shelf (order cancelled after its stock was taken)."""
    stmt = update(Variant).where(Variant.id == variant_id).values(on_hand=Variant.on_hand + quantity)
    after = _shown_move(session, variant_id, stmt, quantity)
    _ledger_after(session, after, variant_id, quantity, "cancel", order_id, now, user_id)
    return True  # the variant may have been deleted since: nothing to give back to


def _shown_move(session: Session, variant_id: int, stmt, available_delta: int) -> int | None:
    """Run a conditional stock UPDATE; the new on-hand, or None when refused (or no such variant).

    When the move changes what shopper pages show of the variant (sold out, "only N left", in
    stock), the transaction is marked so its commit invalidates cached pages; other moves keep
    them (catalog.generation). `available_delta` is how the move changed the available units.
    """
    stmt = stmt.returning(Variant.on_hand, Variant.reserved, Variant.low_stock_threshold).execution_options(
        **{generation.CHECKED_OPTION: True}
    )
    return _after_move(session, variant_id, session.execute(stmt).first(), available_delta)


def _after_move(session: Session, variant_id: int, row, available_delta: int) -> int | None:
    """What follows a stock UPDATE's returned row (None: refused): the page cache, the announcements."""
    if row is None:
        return None
    available = max(row.on_hand - row.reserved, 0)
    before = max(available - available_delta, 0)
    if shows_differently(before, available, row.low_stock_threshold):
        generation.mark_changed(session)
    _announce_stock(session, variant_id, row.on_hand, before, available, row.low_stock_threshold)
    return row.on_hand


def _announce_stock(
    session: Session, variant_id: int, on_hand: int, available_before: int, available: int, threshold: int
) -> None:
    """Announce a variant's new stock; that it ran low (this change took it to its threshold) or came back."""
    announce(
        session,
        STOCK_CHANGED,
        variant_id=variant_id,
        on_hand=on_hand,
        available=available,
        low_stock_threshold=threshold,
    )
    if available_before > threshold >= available:
        announce(session, STOCK_LOW, variant_id=variant_id, available=available, low_stock_threshold=threshold)
    if available_before <= 0 < available:
        announce(session, STOCK_RETURNED, variant_id=variant_id, available=available)


def _ledger_after(
    session: Session,
    after: int | None,
    variant_id: int,
    delta: int,
    reason: str,
    order_id: int,
    now: datetime,
    user_id: int | None,
) -> bool:
    """Write the ledger line of a stock move that happened (`after` is its new on-hand). False when refused."""
    if after is None:
        return False
    _record(session, variant_id, delta, after, reason, now, order_id=order_id, user_id=user_id)
    return True


_MOVES = {
    ("none", "taken"): _take,
    ("none", "held"): _hold,
    ("held", "taken"): _take_held,
    ("held", "none"): _release,
    ("taken", "none"): _give_back,
}


def adjust_stock(
    session: Session,
    variant_id: int,
    delta: int,
    reason: str,
    now: datetime,
    user_id: int | None,
    note: str = "",
    order_id: int | None = None,
) -> int:
    """Change a variant's stock by hand (or for an order's return: `order_id`); the new on-hand. Conflict if too low."""
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(N_("That variant does not exist."))
    check_adjustment(variant.on_hand, variant.reserved, delta)
    # Conditional on the floor again: an order may have taken stock since we read it.
    stmt = (
        update(Variant)
        .where(Variant.id == variant_id, Variant.on_hand + delta >= Variant.reserved, Variant.on_hand + delta >= 0)
        .values(on_hand=Variant.on_hand + delta)
        .returning(Variant.on_hand, Variant.reserved, Variant.low_stock_threshold)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(stmt).first()
    if row is None:
        raise Conflict(N_("Stock changed meanwhile; the change would take it below zero."))
    session.expire(variant)
    _record(session, variant_id, delta, row.on_hand, reason, now, order_id=order_id, user_id=user_id, note=note)
    available = row.on_hand - row.reserved
    _announce_stock(session, variant_id, row.on_hand, available - delta, available, row.low_stock_threshold)
    return row.on_hand


def import_stock_levels(session: Session, rows: list[StockRow], now: datetime, user_id: int | None) -> int:
    """Set stock levels from parsed CSV rows, all or nothing; returns how many variants changed."""
    by_sku = {
        v.sku: v
        for v in session.scalars(
            select(Variant).where(Variant.sku.in_([r.sku for r in rows])).order_by(Variant.id).with_for_update()
        )
    }
    changed = 0
    for row in rows:
        variant = by_sku.get(row.sku)
        if variant is None:
            raise InvalidCsv(row.line, N_("Line %(line)s: no variant has the sku %(sku)s."), sku=row.sku)
        if row.on_hand < variant.reserved:
            raise InvalidCsv(
                row.line,
                N_("Line %(line)s: %(sku)s has %(reserved)s units held for orders; on_hand cannot be lower."),
                sku=row.sku,
                reserved=variant.reserved,
            )
        if row.low_stock_threshold is not None:
            variant.low_stock_threshold = row.low_stock_threshold
        delta = row.on_hand - variant.on_hand
        if delta:
            before = variant.on_hand - variant.reserved
            variant.on_hand = row.on_hand
            _record(session, variant.id, delta, row.on_hand, "import", now, user_id=user_id)
            available = row.on_hand - variant.reserved
            _announce_stock(session, variant.id, row.on_hand, before, available, variant.low_stock_threshold)
            changed += 1
    session.flush()
    return changed


def low_stock_variants(session: Session) -> list[Variant]:
    """Variants on sale whose available stock is at or under their threshold, fewest first."""
    available = Variant.on_hand - Variant.reserved
    stmt = (
        select(Variant)
        .join(Variant.product)
        .where(Variant.archived.is_(False), Product.published, available <= Variant.low_stock_threshold)
        .order_by(available, Variant.sku)
    )
    return list(session.scalars(stmt))


def stock_rows(session: Session) -> list[Variant]:
    """Every variant, for the CSV export, by product then position."""
    stmt = select(Variant).join(Variant.product).order_by(Product.title, Variant.position, Variant.id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class StockFilter:
    """What the owner is looking for on the stock page; every part optional, all combined."""

    query: str = ""  # part of a product title, SKU or variant name
    low: bool = False  # at or under the low-stock threshold
    sold_out: bool = False  # nothing available
    category_id: int | None = None


def find_stock(session: Session, wanted: StockFilter, page: int, per_page: int) -> Page:
    """One page of variants matching `wanted`, with their products and photos loaded (no N+1).

    Low and sold out list only variants on sale (an active variant of a published product): they are
    the lists the owner acts on. Those come fewest available first; otherwise by product then position.
    """
    available = Variant.on_hand - Variant.reserved
    stmt = select(Variant).join(Variant.product).options(contains_eager(Variant.product).selectinload(Product.photos))
    text = wanted.query.strip()
    if text:
        stmt = stmt.where(
            or_(*(column.icontains(text, autoescape=True) for column in (Product.title, Variant.sku, Variant.name)))
        )
    if wanted.category_id is not None:
        stmt = stmt.where(Product.category_id == wanted.category_id)
    if wanted.low or wanted.sold_out:
        stmt = stmt.where(Variant.archived.is_(False), Product.published)
    if wanted.low:
        stmt = stmt.where(available <= Variant.low_stock_threshold)
    if wanted.sold_out:
        stmt = stmt.where(available <= 0)
    if wanted.low or wanted.sold_out:
        stmt = stmt.order_by(available, Variant.sku, Variant.id)
    else:
        stmt = stmt.order_by(Product.title, Product.id, Variant.position, Variant.id)
    return paginate(session, stmt, page, per_page)


def ledger(session: Session, variant_id: int | None = None, limit: int = 200) -> list[StockMovement]:
    """The most recent ledger lines, optionally for one variant."""
    stmt = select(StockMovement).order_by(StockMovement.id.desc()).limit(limit)
    if variant_id is not None:
        stmt = stmt.where(StockMovement.variant_id == variant_id)
    return list(session.scalars(stmt))
