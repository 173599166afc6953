"""Domain events: the package that owns a fact announces it, the others subscribe (blinker signals).

Each event declares its phase, and this module is the one place that rule is kept:

* IN_TRANSACTION: subscribers run at once, inside the announcing transaction, with the session
  in the payload. They keep ledgers consistent with the fact (a commission entry, a customer's
  store, a purchase row): an exception in a subscriber propagates to the announcer, whose
  caller rolls the whole transaction back, fact included.
* AFTER_COMMIT: subscribers run once the session has committed (SQLAlchemy's `after_commit`),
  never for a rolled-back transaction or savepoint. They get no session (it cannot run SQL at
  that point): they are for side effects outside the database. Work that must not be lost is
  a durable job, enqueued in the transaction instead.

Events are declared, with their payload and subscribers, in each owner's `events.py`
(orders, payments, inventory); subscriptions are made in each subscribing package's
`subscribers.py`, connected once by the app factory. Subscribers of one event must not depend
on one another's order: blinker calls them in no particular order.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)
_signals = Namespace()
_PENDING = "storefront.after_commit_events"  # session.info key: events waiting for the commit


class Phase(enum.Enum):
    """When an event's subscribers run, relative to the announcing transaction."""

    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"


@dataclass(frozen=True)
class Event:
    """A named domain event with its phase; subscribe with `connect`, announce with `announce`."""

    name: str
    phase: Phase

    @property
    def signal(self):
        """The blinker signal behind the event (one per name)."""
        return _signals.signal(self.name)

    def connect(self, receiver) -> None:
        """Subscribe `receiver(event, **payload)`; connecting the same function again changes nothing."""
        # Strong references: subscribers are module functions connected once, never collected.
        self.signal.connect(receiver, weak=False)

    def disconnect(self, receiver) -> None:
        """Unsubscribe `receiver` (tests)."""
        self.signal.disconnect(receiver)


def declare(name: str, phase: Phase) -> Event:
    """A new event; its module documents its payload and subscribers."""
    return Event(name, phase)


def announce(session: Session | scoped_session, event: Event, /, **payload: Any) -> None:
    """Announce `event`: now, inside the transaction, or kept until the session commits (per its phase)."""
    if not event.signal.receivers:  # nobody listens: nothing to run or keep
        return
    if event.phase is Phase.IN_TRANSACTION:
        event.signal.send(event, session=session, **payload)
        return
    plain = _plain(session)
    # Kept with the innermost transaction, so rolling back a savepoint drops what it announced.
    transaction = plain.get_nested_transaction() or plain.get_transaction()
    plain.info.setdefault(_PENDING, []).append((transaction, event, payload))


def _plain(session: Session | scoped_session) -> Session:
    """The request's own Session behind a scoped_session (its `info` and transactions)."""
    return session() if isinstance(session, scoped_session) else session


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """True when `transaction` is `ended` or one of its nested transactions."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rollback (of the transaction or a savepoint): what it announced never happened."""
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [item for item in pending if not _within(item[0], previous_transaction)]


@sa_event.listens_for(Session, "after_commit")
def _fire_committed(session: Session) -> None:
    """The transaction committed: run the after-commit subscribers of what it announced, in order.

    SQLAlchemy also calls this when a savepoint is released: that is not the commit yet.
    A failing subscriber is logged: the commit stands, and the request that made it goes on.
    """
    if session.in_nested_transaction():
        return
    for _transaction, event, payload in session.info.pop(_PENDING, None) or ():
        for receiver in event.signal.receivers_for(event):
            try:
                receiver(event, **payload)
            except Exception:
                log.exception("after-commit subscriber %r of %s failed", receiver, event.name)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_unfinished(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (closed): drop what it announced."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
