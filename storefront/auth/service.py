"""Account use-cases: authenticate, create, change passwords, disable and enable accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..domain import N_, Conflict, Invalid, NotFound
from . import sessions
from .models import User
from .rules import ROLES, check_password_strength, normalise_email

# A real hash to compare against when the email is unknown, so timing does not tell
# an attacker which emails have accounts.
_DUMMY = User(password_hash=generate_password_hash("not-a-real-password"))
# Accounts the owner's screen may disable: never an owner (the shop must keep one way in).
DISABLEABLE_ROLES = ("staff", "seller")
MAX_ID = 2**31 - 1  # an id the database's INTEGER can hold (larger ones cannot exist)
WRONG_CURRENT_PASSWORD = N_("Your current password is not right.")


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this email and password, else None."""
    user = session.scalars(select(User).where(User.email == (email or "").strip().lower()[:254])).first()
    if user is None:
        _DUMMY.check_password(password or "")
        return None
    # The hash is checked for disabled accounts too: skipping it would answer measurably faster,
    # telling a stranger which emails belong to disabled accounts.
    matches = user.check_password(password or "")
    return user if matches and user.active else None


def upsert_user(session: Session, email: str, password: str, role: str, *, now: datetime, name: str = "") -> User:
    """Create an account, or reset the password and role of an existing one (ending all its sign-ins)."""
    email = normalise_email(email)
    check_password_strength(password)
    if role not in ROLES:
        raise Invalid(N_("Unknown role %(role)s."), role=role)
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        user = User(email=email, name=name or email.split("@")[0], role=role, created_at=now)
        session.add(user)
    user.role = role
    user.active = True
    user.set_password(password)
    session.flush()
    sessions.revoke_all(session, user.id, now)
    return user


def reset_password(session: Session, user: User, new_password: str, now: datetime, keep: tuple[int, ...] = ()) -> int:
    """Set a new password and end every other sign-in of the account; returns how many ended."""
    check_password_strength(new_password)
    user.set_password(new_password)
    session.flush()
    return sessions.revoke_all(session, user.id, now, keep=keep)


def change_own_password(
    session: Session, user: User, current: str, new_password: str, now: datetime, keep: tuple[int, ...]
) -> int:
    """The account holder's password change: the current password first, then as reset_password."""
    if not user.check_password(current or ""):
        raise Invalid(WRONG_CURRENT_PASSWORD)
    return reset_password(session, user, new_password, now, keep=keep)


def accounts_for_owner(session: Session) -> list[User]:
    """Every account, owners first, then staff, then sellers, each by email."""
    order = {"owner": 0, "staff": 1, "seller": 2}
    return sorted(session.scalars(select(User)), key=lambda user: (order.get(user.role, 3), user.email))


def set_active(session: Session, user_id: int, active: bool, acting_user_id: int, now: datetime) -> User:
    """Disable (signing it out everywhere) or re-enable a staff or seller account."""
    user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound(N_("We could not find that account."))
    if user.id == acting_user_id or user.role not in DISABLEABLE_ROLES:
        raise Conflict(N_("Only staff and seller accounts can be disabled here."))
    user.active = active
    session.flush()
    if not active:
        sessions.revoke_all(session, user.id, now)
    return user
