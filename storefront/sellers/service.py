"""The commission ledger's use-cases, run by the subscribers to order and payment events (subscribers.py).

Every function takes the caller's session and `now`, flushes and never commits: it runs inside
the caller's transaction (order placement, a webhook, an admin step), so the commission stands
or falls with the order change that caused it.

Exactly once, on SQLite and PostgreSQL:
  * credit_order inserts with ON CONFLICT (order_id) DO NOTHING on the UNIQUE order_id, so any
    number of concurrent fulfilments create one entry and all get that entry back;
  * every later step locks the seller row, then the entry row (always in that order, so two
    steps never deadlock), checks the lifecycle table (rules.LEDGER) and applies a guarded
    UPDATE ... WHERE status = <the status it read>; a repeated or late event changes nothing;
  * Seller.owed (approved, unpaid) moves in the same transaction as the entry, and a payout is
    one conditional UPDATE ... SET owed = owed - :amount WHERE owed >= :amount.
SQLite has one writer at a time (BEGIN IMMEDIATE, see db.py), so the same code is serial there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..catalog.models import Product, Variant
from ..domain import N_, NotFound
from . import rules
from .models import CommissionEntry, Payout, Seller
from .rules import EntryStatus, LedgerEvent

if TYPE_CHECKING:
    from ..orders.models import Order

DEFAULT_ATTRIBUTION_DAYS = 30
DEFAULT_RETURN_WINDOW_DAYS = 14
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Attribution:
    """The seller links a shopper opened (newest first) and the window they count for.

    Built on the request side by web.attribution_from_request() from the signed cookie;
    tests build it directly.
    """

    touches: tuple[rules.Touch, ...] = ()
    window_days: int = DEFAULT_ATTRIBUTION_DAYS


# --- crediting an order -----------------------------------------------------------------------


def credit_order(
    session: Session, order: Order, attribution: Attribution | None, now: datetime
) -> CommissionEntry | None:
    """Credit a just-placed order to the seller the attribution rule picks (pending); once only.

    Call it in the order-placement transaction after the order and its lines are flushed (the
    order needs its id). Returns the order's entry (also when an earlier call made it), or None
    when nobody is credited. A commission of 0 (0 % rate) is still recorded: the seller brought
    the order.
    """
    if order.id is None:
        session.flush()  # the entry refers to the order by id
    existing = entry_for_order(session, order.id)
    if existing is not None or attribution is None or not attribution.touches:
        return existing
    decision = decide(session, order, attribution, now)
    if decision.seller_id is None:
        return None
    seller = session.scalars(
        select(Seller).options(selectinload(Seller.rates)).where(Seller.id == decision.seller_id)
    ).one()
    commission = rules.compute_commission(
        eligible_lines(session, order), seller.commission_bp, {r.category_id: r.rate_bp for r in seller.rates}
    )
    _insert_once(
        session,
        {
            "order_id": order.id,
            "seller_id": seller.id,
            "currency": order.currency,
            "base": commission.base,
            "original_amount": commission.amount,
            "amount": commission.amount,
            "refunded": 0,
            "status": EntryStatus.PENDING.value,
            "touched_at": decision.touch.at if decision.touch else None,
            "created_at": now,
        },
    )
    return entry_for_order(session, order.id)


def decide(session: Session, order: Order, attribution: Attribution, now: datetime) -> rules.Decision:
    """Run the pure attribution rule for this order with the sellers its touches name."""
    codes = {t.code for t in attribution.touches}
    sellers = session.scalars(select(Seller).options(selectinload(Seller.user)).where(Seller.code.in_(codes)))
    registry = {
        s.code: rules.SellerState(s.id, s.active and s.user.active, s.user.email, s.phone or "") for s in sellers
    }
    buyer = rules.Buyer(email=order.email or "", phone=order.phone or "")
    return rules.choose_seller(attribution.touches, registry, buyer, timedelta(days=attribution.window_days), now)


def eligible_lines(session: Session, order: Order) -> list[rules.EligibleLine]:
    """The order's lines as commissionable amounts with their product's category (shipping excluded).

    The category comes from the line's variant; a line whose variant was deleted falls back to
    the product with the line's slug, and to no category (the default rate) after that.
    """
    variant_ids = {line.variant_id for line in order.lines if line.variant_id}
    slugs = {line.product_slug for line in order.lines}
    by_variant = {
        vid: cat
        for vid, cat in session.execute(
            select(Variant.id, Product.category_id).join(Product).where(Variant.id.in_(variant_ids))
        )
    }
    by_slug = {
        slug: cat
        for slug, cat in session.execute(select(Product.slug, Product.category_id).where(Product.slug.in_(slugs)))
    }
    return [
        rules.EligibleLine(
            amount=line.unit_price * line.quantity - line.discount,  # on the discounted amount (issue 20)
            category_id=by_variant.get(line.variant_id)
            if line.variant_id in by_variant
            else by_slug.get(line.product_slug),
        )
        for line in order.lines
    ]


def _insert_once(session: Session, row: dict) -> None:
    """INSERT the entry unless the order already has one (the UNIQUE order_id decides races)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        session.execute(
            module.insert(CommissionEntry).values(**row).on_conflict_do_nothing(index_elements=["order_id"])
        )
        return
    try:  # other databases: a savepoint keeps the caller's transaction usable after the clash
        with session.begin_nested():
            session.execute(insert(CommissionEntry).values(**row))
    except IntegrityError:
        pass


