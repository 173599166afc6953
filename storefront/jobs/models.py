"""The job queue's tables: `jobs` (one row per unit of background work) and `periodic_runs`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base


class Job(Base):
    """One unit of background work, written in the same transaction as the change that causes it.

    (name, key) is unique: enqueueing the same key twice is a no-op, so a cause that may run
    twice (a retried webhook, a periodic slot two workers saw) still gives one job. Keys are
    NULL for jobs that need no such guard (NULLs never collide). Finished rows are purged after
    JOBS_KEEP_DAYS, and a key is remembered as long as its row.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("name", "key", name="uq_jobs_name_key"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
        CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts_range"),
        Index("ix_jobs_status_run_at", "status", "run_at"),  # the claim: due queued jobs, oldest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # the registered handler, e.g. "payments.expire_holds"
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)  # counted when claimed: a job that kills its worker ends
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)  # not before; pushed back after each failure
    locked_until: Mapped[datetime | None] = mapped_column()  # the running worker's lease
    locked_by: Mapped[str | None] = mapped_column(String(80))  # host:pid of that worker
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class PeriodicRun(Base):
    """When a periodic job is next due; a worker takes a slot by moving next_run_at (compare-and-set)."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column()
    last_slot_at: Mapped[datetime | None] = mapped_column()  # the slot last enqueued
    last_job_id: Mapped[int | None] = mapped_column()  # its job (no foreign key: finished jobs are purged)
