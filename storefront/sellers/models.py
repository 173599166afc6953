"""Seller tables: profiles, category rates, clicks, the commission ledger and payouts.

Money is integer minor units. `CommissionEntry.order_id` is UNIQUE: an order is credited at
most once, whatever races between webhook and success page (see service.credit_order).
`Seller.owed` is approved commission not yet paid out; it moves only through guarded UPDATEs
in service.py and is the one row a payout checks and decrements (so payouts cannot exceed it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..db import Base


class Seller(Base):
    """A reseller, agent or shopping guide: a `seller` account with a referral code and a rate."""

    __tablename__ = "sellers"
    __table_args__ = (CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="commission_bp_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    phone: Mapped[str] = mapped_column(String(24), default="")  # for the self-referral check
    commission_bp: Mapped[int] = mapped_column(default=1000)  # basis points: 1000 = 10 %
    active: Mapped[bool] = mapped_column(default=True)
    owed: Mapped[int] = mapped_column(BigInteger, default=0)  # approved, not yet paid (may go negative)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Onboarding (issue 21): a seller who joined through an invite waits (active False) until the
    # owner approves; sellers the owner created are approved when created.
    approved_at: Mapped[datetime | None] = mapped_column()
    # Their page /s/<code>: what shoppers see of them. photo_key names renditions like a product
    # photo's (catalog.images); whatsapp is shown only when show_contact is on.
    bio: Mapped[str] = mapped_column(String(300), default="", server_default="")
    photo_key: Mapped[str | None] = mapped_column(String(64))
    whatsapp: Mapped[str] = mapped_column(String(24), default="", server_default="")
    show_contact: Mapped[bool] = mapped_column(default=False, server_default=false())
    page_hidden: Mapped[bool] = mapped_column(default=False, server_default=false())  # the owner hid the page
    # Where the owner sends their money (entered by the seller): mobile money or a bank account.
    payout_method: Mapped[str] = mapped_column(String(16), default="", server_default="")  # '' | mobile | bank
    payout_provider: Mapped[str] = mapped_column(String(60), default="", server_default="")  # bKash, a bank's name
    payout_account_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    payout_account_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    profile_updated_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
    rates: Mapped[list[SellerCategoryRate]] = relationship(
        back_populates="seller", cascade="all, delete-orphan", order_by="SellerCategoryRate.category_id"
    )

    @property
    def name(self) -> str:
        """The seller's display name (their account's name)."""
        return self.user.name or self.user.email


class SellerCategoryRate(Base):
    """A seller's commission rate for one category, instead of their default rate."""

    __tablename__ = "seller_category_rates"
    __table_args__ = (
        UniqueConstraint("seller_id", "category_id", name="uq_seller_category_rates_seller_category"),
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_bp_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    rate_bp: Mapped[int]

    seller: Mapped[Seller] = relationship(back_populates="rates")


class SellerClick(Base):
    """A shopper opened a seller's link (never a bot; reloads within 30 minutes count once).

    No IP, no visitor id: the seller needs counts per product and day, nothing about the person.
    """

    __tablename__ = "seller_clicks"
    __table_args__ = (Index("ix_seller_clicks_seller_created", "seller_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payout(Base):
    """Money the owner paid a seller (recorded here; the transfer itself happens outside the shop)."""

    __tablename__ = "seller_payouts"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    seller: Mapped[Seller] = relationship()


class CommissionEntry(Base):
    """A seller's commission on one order; its lifecycle is rules.LEDGER."""

    __tablename__ = "commission_entries"
    __table_args__ = (
        CheckConstraint("amount >= 0 AND amount <= original_amount", name="amount_range"),
        CheckConstraint("refunded >= 0", name="refunded_not_negative"),
        CheckConstraint("status IN ('pending', 'approved', 'paid', 'reversed')", name="status_known"),
        Index("ix_commission_entries_seller_status", "seller_id", "status"),
        Index("ix_commission_entries_status_approve_after", "status", "approve_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    base: Mapped[int] = mapped_column(BigInteger)  # eligible net amount at order time (lines, no shipping)
    original_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # what the seller earns now (refunds reduce it)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)  # cumulative refunded base
    status: Mapped[str] = mapped_column(String(16), default="pending")
    touched_at: Mapped[datetime | None]  # when the shopper opened the winning link
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    order_paid_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    approve_after: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    reversed_at: Mapped[datetime | None]
    # Set while a dispute on the order is open: the commission is neither approved nor payable.
    held_at: Mapped[datetime | None]
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("seller_payouts.id", ondelete="SET NULL"))

    seller: Mapped[Seller] = relationship()


class SellerInvite(Base):
    """A one-time link the owner sends to someone to join as a seller: /join/<token>, until it expires.

    Only the token's SHA-256 is stored (the link is shown to the owner once). Using it is one
    conditional UPDATE ... WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > now, so two
    taps of the same link make one seller.
    """

    __tablename__ = "seller_invites"
    __table_args__ = (CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="commission_bp_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")  # who it is for (the owner's note)
    commission_bp: Mapped[int] = mapped_column(default=1000)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))

    seller: Mapped[Seller | None] = relationship()


class SellerSettings(Base):
    """The owner's seller-programme settings (one row; until saved, the defaults apply)."""

    __tablename__ = "seller_settings"
    __table_args__ = (CheckConstraint("invite_days >= 1 AND invite_days <= 90", name="invite_days_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sellers see their customers' phone and email in full (else masked: +880 17•• •••• 21).
    show_customer_contacts: Mapped[bool] = mapped_column(default=False)
    invite_days: Mapped[int] = mapped_column(default=7)  # how long an invite link works
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
