"""pay by mobile money or bank transfer: the owner's transfer methods and transfer payments

Revision ID: 0014_transfer_payments
Revises: 0013_refunds_disputes
Create Date: 2026-12-06 07:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0014_transfer_payments"
down_revision = "0013_refunds_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
