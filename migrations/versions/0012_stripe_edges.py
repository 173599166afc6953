"""stripe edges: what slow payment methods and mismatched sessions need recorded

Revision ID: 0012_stripe_edges
Revises: 0011_hoarding_limits
Create Date: 2026-12-06 07:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0012_stripe_edges"
down_revision = "0011_hoarding_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
