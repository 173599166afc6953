"""Payments' background duty: every minute, close what nobody completed (replaces the systemd timer).

Releases stock held by unpaid card orders (asking the provider first), settles refunds owed,
rechecks processing payments, cancels cash orders nobody confirmed in time and releases
transfer orders whose hold ran out. `flask expire-holds` runs the same function by hand.
Idempotent: every step re-reads the rows and acts only on what is still due.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..jobs import periodic
from ..orders import service as orders
from ..orders.limits import current_limits
from ..orders.rules import PaymentMethod
from . import flows
from . import transfer_service as transfers
from .provider import provider_for


@dataclass(frozen=True)
class ExpiredHolds:
    """What one run of the sweep did."""

    released: int  # card holds released
    refunded: int  # owed refunds settled
    cancelled: int  # cash orders nobody confirmed in time
    transfers: int  # transfer orders whose hold ran out unpaid


def expire_holds(session: Session, clock: Callable[[], datetime], config: Mapping[str, Any]) -> ExpiredHolds:
    """Run the sweep; each step commits its own short transactions (the provider is asked between them)."""
    released, refunded = flows.sweep(session, provider_for(PaymentMethod.CARD), clock)
    with write_transaction(session):
        hours = current_limits(session, config).release_after_hours
        cancelled = orders.release_unconfirmed_cash_orders(session, clock(), hours)
    with write_transaction(session):
        unpaid = transfers.release_expired_transfers(session, clock())
    return ExpiredHolds(released, refunded, cancelled, unpaid)


def clock_from(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at the job's `now` and runs on: the sweep's provider calls take real time."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


@periodic("payments.expire_holds", every_seconds=60)
def expire_holds_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Every minute: holds expire on time even when no webhook and no shopper come."""
    expire_holds(session, clock_from(now), current_app.config)
