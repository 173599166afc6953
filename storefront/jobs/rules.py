"""Pure rules of the job queue: job states, retry backoff and periodic slots (no session, no Flask)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=1)
ERROR_CHARS = 4000  # what the admin screen shows of a failure: the message and the traceback's end
EPOCH = datetime(2000, 1, 1)  # periodic slots are counted from here, so every worker computes the same ones


class JobStatus(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"  # waiting for its run_at (new, or a retry after a failure)
    RUNNING = "running"  # claimed by a worker until locked_until (a lease: reclaimed after it)
    DONE = "done"
    FAILED = "failed"  # gave up after max_attempts: shown to the owner, who can retry it


def backoff(attempts: int, jitter: float) -> timedelta:
    """How long to wait before attempt `attempts + 1`: doubling from 15 s, capped at an hour.

    `jitter` (0 <= jitter < 1, random in production) spreads the second half of the delay, so
    jobs that failed together (the mail server was down) do not all come back in the same second.
    """
    if not 0 <= jitter < 1:
        raise ValueError("jitter must be in [0, 1)")
    exponent = min(max(attempts, 1) - 1, 20)  # 2**20 x 15 s is far past the cap already
    delay = min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)
    return delay / 2 + (delay / 2) * jitter


def after_failure(attempts: int, max_attempts: int, now: datetime, jitter: float) -> tuple[JobStatus, datetime]:
    """The status and next run_at of a job whose attempt number `attempts` just failed."""
    if attempts >= max_attempts:
        return JobStatus.FAILED, now
    return JobStatus.QUEUED, now + backoff(attempts, jitter)


def error_excerpt(message: str, trace: str) -> str:
    """The failure as stored: its message first, then as much of the traceback's end as fits."""
    head = message.strip()[: ERROR_CHARS // 4] or "error"
    room = ERROR_CHARS - len(head) - 2
    tail = trace.strip()
    if len(tail) > room:
        tail = "..." + tail[-(room - 3) :]
    return f"{head}\n\n{tail}" if tail else head


def slot_of(now: datetime, every: timedelta) -> datetime:
    """The start of the periodic slot that contains `now` (slots are aligned, not relative to a start)."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    return EPOCH + ((now - EPOCH) // every) * every


def next_slot(now: datetime, every: timedelta) -> datetime:
    """The start of the slot after the one that contains `now`."""
    return slot_of(now, every) + every


def slot_due(next_run_at: datetime | None, now: datetime, every: timedelta) -> bool:
    """True when a periodic job's slot has come.

    Also when the recorded next run is further away than one interval: the interval was
    shortened (a setting changed), and the old, longer wait must not be served out.
    """
    if next_run_at is None:
        return True
    return next_run_at <= now or next_run_at > now + every
