"""Segment use-cases: the members of a definition, as a SELECT of customer ids (evaluated live)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..customers.models import Customer


def member_ids(session: Session, definition: dict, now: datetime) -> Select:
    """A SELECT of the ids of the customers matching `definition` at `now` (foundation: every customer)."""
    return select(Customer.id)
