"""Seller invites: the owner makes a one-time, expiring /join/<token> link; using it makes a pending seller.

Only the token's SHA-256 is stored; the link is shown to the owner once. Using an invite is one
conditional UPDATE (still unused, not revoked, not expired) in the same transaction as the new
account, so two taps of the same link make one seller and an expired link makes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..catalog.generation import mark_changed
from ..domain import N_, Conflict, DomainError, NotFound
from . import accounts, rules
from .models import Seller, SellerInvite, SellerSettings

TOKEN_BYTES = 32
DEFAULT_INVITE_DAYS = 7
MAX_NAME = 120


class InviteGone(DomainError):
    """The link was used, revoked or has expired (410)."""

    status_code = 410


def token_hash(token: str) -> str:
    """The stored form of an invite token (hex SHA-256)."""
    return hashlib.sha256((token or "").encode("utf-8", "surrogatepass")).hexdigest()


def invite_days(session: Session) -> int:
    """How many days an invite link works (the owner's setting, else 7)."""
    days = session.scalar(select(SellerSettings.invite_days).order_by(SellerSettings.id).limit(1))
    return days or DEFAULT_INVITE_DAYS


def state_of(invite: SellerInvite, now: datetime) -> str:
    """'used' | 'revoked' | 'expired' | 'pending'."""
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "pending"


def create_invite(
    session: Session, *, name: str, rate_bp: int, created_by: int | None, now: datetime
) -> tuple[SellerInvite, str]:
    """A new invite and its token (the token is returned once and never stored)."""
    rules.check_rate(rate_bp)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invite = SellerInvite(
        token_hash=token_hash(token),
        name=(name or "").strip()[:MAX_NAME],
        commission_bp=rate_bp,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=invite_days(session)),
    )
    session.add(invite)
    session.flush()
    return invite, token


def list_invites(session: Session, limit: int = 200) -> list[SellerInvite]:
    """The newest invites first."""
    return list(session.scalars(select(SellerInvite).order_by(SellerInvite.id.desc()).limit(limit)))


def revoke(session: Session, invite_id: int, now: datetime) -> None:
    """Revoke an unused invite; NotFound when unknown, Conflict when already used."""
    invite = session.get(SellerInvite, invite_id)
    if invite is None:
        raise NotFound(N_("We could not find that invite."))
    if invite.used_at is not None:
        raise Conflict(N_("That invite was already used."))
    if invite.revoked_at is None:
        invite.revoked_at = now
    session.flush()


def find_usable(session: Session, token: str, now: datetime) -> SellerInvite:
    """The invite of a link that still works; NotFound for an unknown link, InviteGone for a spent one."""
    if not token or len(token) > 200:
        raise NotFound(N_("This invite link is not valid."))
    invite = session.scalars(select(SellerInvite).where(SellerInvite.token_hash == token_hash(token))).first()
    if invite is None:
        raise NotFound(N_("This invite link is not valid."))
    state = state_of(invite, now)
    if state == "used":
        raise InviteGone(N_("This invite link was already used. Sign in instead, or ask the shop for a new link."))
    if state == "revoked":
        raise InviteGone(N_("This invite link was withdrawn. Please ask the shop for a new one."))
    if state == "expired":
        raise InviteGone(N_("This invite link has expired. Please ask the shop for a new one."))
    return invite


@dataclass(frozen=True)
class Joining:
    """What the invited person typed (already checked for shape by the form)."""

    email: str
    password: str
    name: str
    phone: str
    payout_method: str
    payout_provider: str
    payout_account_name: str
    payout_account_number: str


def redeem(session: Session, token: str, joining: Joining, now: datetime, photo_key: str | None = None) -> Seller:
    """Use the invite and create the seller (inactive, not approved) in the caller's transaction.

    The claim is one UPDATE guarded on unused, unrevoked and unexpired: exactly one of several
    simultaneous submits gets rowcount 1; the others are refused (InviteGone) and create nothing.
    """
    from . import profile  # the payout rules live with the profile

    invite = find_usable(session, token, now)
    payout = profile.check_payout(
        joining.payout_method, joining.payout_provider, joining.payout_account_name, joining.payout_account_number
    )
    claimed = session.execute(
        update(SellerInvite)
        .where(
            SellerInvite.id == invite.id,
            SellerInvite.used_at.is_(None),
            SellerInvite.revoked_at.is_(None),
            SellerInvite.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteGone(N_("This invite link was already used. Sign in instead, or ask the shop for a new link."))
    seller, _generated = accounts.create_seller(
        session,
        email=joining.email,
        name=joining.name,
        phone=joining.phone,
        password=joining.password,
        code=None,
        rate_bp=invite.commission_bp,
        overrides={},
        now=now,
    )
    seller.active = False
    seller.approved_at = None
    seller.photo_key = photo_key
    seller.payout_method, seller.payout_provider, seller.payout_account_name, seller.payout_account_number = payout
    seller.profile_updated_at = now
    session.flush()
    session.execute(
        update(SellerInvite)
        .where(SellerInvite.id == invite.id)
        .values(seller_id=seller.id)
        .execution_options(synchronize_session=False)
    )
    return seller


def approve(session: Session, seller: Seller, now: datetime) -> bool:
    """Approve a pending seller (once): approved and active. False when they were already approved."""
    done = session.execute(
        update(Seller)
        .where(Seller.id == seller.id, Seller.approved_at.is_(None))
        .values(approved_at=now, active=True)
        .execution_options(synchronize_session=False)
    )
    session.refresh(seller)
    if done.rowcount == 1:
        mark_changed(session)  # a bulk UPDATE: the page cache and sitemap learn of the new page here
    return done.rowcount == 1