def entry_for_order(session: Session, order_id: int) -> CommissionEntry | None:
    """The order's commission entry, fresh from the database, or None."""
    return session.scalars(
        select(CommissionEntry).where(CommissionEntry.order_id == order_id).execution_options(populate_existing=True)
    ).first()


# --- the order's later steps --------------------------------------------------------------------


def order_paid(session: Session, order_id: int, now: datetime) -> CommissionEntry | None:
    """The order was paid (card captured, or cash received): the commission can now be approved.

    Idempotent: a second call (webhook and success page) changes nothing. If the order was also
    completed and its return window is over, the entry is approved at once.
    """
    entry = _locked_entry(session, order_id)
    if entry is None or entry.order_paid_at is not None:
        return entry
    if _move(session, entry, LedgerEvent.ORDER_PAID, {"order_paid_at": now}):
        _approve_if_due(session, entry, now)
    return entry


def order_completed(
    session: Session, order_id: int, now: datetime, return_window_days: int = DEFAULT_RETURN_WINDOW_DAYS
) -> CommissionEntry | None:
    """The order was delivered or collected: approve it once the return window has passed.

    The window is `return_window_days` (the caller reads the SELLER_RETURN_WINDOW_DAYS setting).
    Approval then happens in approve_due() (the `approve-commissions` command, or the owner's
    button) once paid and past the window; a window of 0 approves a paid order at once.
    """
    entry = _locked_entry(session, order_id)
    if entry is None or entry.completed_at is not None:
        return entry
    values = {"completed_at": now, "approve_after": now + timedelta(days=max(return_window_days, 0))}
    if _move(session, entry, LedgerEvent.ORDER_COMPLETED, values):
        _approve_if_due(session, entry, now)
    return entry


def order_cancelled(session: Session, order_id: int, now: datetime) -> CommissionEntry | None:
    """The order was cancelled: its commission is reversed (and taken back if already approved)."""
    entry = _locked_entry(session, order_id)
    if entry is not None:
        _move(session, entry, LedgerEvent.CANCEL, {"amount": 0, "reversed_at": now})
    return entry


def order_refunded(session: Session, order_id: int, amount: int, now: datetime) -> CommissionEntry | None:
    """Money was refunded: `amount` is the order's CUMULATIVE refunded total in minor units.

    Cumulative (like Stripe's `amount_refunded`), so a webhook delivered twice, or two refund
    events seen out of order, never reduce twice. Refunds count against the goods first (the
    commission base); refunding the whole base reverses the commission, less reduces it pro
    rata. Commission already approved or paid out is taken back from the seller's balance.
    """
    entry = _locked_entry(session, order_id)
    if entry is None:
        return None
    refunded = min(max(int(amount), 0), entry.base)
    if refunded <= entry.refunded:
        return entry  # nothing refunded from the goods, already applied, or an older event
    if refunded >= entry.base:
        _move(session, entry, LedgerEvent.REFUND_ALL, {"amount": 0, "refunded": refunded, "reversed_at": now})
    else:
        kept = rules.reduced_commission(entry.original_amount, entry.base, refunded)
        _move(session, entry, LedgerEvent.REFUND_PART, {"amount": kept, "refunded": refunded})
    return entry


