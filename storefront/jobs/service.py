"""Job queue use-cases: enqueue, claim, finish, fail, retry, schedule periodic slots, stats, purge.

Each takes a session (and `now`), writes through it and never commits: enqueue joins the
caller's transaction, which is the point of the queue (a rolled-back order enqueues nothing, a
committed one never loses its job). The worker (worker.py) is the boundary that commits.

Claiming is safe with several workers: on PostgreSQL the candidate row is taken with
`SELECT ... FOR UPDATE SKIP LOCKED` (workers never wait for each other), and on every database
the claim itself is a compare-and-set UPDATE that re-checks the row is still due, so two
workers can never both win it (on SQLite, BEGIN IMMEDIATE serialises them anyway).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..core.events import announce
from ..db import insert_ignoring_duplicates, insert_many_ignoring_duplicates
from . import rules
from .events import JOB_FAILED
from .models import Job, PeriodicRun
from .registry import DEFAULT_LEASE, REGISTRY, Registry
from .rules import JobStatus

# Slots are normally taken within a poll of falling due; a long rollup may hold a worker for a
# minute or two. Five minutes behind means no worker is taking them.
LATE_AFTER_SECONDS = 300
CLAIM_TRIES = 5  # candidates looked at per claim (each lost race or dead lease costs one)
LEASE_LOST = "The worker stopped during the job (its lease ran out) and no attempts are left."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds until `locked_until`."""

    id: int
    name: str
    payload: dict[str, Any]
    attempts: int  # including this one
    max_attempts: int
    worker: str


@dataclass(frozen=True)
class QueueStats:
    """What /healthz and the dashboard show: is background work keeping up?"""

    queued: int  # waiting, due or not (retries wait for their backoff)
    oldest_age_seconds: int  # how long the longest-waiting due job has waited: grows when no worker runs
    running: int
    failed: int
    # How far the periodic schedule is behind (the most overdue slot), None when no periodic job
    # was ever scheduled: both mean no worker is running (periodic jobs are enqueued by workers,
    # so a stopped worker leaves nothing queued to grow old, only slots that fall behind).
    late_seconds: int | None = None

    @property
    def behind(self) -> bool:
        """True when the schedule has fallen so far behind (or never started) that no worker seems to run."""
        return self.late_seconds is None or self.late_seconds >= LATE_AFTER_SECONDS


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    run_at: datetime | None = None,
    now: datetime | None = None,
) -> int | None:
    """Add a job in the caller's transaction; its id, or None when (name, key) was already enqueued."""
    now = now or utcnow()
    return insert_ignoring_duplicates(
        session, Job, _job_row(name, payload, key, run_at or now, now), ["name", "key"], Job.id
    )


def enqueue_many(session: Session, jobs: list[tuple[str, dict[str, Any], str]], now: datetime) -> None:
    """Add several keyed jobs (name, payload, key), due now, in one INSERT; each kept once per (name, key) as
    `enqueue` keeps it (an order's news and its staff alert: one statement instead of two, issue 22)."""
    rows = [_job_row(name, payload, key, now, now) for name, payload, key in jobs]
    insert_many_ignoring_duplicates(session, Job, rows, ["name", "key"])


def _job_row(name: str, payload: dict[str, Any], key: str | None, run_at: datetime, now: datetime) -> dict:
    """A new queued job's row; refuses (TypeError) a payload the JSON column could not store, here
    rather than in the worker."""
    json.dumps(payload)
    spec = REGISTRY.handlers.get(name)
    return {
        "name": name,
        "key": key,
        "payload": payload,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": spec.max_attempts if spec else 5,
        "run_at": run_at,
        "created_at": now,
    }


def _due(now: datetime):
    """Jobs a worker may take now: queued and due, or running on a lease that ran out."""
    return or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING.value, Job.locked_until < now),
    )


def has_due_jobs(session: Session, now: datetime) -> bool:
    """True when claim_next would find something (a cheap read for polling)."""
    return session.scalar(select(Job.id).where(_due(now)).limit(1)) is not None


