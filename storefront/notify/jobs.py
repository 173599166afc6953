"""The notification jobs: fan an event out, send one message, answer back-in-stock watches,
remind unpaid card orders, and forget old message bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..jobs import job, periodic
from . import service


@job(service.FAN_OUT, max_attempts=5)
def fan_out(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """One log row and one send job per recipient of an event (a rerun adds none)."""
    service.fan_out(session, payload, now)


# The lease must outlast the slowest send, or a second worker re-claims a send still in flight
# and the message goes twice (the row is still "queued" until the first one writes its outcome).
# Worst cases with both timeouts at the most check_config allows (60 s each, per step):
#   push: requests' timeout is per connect and per read: connect 60 + answer 60 = 120 s;
#   email: connect, EHLO, STARTTLS, EHLO, AUTH, MAIL FROM, RCPT TO, DATA, the message, QUIT:
#   10 steps x 60 s = 600 s;
# plus rendering and the two short database transactions: 900 s leaves 300 s of margin over the
# slowest (email). A row-level "sending" state is therefore not needed to stop a double send
# (only a server trickling its answer a few bytes per minute could outlast it: the per-step
# timeouts are the bound assumed here). A worker that dies mid-send is retried after the lease.
SEND_LEASE_SECONDS = 900


@job(service.SEND, max_attempts=6, lease_seconds=SEND_LEASE_SECONDS)
def send(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Send one message; a temporary failure raises, and the queue tries again after its backoff."""
    service.send(session, int(payload["id"]), now)


@job(service.BACK_IN_STOCK, max_attempts=5)
def back_in_stock(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Answer the open watches of a variant that came back (each once)."""
    service.answer_watches(session, int(payload["variant_id"]), now, payload.get("base", ""))


@periodic("notify.finish_paying", every_seconds=60)
def finish_paying(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Remind shoppers whose card payment page is about to lose their items."""
    service.remind_unpaid(session, now)


@periodic("notify.forget_old", every_seconds=3600)
def forget_old(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Blank old message bodies, drop old log rows and stale watches."""
    service.forget_old(session, now)
