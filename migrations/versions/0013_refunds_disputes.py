"""refunds made in Stripe's dashboard, refund statuses, disputes

Revision ID: 0013_refunds_disputes
Revises: 0012_stripe_edges
Create Date: 2026-12-06 07:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0013_refunds_disputes"
down_revision = "0012_stripe_edges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
