"""hoarding limits: tunable cash-order limits and automatic release of unconfirmed cash orders

Revision ID: 0011_hoarding_limits
Revises: 0010_revocable_sessions
Create Date: 2026-12-06 06:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0011_hoarding_limits"
down_revision = "0010_revocable_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
