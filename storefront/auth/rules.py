"""Pure account rules: roles, what each may do, password and email checks."""

from __future__ import annotations

import re

from ..domain import N_, Invalid

ROLES = ("owner", "staff", "seller")
# Owners can do everything; staff run the day to day (orders, stock), not the catalogue or accounts.
# Sellers are outside this ladder (rank 0, like no role): they never reach /admin, only their
# own dashboard at /seller (see is_seller and storefront/sellers/views.py).
ROLE_RANK = {"staff": 1, "owner": 2}
SELLER = "seller"
MIN_PASSWORD_LENGTH = 10
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def has_role(user_role: str, required: str) -> bool:
    """True when `user_role` is at least `required`."""
    return ROLE_RANK.get(user_role, 0) >= ROLE_RANK[required]


def is_seller(user_role: str) -> bool:
    """True for seller accounts (resellers, agents, shopping guides)."""
    return user_role == SELLER


def home_endpoint(user_role: str) -> str:
    """Where an account lands after signing in: sellers on their dashboard, staff in the admin."""
    return "seller.dashboard" if is_seller(user_role) else "admin.dashboard"


def normalise_email(raw: str) -> str:
    """Lower-cased, trimmed email, or Invalid."""
    email = (raw or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise Invalid(N_("Please give a valid email address."))
    return email


def check_password_strength(password: str) -> None:
    """Refuse short passwords."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(N_("The password must have at least %(count)s characters."), count=MIN_PASSWORD_LENGTH)
