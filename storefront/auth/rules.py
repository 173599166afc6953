"""Pure account rules: roles, what each may do, password and email checks."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from ..domain import N_, Invalid

ROLES = ("owner", "staff", "seller")
# Owners can do everything; staff run the day to day (orders, stock), not the catalogue or accounts.
# Sellers are outside this ladder (rank 0, like no role): they never reach /admin, only their
# own dashboard at /seller (see is_seller and storefront/sellers/views.py).
ROLE_RANK = {"staff": 1, "owner": 2}
SELLER = "seller"
MIN_PASSWORD_LENGTH = 10
# Sessions and remember-me tokens (storefront/auth/sessions.py): a signed-in browser unused for
# SESSION_IDLE is signed out; a remember-me token lives REMEMBER_LIFETIME from its last rotation.
SESSION_IDLE = timedelta(days=14)
REMEMBER_LIFETIME = timedelta(days=30)
# A remember-me cookie spent this recently is not deleted (still never honoured): a parallel request
# of the same browser (tabs restored at once) lost the rotation race, and the winner's response
# carries the successor; deleting would race with it and could erase the new cookie.
ROTATION_GRACE = timedelta(seconds=60)
LAST_SEEN_STEP = timedelta(minutes=10)  # last_seen_at is written at most this often (a write per request is waste)
TOKEN_BYTES = 32  # 256 bits
SESSION, REMEMBER = "session", "remember"
# Login back-off per account (storefront/auth/throttle.py): the first ACCOUNT_FREE_ATTEMPTS failures
# cost nothing, each further one doubles the wait from BACKOFF_BASE up to BACKOFF_CAP. No hard lock.
ACCOUNT_FREE_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(minutes=15)
ACCOUNT_WINDOW = timedelta(days=1)  # a failure streak older than this starts again from zero
IN_FLIGHT = timedelta(seconds=30)  # an attempt past the free ones holds the account this long while checked
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


def token_digest(token: str) -> str:
    """What the database stores for a session or remember-me token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def account_digest(email: str) -> str:
    """A short, stable digest of a typed email (throttle keys never hold the address itself)."""
    return hashlib.sha256((email or "").strip().lower()[:254].encode("utf-8", "surrogatepass")).hexdigest()[:32]


def session_is_live(kind: str, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """True while a session is in use (idle less than SESSION_IDLE) or a remember token is young enough."""
    if kind == REMEMBER:
        return now - created_at < REMEMBER_LIFETIME
    return now - last_seen_at < SESSION_IDLE


def backoff(failures: int) -> timedelta:
    """How long the account waits after its `failures`-th failure in a row (zero for the free ones)."""
    extra = failures - ACCOUNT_FREE_ATTEMPTS
    if extra < 0:
        return timedelta(0)
    return min(BACKOFF_BASE * (2 ** min(extra, 20)), BACKOFF_CAP)
