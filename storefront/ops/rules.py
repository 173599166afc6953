"""Pure reconciliation rules: rows in, problems out (one sentence each), no session, no Flask.

Each check takes the few facts the service reads and returns the list of problems it found;
an empty list means that part of the shop's books agrees with itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

PAY_EVENT = "pay"  # orders.rules.OrderEvent.PAY: the card payment arrived
PAID = "paid"  # payments.rules.PaymentStatus.PAID
UNDONE_ORDER_STATUSES = frozenset({"unpaid", "cancelled"})  # nothing was sold: nothing is earned
CREDITED = frozenset({"approved", "paid"})  # commission statuses that put money on a seller's balance
MAX_LISTED = 50  # problems listed per check; the rest are counted


@dataclass(frozen=True)
class VariantStock:
    """A variant's stock and its ledger: the sum of its movements and the last one's on_hand_after."""

    variant_id: int
    sku: str
    on_hand: int
    ledger_sum: int
    last_on_hand_after: int | None  # None: no movement yet


@dataclass(frozen=True)
class OrderPayment:
    """A card order's payment facts: how often it was marked paid, and its payment row (if any)."""

    order_id: int
    reference: str
    order_status: str
    pay_events: int
    payment_status: str | None  # None: no payment row
    amount: int = 0
    amount_refunded: int = 0
    refund_due: bool = False


@dataclass(frozen=True)
class JobRow:
    """What the checks need of one job."""

    id: int
    name: str
    key: str | None
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_until: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class CommissionRow:
    """One commission entry with its order's status."""

    id: int
    order_id: int
    status: str
    order_status: str


@dataclass
class CheckResult:
    """One check: ok when it found no problem."""

    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    def as_dict(self) -> dict:
        """The JSON shape of one check: {"ok": bool, "problems": [str, ...]}."""
        return {"ok": self.ok, "problems": list(self.problems)}


def capped(problems: Iterable[str], limit: int = MAX_LISTED) -> list[str]:
    """At most `limit` problems, then one line saying how many more there were."""
    found = list(problems)
    if len(found) <= limit:
        return found
    return [*found[:limit], f"... and {len(found) - limit} more"]


def stock_problems(variants: Iterable[VariantStock]) -> list[str]:
    """Each variant's on_hand equals the sum of its ledger and the on_hand_after of its last movement."""
    problems = []
    for v in variants:
        if v.on_hand != v.ledger_sum:
            problems.append(
                f"variant {v.variant_id} ({v.sku}): on_hand {v.on_hand} but its ledger sums to {v.ledger_sum}"
            )
        elif v.last_on_hand_after is not None and v.last_on_hand_after != v.on_hand:
            problems.append(
                f"variant {v.variant_id} ({v.sku}): on_hand {v.on_hand} but the last movement "
                f"left {v.last_on_hand_after}"
            )
    return capped(problems)


def _refunded(p: OrderPayment) -> bool:
    return p.refund_due or (p.amount > 0 and p.amount_refunded >= p.amount)


def payment_problems(orders: Iterable[OrderPayment]) -> list[str]:
    """No payment taken without its order being placed; no order marked paid without a payment taken."""
    problems = []
    for o in orders:
        name = f"order {o.reference} (#{o.order_id}, {o.order_status})"
        if o.pay_events and o.payment_status != PAID:
            state = "no payment" if o.payment_status is None else f"its payment is {o.payment_status}"
            problems.append(f"{name} was marked paid but {state}")
        elif o.payment_status == PAID and not o.pay_events and not _refunded(o):
            problems.append(f"{name}: a payment of {o.amount} was taken but the order was never marked paid")
    return capped(problems)


def double_payment_problems(orders: Iterable[OrderPayment]) -> list[str]:
    """No order marked paid more than once."""
    return capped(
        f"order {o.reference} (#{o.order_id}) was marked paid {o.pay_events} times" for o in orders if o.pay_events > 1
    )


def job_problems(jobs: Iterable[JobRow], now: datetime, late_after_seconds: int) -> list[str]:
    """Every job ran once: no duplicate once-only job, none stuck past its lease or overdue, none failed.

    "Ran once" counts effects, not attempts. A job runs in one transaction with its database writes
    (jobs/worker.py commits "done" with them, or rolls both back): an attempt that met a database
    restart or a worker killed mid-run left nothing behind, so a job done on its second attempt
    ran once and is no problem here. A second run would be an effect outside the database repeated
    by the retry: the handlers are keyed against that (fan_out adds no `notifications` row twice,
    notify.send skips a row already marked sent), leaving only a message handed to push or SMTP
    whose commit was then lost, which no table shows. This check flags what the table does show.
    """
    problems, seen = [], {}
    for j in jobs:
        name = f"job #{j.id} {j.name}"
        if j.key is not None:
            if (j.name, j.key) in seen:
                problems.append(f"{name} repeats job #{seen[(j.name, j.key)]} (same key {j.key!r})")
            seen.setdefault((j.name, j.key), j.id)
        if j.attempts > j.max_attempts:
            problems.append(f"{name} ran {j.attempts} times, more than its {j.max_attempts} attempts")
        if j.status == "running" and j.locked_until is not None and j.locked_until < now:
            problems.append(f"{name} is stuck: running past its lease (until {j.locked_until:%Y-%m-%d %H:%M:%S})")
        elif j.status == "queued" and (now - j.run_at).total_seconds() > late_after_seconds:
            problems.append(f"{name} has waited since {j.run_at:%Y-%m-%d %H:%M:%S} and has not run")
        elif j.status == "failed":
            reason = (j.last_error or "no error recorded").strip().splitlines()[0][:200]
            problems.append(f"{name} failed after {j.attempts} attempts: {reason}")
    return capped(problems)


def commission_problems(entries: Iterable[CommissionRow]) -> list[str]:
    """Commission credited once per order, and not for an order that was never completed."""
    problems, seen = [], {}
    for e in entries:
        if e.order_id in seen:
            problems.append(f"order #{e.order_id} has commission entries #{seen[e.order_id]} and #{e.id}")
        seen.setdefault(e.order_id, e.id)
        if e.status in CREDITED and e.order_status in UNDONE_ORDER_STATUSES:
            problems.append(f"commission #{e.id} is {e.status} for order #{e.order_id}, which is {e.order_status}")
    return capped(problems)


def report(checks: dict[str, CheckResult]) -> dict:
    """The reconciliation as JSON: {"ok": bool, "checks": {name: {"ok": bool, "problems": [...]}}}."""
    return {"ok": all(c.ok for c in checks.values()), "checks": {name: c.as_dict() for name, c in checks.items()}}