def claim_next(session: Session, now: datetime, worker: str, registry: Registry = REGISTRY) -> ClaimedJob | None:
    """Take the oldest due job for `worker` (attempts + 1, leased); None when nothing is due."""
    for _ in range(CLAIM_TRIES):
        row = session.execute(
            select(Job.id, Job.name, Job.payload, Job.attempts, Job.max_attempts)
            .where(_due(now))
            .order_by(Job.run_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's write lock already serialises claims
        ).first()
        if row is None:
            return None
        if row.attempts >= row.max_attempts:  # a lost lease on the last attempt: give up, visibly
            gave_up = _set_if_due(
                session,
                row.id,
                now,
                status=JobStatus.FAILED.value,
                last_error=LEASE_LOST,
                finished_at=now,
                locked_until=None,
                locked_by=None,
            )
            if gave_up:  # told once: only the worker whose update won announces it
                announce_gave_up(session, row.id, row.name, dict(row.payload), row.attempts, LEASE_LOST, now)
            continue
        spec = registry.handlers.get(row.name)
        lease = spec.lease if spec else DEFAULT_LEASE
        taken = _set_if_due(
            session,
            row.id,
            now,
            status=JobStatus.RUNNING.value,
            attempts=row.attempts + 1,
            locked_until=now + lease,
            locked_by=worker,
        )
        if taken:
            return ClaimedJob(row.id, row.name, row.payload, row.attempts + 1, row.max_attempts, worker)
    return None


def announce_gave_up(
    session: Session, job_id: int, name: str, payload: dict[str, Any], attempts: int, error: str, now: datetime
) -> None:
    """Tell JOB_FAILED's subscribers, in a savepoint: a failing subscriber must not lose the failure's record."""
    try:
        with session.begin_nested():
            announce(
                session, JOB_FAILED, job_id=job_id, name=name, payload=payload, attempts=attempts, error=error, now=now
            )
    except Exception:  # noqa: BLE001 - logged; the job's failure is recorded all the same
        log.exception("a subscriber of job-failed failed for job %s #%s", name, job_id)


def _set_if_due(session: Session, job_id: int, now: datetime, **values) -> bool:
    """The compare-and-set: change the job only if it is still due (no other worker took it)."""
    result = session.execute(
        update(Job).where(Job.id == job_id, _due(now)).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, claimed: ClaimedJob, now: datetime) -> None:
    """Mark the job done, in the same transaction as its handler's writes."""
    session.execute(
        update(Job)
        .where(Job.id == claimed.id, Job.locked_by == claimed.worker)
        .values(status=JobStatus.DONE.value, finished_at=now, locked_until=None, locked_by=None)
        .execution_options(synchronize_session=False)
    )


def record_failure(
    session: Session, claimed: ClaimedJob, now: datetime, error: str, jitter: Callable[[], float] = random.random
) -> JobStatus:
    """After a failed attempt: queued again after a backoff, or failed when no attempts are left."""
    status, run_at = rules.after_failure(claimed.attempts, claimed.max_attempts, now, jitter())
    session.execute(
        update(Job)
        .where(Job.id == claimed.id, Job.locked_by == claimed.worker)  # unless another worker took it over
        .values(
            status=status.value,
            run_at=run_at,
            locked_until=None,
            locked_by=None,
            last_error=error,
            finished_at=now if status == JobStatus.FAILED else None,
        )
        .execution_options(synchronize_session=False)
    )
    return status


def retry(session: Session, job_id: int, now: datetime) -> bool:
    """Queue a failed job again with all its attempts (the owner's "Retry"); False if it is not failed."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.FAILED.value)
        .values(status=JobStatus.QUEUED.value, attempts=0, run_at=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def schedule_periodic(
    session: Session, now: datetime, intervals: Mapping[str, timedelta]
) -> tuple[list[str], datetime | None]:
    """Enqueue each periodic job whose slot has come; (names enqueued, earliest next slot of all)."""
    enqueued: list[str] = []
    for name, every in sorted(intervals.items()):
        if _take_slot(session, name, now, every):
            enqueued.append(name)
    earliest = session.scalar(select(func.min(PeriodicRun.next_run_at)).where(PeriodicRun.name.in_(list(intervals))))
    return enqueued, earliest


def _take_slot(session: Session, name: str, now: datetime, every: timedelta) -> bool:
    """Claim this slot of `name` by compare-and-set on next_run_at, then enqueue its job (True if enqueued)."""
    insert_ignoring_duplicates(session, PeriodicRun, {"name": name, "next_run_at": now}, ["name"])
    seen = session.scalar(select(PeriodicRun.next_run_at).where(PeriodicRun.name == name))
    if not rules.slot_due(seen, now, every):
        return False
    slot = rules.slot_of(now, every)
    moved = session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.name == name, PeriodicRun.next_run_at == seen)
        .values(next_run_at=slot + every, last_slot_at=slot)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # another worker took this slot
        return False
    if _waiting(session, name):  # the last slot's run has not even started: do not pile up
        return False
    job_id = enqueue(session, name, {"slot": slot.isoformat()}, key=f"slot:{slot.isoformat()}", now=now)
    if job_id is not None:
        session.execute(
            update(PeriodicRun)
            .where(PeriodicRun.name == name)
            .values(last_job_id=job_id)
            .execution_options(synchronize_session=False)
        )
    return job_id is not None


def _waiting(session: Session, name: str) -> bool:
    """True when a job of `name` is queued and not started (running ones do not count: a stuck one must not block)."""
    stmt = select(Job.id).where(Job.name == name, Job.status == JobStatus.QUEUED.value).limit(1)
    return session.scalar(stmt) is not None


def queue_stats(session: Session, now: datetime) -> QueueStats:
    """Queued, running and failed counts, and how long the oldest due job has waited."""
    counts = dict(
        session.execute(
            select(Job.status, func.count())
            .where(Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value, JobStatus.FAILED.value]))
            .group_by(Job.status)
        ).all()
    )
    oldest = session.scalar(select(func.min(Job.run_at)).where(Job.status == JobStatus.QUEUED.value, Job.run_at <= now))
    age = max(0, int((now - oldest).total_seconds())) if oldest is not None else 0
    return QueueStats(
        queued=counts.get(JobStatus.QUEUED.value, 0),
        oldest_age_seconds=age,
        running=counts.get(JobStatus.RUNNING.value, 0),
        failed=counts.get(JobStatus.FAILED.value, 0),
        late_seconds=_schedule_lateness(session, now),
    )


def _schedule_lateness(session: Session, now: datetime) -> int | None:
    """Seconds since the most overdue periodic slot was due (0: on time); None before any was scheduled."""
    names = list(REGISTRY.periodic)
    if not names:
        return 0
    row = session.execute(
        select(func.count(), func.min(PeriodicRun.next_run_at)).where(PeriodicRun.name.in_(names))
    ).one()
    if not row[0]:
        return None
    return max(0, int((now - row[1]).total_seconds()))


def failed_jobs(session: Session, limit: int = 50) -> list[Job]:
    """The most recent failed jobs, newest first."""
    stmt = (
        select(Job)
        .where(Job.status == JobStatus.FAILED.value)
        .order_by(Job.finished_at.desc(), Job.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class PeriodicState:
    """One periodic job as the admin screen shows it."""

    name: str
    every: timedelta
    next_run_at: datetime | None
    last_job: Job | None


def periodic_states(session: Session, intervals: Mapping[str, timedelta]) -> list[PeriodicState]:
    """Every registered periodic job with its next slot and its last run (None before the first)."""
    runs = {run.name: run for run in session.scalars(select(PeriodicRun))}
    last_ids = [run.last_job_id for run in runs.values() if run.last_job_id is not None]
    jobs = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(last_ids)))} if last_ids else {}
    states = []
    for name, every in sorted(intervals.items()):
        run = runs.get(name)
        last = jobs.get(run.last_job_id) if run is not None and run.last_job_id is not None else None
        states.append(PeriodicState(name, every, run.next_run_at if run else None, last))
    return states


def purge_finished(session: Session, before: datetime) -> int:
    """Delete done and failed jobs that finished before `before`; the count."""
    result = session.execute(
        delete(Job)
        .where(Job.status.in_([JobStatus.DONE.value, JobStatus.FAILED.value]), Job.finished_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
