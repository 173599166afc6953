"""The stock ledger: every change of a variant's stock, with who, when, why and how much."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Variant
from ..clock import utcnow
from ..db import Base


class StockMovement(Base):
    """One line of the stock ledger (append-only)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int]
    on_hand_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(20))  # see inventory.rules.REASONS
    note: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    variant: Mapped[Variant] = relationship()
    user = relationship("User")
    order = relationship("Order")
