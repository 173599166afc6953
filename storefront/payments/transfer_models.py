"""The owner's transfer methods (bKash, Pix, bank...) and each transfer order's payment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..clock import utcnow
from ..db import Base


class TransferMethod(Base):
    """One account the owner is paid to. Never deleted (orders refer to it): switched off instead."""

    __tablename__ = "transfer_methods"
    __table_args__ = (CheckConstraint("hold_hours >= 1 AND hold_hours <= 168", name="hold_hours_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    account: Mapped[str] = mapped_column(String(120))  # the number, Pix key or account to pay to
    instructions: Mapped[str] = mapped_column(Text, default="")
    currencies: Mapped[str] = mapped_column(String(60))  # "BDT,USD": the shop currencies it takes
    hold_hours: Mapped[int] = mapped_column(default=24)
    qr_key: Mapped[str | None] = mapped_column(String(64))  # catalog.images key of the QR picture
    qr_width: Mapped[int | None] = mapped_column()  # the rendition width shown
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TransferPayment(Base):
    """A transfer order's payment: the method chosen (as it read then), the shopper's claim, staff's word.

    `transaction_id` is what staff saw arrive: unique across all methods (two methods may pay into
    one account), so one transfer can never mark two orders received, however many people press
    "received" at once.
    """

    __tablename__ = "transfer_payments"
    __table_args__ = (
        UniqueConstraint("transaction_id", name="uq_transfer_payments_transaction_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("transfer_methods.id", ondelete="RESTRICT"), index=True)
    # What the shopper was told to do, kept as it was (the owner may edit the method later).
    method_name: Mapped[str] = mapped_column(String(80))
    account: Mapped[str] = mapped_column(String(120))
    instructions: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    claimed_id: Mapped[str | None] = mapped_column(String(40))  # typed by the shopper: a hint only
    claimed_at: Mapped[datetime | None] = mapped_column()
    transaction_id: Mapped[str | None] = mapped_column(String(40))  # set by staff on "received"
    received_at: Mapped[datetime | None] = mapped_column()
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    method: Mapped[TransferMethod] = relationship()
    order = relationship("Order", backref=backref("transfer", uselist=False))
