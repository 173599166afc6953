"""The brand settings: one row holding the owner's brand as JSON (until saved, config defaults apply)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class BrandSettings(Base):
    """The shop's brand (one row, id 1); `data` holds brand.rules.to_data's fields."""

    __tablename__ = "brand_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
