"""stripe edges: what slow payment methods and mismatched sessions need recorded

Revision ID: 0012_stripe_edges
Revises: 0011_hoarding_limits
Create Date: 2026-12-06 07:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_stripe_edges"
down_revision = "0011_hoarding_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Flag payments made with the wrong amount; count the pages reopened after a timeout."""
    # Plain ADD COLUMN, never batch mode's copy-and-drop of `payments` (refunds refer to it).
    op.add_column("payments", sa.Column("amount_mismatch", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("payments", sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop the two columns."""
    op.drop_column("payments", "reopened")
    op.drop_column("payments", "amount_mismatch")