def hold_commission(session: Session, order_id: int, now: datetime) -> CommissionEntry | None:
    """A dispute opened on the order: its commission is neither approved nor payable until it closes.

    Approved commission leaves Seller.owed while held (so no payout can take it); idempotent.
    """
    entry = _locked_entry(session, order_id)
    if entry is None or entry.held_at is not None or entry.status == EntryStatus.REVERSED:
        return entry
    _set_hold(session, entry, now)
    return entry


def release_commission(session: Session, order_id: int, now: datetime, lost: bool) -> CommissionEntry | None:
    """The order's last open dispute closed: won, the commission goes on; lost, it is reversed.

    A lost dispute gave the shopper's money back through their bank, so it counts as a full refund.
    """
    entry = _locked_entry(session, order_id)
    if entry is None:
        return None
    if entry.held_at is not None:
        _set_hold(session, entry, None)
    if lost:
        _move(session, entry, LedgerEvent.REFUND_ALL, {"amount": 0, "refunded": entry.base, "reversed_at": now})
    else:
        _approve_if_due(session, entry, now)
    return entry


def _set_hold(session: Session, entry: CommissionEntry, held_at: datetime | None) -> None:
    """Hold (a time) or release (None) the locked `entry`, moving approved commission out of or into `owed`."""
    result = session.execute(
        update(CommissionEntry)
        .where(
            CommissionEntry.id == entry.id,
            CommissionEntry.held_at.is_(None) if held_at else CommissionEntry.held_at.is_not(None),
        )
        .values(held_at=held_at)
        .execution_options(**_NO_SYNC)
    )
    if result.rowcount == 1 and entry.status in rules.EARNED and entry.status != EntryStatus.PAID:
        delta = -entry.amount if held_at else entry.amount
        session.execute(
            update(Seller)
            .where(Seller.id == entry.seller_id)
            .values(owed=Seller.owed + delta)
            .execution_options(**_NO_SYNC)
        )
    session.flush()
    session.refresh(entry)


def approve_due(session: Session, now: datetime, limit: int = 1000) -> int:
    """Approve every pending commission whose order is paid, completed and past its return window."""
    due = session.scalars(
        select(CommissionEntry.order_id)
        .where(
            CommissionEntry.status == EntryStatus.PENDING,
            CommissionEntry.order_paid_at.is_not(None),
            CommissionEntry.approve_after <= now,
            CommissionEntry.held_at.is_(None),
        )
        .order_by(CommissionEntry.approve_after, CommissionEntry.id)
        .limit(limit)
    ).all()
    approved = 0
    for order_id in due:
        entry = _locked_entry(session, order_id)
        if entry is not None and _approve_if_due(session, entry, now):
            approved += 1
    return approved


def _approve_if_due(session: Session, entry: CommissionEntry, now: datetime) -> bool:
    """Approve `entry` (already locked) when rules.approval_due says so."""
    if entry.held_at is not None:  # a dispute is open: wait for it to close
        return False
    if entry.status != EntryStatus.PENDING or not rules.approval_due(entry.order_paid_at, entry.approve_after, now):
        return False
    return _move(session, entry, LedgerEvent.APPROVE, {"approved_at": now})


