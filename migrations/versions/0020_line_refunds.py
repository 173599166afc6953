"""order_lines.refunded_quantity: units given back with their money (returns), per line

Revision ID: 0020_line_refunds
Revises: 0019_notifications
Create Date: 2026-12-06 18:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_line_refunds"
down_revision = "0019_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add order_lines.refunded_quantity (0 for every existing line) with its bounds."""
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("refunded_quantity", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            "refunded_within_quantity", "refunded_quantity >= 0 AND refunded_quantity <= quantity"
        )


def downgrade() -> None:
    """Drop order_lines.refunded_quantity."""
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_constraint("refunded_within_quantity", type_="check")
        batch.drop_column("refunded_quantity")
