"""A seller's own profile: display name, photo, bio, WhatsApp, showing their contact, payout details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..catalog import generation
from ..domain import N_, Invalid
from ..orders.limit_rules import whatsapp_number
from . import rules

MAX_BIO = 300
MAX_NAME = 120
PAYOUT_METHODS = ("mobile", "bank")


@dataclass(frozen=True)
class ProfileInput:
    """The profile form's fields."""

    name: str
    bio: str
    whatsapp: str
    show_contact: bool
    payout_method: str
    payout_provider: str
    payout_account_name: str
    payout_account_number: str
    current_password: str = ""  # asked when payout details already set are changed


def check_name(raw: str) -> str:
    """A display name: 1-120 characters."""
    name = " ".join((raw or "").split())
    if not name:
        raise Invalid(N_("Please give your name."))
    if len(name) > MAX_NAME:
        raise Invalid(N_("A name has at most %(count)s characters."), count=MAX_NAME)
    return name


def check_bio(raw: str) -> str:
    """Plain text, at most 300 characters (line breaks kept, trailing spaces trimmed)."""
    bio = "\n".join(line.rstrip() for line in (raw or "").replace("\r\n", "\n").strip().split("\n"))
    if len(bio) > MAX_BIO:
        raise Invalid(N_("The bio has at most %(count)s characters."), count=MAX_BIO)
    return bio


def check_phone(raw: str, calling_code: str = "") -> str:
    """A WhatsApp number as typed (6-15 digits) or empty.

    Shoppers reach it through wa.me and tel: links, which need the international number: a local
    one ("01712 345678") is kept only when the shop's calling code (SHOP_CALLING_CODE) completes it.
    """
    text = (raw or "").strip()
    if text and not (6 <= len(rules.phone_digits(text)) <= 15 and len(text) <= 24):
        raise Invalid(N_("Please give a phone number with 6 to 15 digits, or leave it empty."))
    if text and whatsapp_number(text, calling_code) is None:
        raise Invalid(N_("Enter the WhatsApp number with its country code, like +44 7700 900123."))
    return text


def check_payout(method: str, provider: str, account_name: str, number: str) -> tuple[str, str, str, str]:
    """(method, provider, account name, account number) cleaned; Invalid when incomplete.

    Mobile money: a provider (bKash, Nagad...) and a number of 6-15 digits. Bank: the bank's
    name, the account holder's name and the account number. No method: nothing kept.
    """
    method = (method or "").strip()
    provider = " ".join((provider or "").split())
    account_name = " ".join((account_name or "").split())
    number = (number or "").strip()
    if method == "":
        return "", "", "", ""
    if method not in PAYOUT_METHODS:
        raise Invalid(N_("Please choose mobile money or a bank account."))
    if len(provider) > 60 or len(account_name) > 120 or len(number) > 40:
        raise Invalid(N_("One of the payout details is too long."))
    if method == "mobile":
        if not provider:
            raise Invalid(N_("Please give the mobile money service, like bKash."))
        if not (6 <= len(rules.phone_digits(number)) <= 15) or not all(c.isdigit() or c in " +-" for c in number):
            raise Invalid(N_("Please give the mobile money number with 6 to 15 digits."))
        return method, provider, account_name, number
    if not provider:
        raise Invalid(N_("Please give the bank's name."))
    if not account_name:
        raise Invalid(N_("Please give the account holder's name."))
    if not number or not any(c.isdigit() for c in number):
        raise Invalid(N_("Please give the bank account number."))
    return method, provider, account_name, number


def payout_changes_need_password(seller, payout: tuple[str, str, str, str]) -> bool:
    """True when payout details the owner pays to already exist and these differ.

    Whoever holds a seller's session (a shared or lost phone) must not be able to send the
    next payout elsewhere with one tap: replacing the details asks for the password.
    """
    current = (seller.payout_method, seller.payout_provider, seller.payout_account_name, seller.payout_account_number)
    return bool(seller.payout_method) and tuple(payout) != current


def update_profile(session: Session, seller, data: ProfileInput, now: datetime, calling_code: str = "") -> None:
    """Save the profile (everything checked first: nothing changes when one field is refused)."""
    name = check_name(data.name)
    bio = check_bio(data.bio)
    whatsapp = check_phone(data.whatsapp, calling_code)
    payout = check_payout(
        data.payout_method, data.payout_provider, data.payout_account_name, data.payout_account_number
    )
    if payout_changes_need_password(seller, payout) and not seller.user.check_password(data.current_password or ""):
        raise Invalid(N_("To change where your money goes, type your current password."))
    seller.user.name = name
    seller.bio = bio
    seller.whatsapp = whatsapp
    seller.show_contact = bool(data.show_contact)
    seller.payout_method, seller.payout_provider, seller.payout_account_name, seller.payout_account_number = payout
    seller.profile_updated_at = now
    generation.mark_changed(session)  # their page /s/<code> is a cached shopper page
    session.flush()


def set_photo(session: Session, seller, key: str | None, now: datetime) -> str | None:
    """Replace (or with None remove) the seller's photo; returns the old key for the caller to delete after commit."""
    old = seller.photo_key
    seller.photo_key = key
    seller.profile_updated_at = now
    generation.mark_changed(session)
    session.flush()
    return old
