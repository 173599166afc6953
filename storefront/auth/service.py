"""Account use-cases: load, authenticate and create staff accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..domain import N_, Invalid
from ..extensions import db
from .models import User
from .rules import ROLES, check_password_strength, normalise_email

# A real hash to compare against when the email is unknown, so timing does not tell
# an attacker which emails have accounts.
_DUMMY = User(password_hash=generate_password_hash("not-a-real-password"))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the account for a session, if still active."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this email and password, else None."""
    user = session.scalars(select(User).where(User.email == (email or "").strip().lower()[:254])).first()
    if user is None:
        _DUMMY.check_password(password or "")
        return None
    return user if user.active and user.check_password(password or "") else None


def upsert_user(session: Session, email: str, password: str, role: str, name: str = "") -> User:
    """Create an account, or reset the password and role of an existing one."""
    email = normalise_email(email)
    check_password_strength(password)
    if role not in ROLES:
        raise Invalid(N_("Unknown role %(role)s."), role=role)
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        user = User(email=email, name=name or email.split("@")[0], role=role)
        session.add(user)
    user.role = role
    user.active = True
    user.set_password(password)
    session.flush()
    return user
