"""Online payments of orders, their refunds, and the provider notifications already applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class Payment(Base):
    """One order's online payment (one per order: a double-clicked "Pay" opens one page).

    `amount_refunded` counts refunds in flight too: a refund first books its amount here by a
    conditional UPDATE (so two refunds at once can never give back more than was paid), and
    gives it back only if the provider refuses.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount", name="refund_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    provider: Mapped[str] = mapped_column(String(16))  # orders.rules.PaymentMethod
    status: Mapped[str] = mapped_column(String(16), default="pending")  # rules.PaymentStatus
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_due: Mapped[bool] = mapped_column(default=False)  # paid after the goods sold out
    # The page was paid with another amount or currency than the order's: refunded, shown to the owner.
    amount_mismatch: Mapped[bool] = mapped_column(default=False, server_default=false())
    reopened: Mapped[int] = mapped_column(default=0, server_default="0")  # new pages after a timed-out one
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    session_ref: Mapped[str | None] = mapped_column(String(255), unique=True)  # the payment page
    checkout_url: Mapped[str | None] = mapped_column(Text)
    payment_ref: Mapped[str | None] = mapped_column(String(255))  # the charge, for refunds
    cart_hash: Mapped[str | None] = mapped_column(String(32))  # links the purchase event to the funnel
    expires_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order = relationship("Order", backref=backref("payment", uselist=False))
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def refunded(self) -> int:
        """Money actually given back (refunds the provider accepted)."""
        return sum(r.amount for r in self.refunds if r.status == "succeeded")

    @property
    def refunded_in_full(self) -> bool:
        """All of the payment is refunded or being refunded (nothing left to fulfil the order with)."""
        return self.status == "paid" and self.amount_refunded >= self.amount

    @property
    def refund_pending(self) -> int:
        """Money on its way back: asked for, or accepted but not yet completed by the provider."""
        return sum(r.amount for r in self.refunds if r.status == "pending")

    @property
    def refund_failed_owed(self) -> int:
        """Refunds that failed and are owed to the shopper again (as far as not refunded since)."""
        # Only refunds the provider accepted and later failed: a request it refused never was a refund.
        failed = sum(r.amount for r in self.refunds if r.status == "failed" and r.provider_ref)
        return min(failed, self.amount - self.amount_refunded) if self.status == "paid" else 0

    @property
    def refunded_on(self) -> datetime | None:
        """When the last refund that went through was completed."""
        done = [r.updated_at for r in self.refunds if r.status == "succeeded"]
        return max(done) if done else None


class Refund(Base):
    """Money given back on a payment, in full or in part; one row per refund key."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # rules.RefundStatus
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    user = relationship("User")


class ProviderNotification(Base):
    """A provider event already applied; its id is the key, so a redelivery is recognised."""

    __tablename__ = "payment_notifications"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(80))
    session_ref: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispute(Base):
    """A chargeback the shopper opened with their bank, as Stripe reports it; one row per dispute id."""

    __tablename__ = "disputes"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider_ref: Mapped[str] = mapped_column(String(255), unique=True)  # Stripe's dispute id (dp_...)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(32))  # Stripe's dispute status
    opened_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(index=True)  # None: still open
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship(backref=backref("disputes", order_by="Dispute.id"))


class ManualRefund(Base):
    """Money staff gave back by hand on a cash or transfer order (no Payment row): one row per key."""

    __tablename__ = "manual_refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))  # "cash" | "transfer"
    reference: Mapped[str] = mapped_column(String(80), default="")  # e.g. the mobile-money transaction id
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
