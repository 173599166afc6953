"""Seller accounts: the owner creates, edits and disables sellers; clicks on their links are counted."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..auth.models import User
from ..auth.rules import check_password_strength, normalise_email
from ..auth.service import reset_password
from ..catalog.models import Category
from ..domain import N_, Conflict, Invalid, NotFound
from . import rules
from .models import Seller, SellerCategoryRate, SellerClick

GENERATED_PASSWORD_BYTES = 12
CODE_ATTEMPTS = 20


def generate_password() -> str:
    """A random password to show the owner once (about 16 characters)."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def seller_by_code(session: Session, code: str | None) -> Seller | None:
    """The seller with this referral code (any state), or None for a malformed or unknown code."""
    normal = rules.normalise_code(code)
    if normal is None:
        return None
    return session.scalars(select(Seller).where(Seller.code == normal)).first()


def seller_for_user(session: Session, user_id: int) -> Seller | None:
    """The seller profile of an account, or None."""
    return session.scalars(select(Seller).where(Seller.user_id == user_id)).first()


def get_seller(session: Session, seller_id: int) -> Seller:
    """A seller with their account and rates, or NotFound."""
    seller = session.scalars(
        select(Seller).options(selectinload(Seller.user), selectinload(Seller.rates)).where(Seller.id == seller_id)
    ).first()
    if seller is None:
        raise NotFound(N_("We could not find that seller."))
    return seller


def _unused_code(session: Session) -> str:
    """A generated referral code no seller has yet."""
    for _ in range(CODE_ATTEMPTS):
        code = rules.generate_code()
        if session.scalar(select(Seller.id).where(Seller.code == code)) is None:
            return code
    raise Conflict(N_("Could not find a free referral code. Please type one."))


def create_seller(
    session: Session,
    *,
    email: str,
    name: str,
    phone: str,
    password: str | None,
    code: str | None,
    rate_bp: int,
    overrides: Mapping[int, int],
    now: datetime,
) -> tuple[Seller, str | None]:
    """Create a seller account; returns it and the generated password (None when one was given).

    An email that already belongs to an owner or staff account is refused: a seller account
    must never change what an existing admin account may do.
    """
    email = normalise_email(email)
    generated = None
    if not password:
        password = generated = generate_password()
    check_password_strength(password)
    code = rules.check_code(code) if code else _unused_code(session)
    rules.check_rate(rate_bp)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(N_("An account with the email %(email)s already exists."), email=email)
    if session.scalar(select(Seller.id).where(Seller.code == code)) is not None:
        raise Conflict(N_("Another seller already has the code %(code)s."), code=code)
    user = User(email=email, name=(name or "").strip()[:120] or email.split("@")[0], role="seller", created_at=now)
    user.set_password(password)
    seller = Seller(
        user=user, code=code, phone=_clean_phone(phone), commission_bp=rate_bp, created_at=now, approved_at=now
    )
    _flush_new(session, user, seller)
    set_rates(session, seller, overrides)
    return seller, generated


def _flush_new(session: Session, user: User, seller: Seller) -> None:
    """Insert the account and profile; a same-moment duplicate (email or code) becomes a Conflict."""
    try:
        with session.begin_nested():
            session.add_all([user, seller])
    except IntegrityError as exc:
        raise Conflict(N_("That email or referral code was just taken. Please try another.")) from exc


def _clean_phone(raw: str | None) -> str:
    """A phone as typed, trimmed; Invalid when it is not plausibly a phone number."""
    text = (raw or "").strip()
    if text and not (6 <= len(rules.phone_digits(text)) <= 15 and len(text) <= 24):
        raise Invalid(N_("Please give a phone number with 6 to 15 digits, or leave it empty."))
    return text


def update_seller(
    session: Session,
    seller: Seller,
    *,
    name: str,
    phone: str,
    rate_bp: int,
    overrides: Mapping[int, int],
    active: bool,
    now: datetime,
    new_password: str | None = None,
) -> None:
    """Change a seller's name, phone, rates, state or password (the code never changes: links are out there).

    A new password ends every session and remember-me token of the seller's account.
    """
    rules.check_rate(rate_bp)
    seller.phone = _clean_phone(phone)
    seller.user.name = (name or "").strip()[:120] or seller.user.name
    seller.commission_bp = rate_bp
    # A seller who joined by invite waits for the owner's Approve (invites.approve), not a form's Active box.
    seller.active = active and seller.approved_at is not None
    if new_password:
        reset_password(session, seller.user, new_password, now)
    set_rates(session, seller, overrides)
    session.flush()


def set_rates(session: Session, seller: Seller, overrides: Mapping[int, int]) -> None:
    """Replace the seller's per-category rates (category id -> basis points)."""
    known = set(session.scalars(select(Category.id).where(Category.id.in_(list(overrides)))))
    for category_id, rate in overrides.items():
        if category_id not in known:
            raise Invalid(N_("That category does not exist."))
        rules.check_rate(rate)
    seller.rates.clear()
    session.flush()  # delete the old rows before inserting (the pair is unique)
    seller.rates.extend(SellerCategoryRate(category_id=cid, rate_bp=rate) for cid, rate in sorted(overrides.items()))
    session.flush()


def record_click(session: Session, seller_id: int, product_id: int | None, now: datetime) -> None:
    """Count one shopper opening a seller's link (to a product, or the shop when product_id is None)."""
    session.add(SellerClick(seller_id=seller_id, product_id=product_id, created_at=now))
    session.flush()
