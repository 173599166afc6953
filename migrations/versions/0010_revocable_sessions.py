"""revocable sessions: server-side sessions, rotating remember-me tokens, disabled accounts

Revision ID: 0010_revocable_sessions
Revises: 0009_catalog_indexes
Create Date: 2026-12-06 06:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0010_revocable_sessions"
down_revision = "0009_catalog_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
