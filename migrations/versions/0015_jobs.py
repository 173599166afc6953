"""durable background jobs: the jobs queue and the periodic jobs' schedule

Revision ID: 0015_jobs
Revises: 0014_transfer_payments
Create Date: 2026-12-06 09:30:00

The queue lives in the shop's own database so a job is enqueued in the same transaction as its
cause (README "Background jobs"). Replaces the systemd timers: periodic_runs is where workers
agree on who runs each slot.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_jobs"
down_revision = "0014_transfer_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create jobs (unique per name and idempotency key) and periodic_runs."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("locked_by", sa.String(length=80), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_status_known")
        ),
        sa.CheckConstraint("attempts >= 0 AND max_attempts >= 1", name=op.f("ck_jobs_attempts_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("name", "key", name="uq_jobs_name_key"),
    )
    op.create_index("ix_jobs_status_run_at", "jobs", ["status", "run_at"], unique=False)
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=False),
        sa.Column("last_slot_at", sa.DateTime(), nullable=True),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_runs")),
    )


def downgrade() -> None:
    """Drop the job tables (queued jobs are lost: run `flask jobs work --burst` first)."""
    op.drop_table("periodic_runs")
    op.drop_index("ix_jobs_status_run_at", table_name="jobs")
    op.drop_table("jobs")
