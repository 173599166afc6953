"""Server-side sign-ins: one row per signed-in browser and per remember-me token, revocable.

The browser holds a random 256-bit token (in the signed Flask session, or the remember-me
cookie); the database holds its SHA-256. A request of a signed-in account costs one indexed
lookup (token digest -> live row joined to an active account). Ending a sign-in is revoking
its row, so a copied cookie stops working at once, on every worker and server.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .models import LoginAttempt, User, UserSession
from .rules import (
    ACCOUNT_WINDOW,
    LAST_SEEN_STEP,
    REMEMBER,
    REMEMBER_LIFETIME,
    ROTATION_GRACE,
    SESSION,
    SESSION_IDLE,
    TOKEN_BYTES,
    session_is_live,
    token_digest,
)


def issue(session: Session, user: User, kind: str, now: datetime) -> tuple[str, UserSession]:
    """A new token of `kind` for the account (returned once, only its digest is stored) and its row."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = UserSession(user_id=user.id, token_hash=token_digest(token), kind=kind, created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    return token, row


def live(session: Session, token: str | None, kind: str, now: datetime) -> tuple[User, UserSession] | None:
    """The active account and unrevoked, unexpired row of a token, else None."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    found = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_digest(token), UserSession.kind == kind)
        .where(UserSession.revoked_at.is_(None), User.active.is_(True))
    ).first()
    if found is None or not session_is_live(kind, found[1].created_at, found[1].last_seen_at, now):
        return None
    return found[0], found[1]


def needs_touch(row: UserSession, now: datetime) -> bool:
    """True when last_seen_at is old enough to be worth a write."""
    return now - row.last_seen_at >= LAST_SEEN_STEP


def rotate_remember(session: Session, token: str, now: datetime) -> tuple[User, str] | None:
    """Spend a remember-me token: revoke it and issue its successor; None if it is not live.

    The revocation is conditional, so of two requests racing with one token only one wins.
    """
    found = live(session, token, REMEMBER, now)
    if found is None:
        return None
    user, row = found
    spent = session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return None
    successor, _row = issue(session, user, REMEMBER, now)
    return user, successor


def spent_just_now(session: Session, token: str | None, now: datetime) -> bool:
    """True when a remember-me token was revoked within ROTATION_GRACE (likely a lost rotation race)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return False
    revoked_at = session.scalar(
        select(UserSession.revoked_at).where(
            UserSession.token_hash == token_digest(token), UserSession.kind == REMEMBER
        )
    )
    return revoked_at is not None and now - revoked_at < ROTATION_GRACE


def revoke_token(session: Session, token: str | None, now: datetime) -> None:
    """End the sign-in a token belongs to (unknown tokens are ignored)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke_all(session: Session, user_id: int, now: datetime, keep: Collection[int] = ()) -> int:
    """End every sign-in and remember-me token of an account except the rows in `keep`; returns how many."""
    statement = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep:
        statement = statement.where(UserSession.id.not_in(list(keep)))
    result = session.execute(statement.values(revoked_at=now).execution_options(synchronize_session=False))
    return result.rowcount


def count_live(session: Session, user_id: int, now: datetime) -> int:
    """How many browsers are signed in to the account now (remember-me tokens not counted)."""
    rows = session.scalars(
        select(UserSession).where(
            UserSession.user_id == user_id, UserSession.kind == SESSION, UserSession.revoked_at.is_(None)
        )
    )
    return sum(1 for row in rows if session_is_live(SESSION, row.created_at, row.last_seen_at, now))


def purge(session: Session, now: datetime) -> int:
    """Delete sign-ins that can no longer be used (revoked, idle or expired) and stale throttle counters."""
    dead = session.execute(
        delete(UserSession)
        .where(
            or_(
                UserSession.revoked_at.is_not(None),
                (UserSession.kind == SESSION) & (UserSession.last_seen_at <= now - SESSION_IDLE),
                (UserSession.kind == REMEMBER) & (UserSession.created_at <= now - REMEMBER_LIFETIME),
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    # Every counter window (an hour, a day) is over by then, and no back-off outlasts BACKOFF_CAP.
    stale = session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.window_start <= now - ACCOUNT_WINDOW)
        .where(LoginAttempt.locked_until.is_(None) | (LoginAttempt.locked_until <= now))
        .execution_options(synchronize_session=False)
    ).rowcount
    return dead + stale
