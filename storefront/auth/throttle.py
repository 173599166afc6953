"""Login throttling in the database, so it holds across workers and servers, with or without Redis.

Every attempt is counted by one conditional upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING,
on SQLite and PostgreSQL alike) before the password is checked; the row lock makes concurrent
attempts from any process queue and each see the count the others left.

- Per address: LOGIN_RATE_LIMIT (e.g. "5 per minute;30 per hour"), fixed windows.
- Per account: the first ACCOUNT_FREE_ATTEMPTS failures are free, then the account backs off
  exponentially (15 s, 30 s ... 15 min). An attempt past the free ones holds the account while
  it is checked, so only one such attempt runs at a time anywhere.
- A known device (one that signed in to the account before, proven by a signed cookie) counts
  on its own account key, and not on the address: a stranger hammering the owner's email backs
  off the stranger only; the owner's phone still signs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import parse_many
from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import LoginAttempt
from .rules import ACCOUNT_FREE_ATTEMPTS, ACCOUNT_WINDOW, IN_FLIGHT, account_digest, backoff

TABLE = LoginAttempt.__table__


@dataclass(frozen=True)
class Claim:
    """The outcome of counting one attempt: may it go on, and which account key it holds."""

    allowed: bool
    account_key: str
    attempts: int = 0
    retry_after: int = 0  # seconds, when refused


def address_limits(text: str) -> list[tuple[int, int]]:
    """LOGIN_RATE_LIMIT as (attempts, window seconds) pairs."""
    return [(item.amount, item.get_expiry()) for item in parse_many(text)]


def account_key(email: str, device: str | None) -> str:
    """The counter of an account, or of the account on one known device."""
    digest = account_digest(email)
    return f"dev:{digest}:{device}" if device else f"acct:{digest}"


def claim(
    session: Session, *, email: str, address: str, device: str | None, limits: list[tuple[int, int]], now: datetime
) -> Claim:
    """Count one sign-in attempt; refused when the address is over a limit or the account is backing off."""
    key = account_key(email, device)
    if device is None:
        for amount, seconds in limits:
            count, started = _count_in_window(session, f"addr:{address[:60]}:{seconds}", seconds, now)
            if count > amount:
                return Claim(False, key, retry_after=_seconds_until(started + timedelta(seconds=seconds), now))
    attempts = _claim_account(session, key, now)
    if attempts is None:
        locked_until = session.scalar(select(LoginAttempt.locked_until).where(LoginAttempt.key == key))
        return Claim(False, key, retry_after=_seconds_until(locked_until or now, now))
    return Claim(True, key, attempts)


def settle(session: Session, held: Claim, succeeded: bool, now: datetime) -> None:
    """After the password check: a success clears the account's streak, a failure sets its back-off."""
    if succeeded:
        values = {"attempts": 0, "locked_until": None}
    elif held.attempts >= ACCOUNT_FREE_ATTEMPTS:
        values = {"locked_until": now + backoff(held.attempts)}
    else:
        return
    session.execute(update(TABLE).where(TABLE.c.key == held.account_key).values(**values))


def _upsert(session: Session):
    """The dialect's INSERT with ON CONFLICT support."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(TABLE)


def _count_in_window(session: Session, key: str, seconds: int, now: datetime) -> tuple[int, datetime]:
    """Add one to a fixed-window counter (a new window once the old one is over); its count and start."""
    expired = TABLE.c.window_start <= now - timedelta(seconds=seconds)
    statement = _upsert(session).values(key=key, attempts=1, window_start=now, locked_until=None)
    statement = statement.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "attempts": case((expired, 1), else_=TABLE.c.attempts + 1),
            "window_start": case((expired, now), else_=TABLE.c.window_start),
        },
    ).returning(TABLE.c.attempts, TABLE.c.window_start)
    count, started = session.execute(statement).one()
    return count, started


def _claim_account(session: Session, key: str, now: datetime) -> int | None:
    """Count an attempt on an account unless it is backing off; the attempt's number in the streak, or None."""
    stale = TABLE.c.window_start <= now - ACCOUNT_WINDOW
    number = case((stale, 1), else_=TABLE.c.attempts + 1)
    in_flight = now + IN_FLIGHT
    statement = _upsert(session).values(
        key=key, attempts=1, window_start=now, locked_until=in_flight if ACCOUNT_FREE_ATTEMPTS <= 1 else None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "attempts": number,
            "window_start": case((stale, now), else_=TABLE.c.window_start),
            # Past the free attempts, hold the account until settle() sets the real back-off.
            "locked_until": case((number >= ACCOUNT_FREE_ATTEMPTS, in_flight), else_=None),
        },
        where=TABLE.c.locked_until.is_(None) | (TABLE.c.locked_until <= now),
    ).returning(TABLE.c.attempts)
    return session.execute(statement).scalar()


def _seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from now to `moment`, at least 1."""
    return max(1, int((moment - now).total_seconds() + 0.999))