def _locked_entry(session: Session, order_id: int) -> CommissionEntry | None:
    """The order's entry, locked with its seller row (seller first, then entry: one lock order)."""
    seller_id = session.scalar(select(CommissionEntry.seller_id).where(CommissionEntry.order_id == order_id))
    if seller_id is None:
        return None
    _lock_seller(session, seller_id)
    return session.scalars(
        select(CommissionEntry)
        .where(CommissionEntry.order_id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _lock_seller(session: Session, seller_id: int) -> None:
    """Lock the seller row (FOR NO KEY UPDATE: order inserts that only reference it go on)."""
    session.execute(select(Seller.id).where(Seller.id == seller_id).with_for_update(key_share=True))


def _move(session: Session, entry: CommissionEntry, event: LedgerEvent, values: dict) -> bool:
    """Apply `event` to the locked `entry` if the ledger table allows it; keep Seller.owed in step.

    The UPDATE is guarded by the status read under the lock, so even without the lock (or with
    a bug elsewhere) two steps cannot both move the same entry from the same status.
    """
    new_status = rules.next_entry_status(entry.status, event)
    if new_status is None:
        return False
    # Held approved commission is already out of `owed` (see _set_hold): it moves nothing.
    counted = entry.held_at is None or entry.status == EntryStatus.PAID
    old_earned = entry.amount if entry.status in rules.EARNED and counted else 0
    new_amount = values.get("amount", entry.amount)
    result = session.execute(
        update(CommissionEntry)
        .where(CommissionEntry.id == entry.id, CommissionEntry.status == entry.status)
        .values(status=new_status.value, **values)
        .execution_options(**_NO_SYNC)
    )
    if result.rowcount != 1:
        return False
    new_counted = entry.held_at is None or new_status == EntryStatus.PAID
    delta = (new_amount if new_status in rules.EARNED and new_counted else 0) - old_earned
    if delta:
        session.execute(
            update(Seller)
            .where(Seller.id == entry.seller_id)
            .values(owed=Seller.owed + delta)
            .execution_options(**_NO_SYNC)
        )
    session.flush()
    session.refresh(entry)
    return True


# --- payouts -----------------------------------------------------------------------------------


def record_payout(
    session: Session, seller_id: int, amount: int, user_id: int | None, now: datetime, note: str = ""
) -> Payout:
    """Record money paid to a seller; refused (PayoutTooLarge, 409) above the approved, unpaid commission.

    One conditional UPDATE decides: concurrent payouts can never take `owed` below zero. The
    payout then settles approved entries oldest first (they become `paid`) as far as it covers them.
    """
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise NotFound(N_("We could not find that seller."))
    rules.check_payout_amount(amount)
    taken = session.execute(
        update(Seller)
        .where(Seller.id == seller_id, Seller.owed >= amount)
        .values(owed=Seller.owed - amount)
        .execution_options(**_NO_SYNC)
    )
    if taken.rowcount != 1:
        raise rules.PayoutTooLarge(N_("A payout cannot be more than the approved commission not yet paid."))
    currency = session.scalar(
        select(CommissionEntry.currency)
        .where(CommissionEntry.seller_id == seller_id)
        .order_by(CommissionEntry.id.desc())
    )
    payout = Payout(
        seller_id=seller_id, amount=amount, currency=currency or "", note=note[:200], user_id=user_id, created_at=now
    )
    session.add(payout)
    session.flush()
    _settle(session, seller_id, payout, now)
    session.refresh(seller)
    return payout


def _settle(session: Session, seller_id: int, payout: Payout, now: datetime) -> None:
    """Mark approved entries paid, oldest first, while the payouts not yet matched to entries cover them."""
    paid_out = session.scalar(select(func.coalesce(func.sum(Payout.amount), 0)).where(Payout.seller_id == seller_id))
    settled = session.scalar(
        select(func.coalesce(func.sum(CommissionEntry.amount), 0)).where(
            CommissionEntry.seller_id == seller_id, CommissionEntry.status == EntryStatus.PAID
        )
    )
    available = int(paid_out) - int(settled)
    approved = session.execute(
        select(CommissionEntry.id, CommissionEntry.amount)
        .where(
            CommissionEntry.seller_id == seller_id,
            CommissionEntry.status == EntryStatus.APPROVED,
            CommissionEntry.held_at.is_(None),
        )
        .order_by(CommissionEntry.approved_at, CommissionEntry.id)
    ).all()
    for entry_id, entry_amount in approved:
        if entry_amount > available:
            break
        done = session.execute(
            update(CommissionEntry)
            .where(CommissionEntry.id == entry_id, CommissionEntry.status == EntryStatus.APPROVED)
            .values(status=EntryStatus.PAID.value, paid_at=now, payout_id=payout.id)
            .execution_options(**_NO_SYNC)
        )
        if done.rowcount == 1:
            available -= entry_amount
    session.flush()
