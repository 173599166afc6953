"""The worker: takes due jobs one at a time, runs their handlers and commits after each.

`flask jobs work` runs the loop (gunicorn starts one beside the web workers unless
JOBS_EMBEDDED_WORKER=0; production runs deploy/storefront-worker.service, as many as wanted).
`run_due(session, now)` runs everything due at `now` and returns: the "burst" the tests and
`flask jobs work --burst` use, through the same `Worker.tick` as the loop.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..db import read_only
from ..extensions import db
from . import rules, service
from .registry import REGISTRY, Registry
from .rules import JobStatus
from .service import ClaimedJob

log = logging.getLogger(__name__)
IDLE_RESCHEDULE = timedelta(minutes=1)  # with no periodic job at all, look again this often


def worker_name() -> str:
    """host:pid:random, stored on the jobs a worker holds; the random part tells threads of one process apart."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def intervals(config: Mapping[str, Any], registry: Registry = REGISTRY) -> dict[str, timedelta]:
    """Every periodic job's interval as configured now."""
    return {name: spec.interval(config) for name, spec in registry.periodic.items()}


@dataclass
class BurstReport:
    """What one burst did."""

    done: int = 0
    failed_attempts: int = 0
    names: list[str] = field(default_factory=list)  # the jobs run, in order


@dataclass
class Worker:
    """One worker's state between ticks: its name and when a periodic slot is next due."""

    config: Mapping[str, Any]
    registry: Registry = REGISTRY
    name: str = field(default_factory=worker_name)
    next_schedule: datetime | None = None

    def tick(self, session: Session, now: datetime, report: BurstReport | None = None) -> bool:
        """Enqueue periodic slots that have come, then run one due job; False when nothing was due."""
        if self.next_schedule is None or now >= self.next_schedule:
            _, earliest = service.schedule_periodic(session, now, intervals(self.config, self.registry))
            session.commit()
            self.next_schedule = earliest or now + IDLE_RESCHEDULE
        with read_only():  # polling must not take SQLite's write lock every second
            due = service.has_due_jobs(session, now)
            session.rollback()
        if not due:
            return False
        claimed = service.claim_next(session, now, self.name, self.registry)
        session.commit()  # the claim is visible (and PostgreSQL's row lock released) before the work starts
        if claimed is None:  # another worker was quicker
            return False
        ok = self.run_one(session, claimed, now)
        if report is not None:
            report.names.append(claimed.name)
            report.done += ok
            report.failed_attempts += not ok
        return True

    def run_one(self, session: Session, claimed: ClaimedJob, now: datetime) -> bool:
        """Run one claimed job: commit its writes with "done", or roll back and record the failure."""
        spec = self.registry.handlers.get(claimed.name)
        started = monotonic()
        try:
            if spec is None:
                raise LookupError(f"no handler is registered for job {claimed.name!r} in this process")
            spec.fn(session, dict(claimed.payload), now)
            service.finish(session, claimed, now)
            session.commit()
            return True
        except Exception as exc:  # noqa: BLE001 - any failure of a handler is recorded, then retried
            session.rollback()
            trace = traceback.format_exc()
            log.warning("job %s #%s failed (attempt %s)", claimed.name, claimed.id, claimed.attempts, exc_info=True)
            error = rules.error_excerpt(f"{type(exc).__name__}: {exc}", trace)
            ended = _ended(now, started)
            if service.record_failure(session, claimed, ended, error) is JobStatus.FAILED:  # backoff from the failure
                service.announce_gave_up(
                    session, claimed.id, claimed.name, dict(claimed.payload), claimed.attempts, error, ended
                )
            session.commit()
            return False


def _ended(now: datetime, started: float) -> datetime:
    """`now` moved on by the handler's run time: a slow failure's backoff counts from its end, not its start."""
    return now + timedelta(seconds=monotonic() - started)


def run_due(
    session: Session, now: datetime, *, config: Mapping[str, Any] | None = None, worker: Worker | None = None
) -> BurstReport:
    """Run every job due at `now` (periodic slots included), committing after each; then return.

    Start it with no transaction open: it commits the session. Jobs whose retry falls after
    `now` are left for a later call, so a burst always ends.
    """
    worker = worker or Worker(config if config is not None else current_app.config)
    report = BurstReport()
    while worker.tick(session, now, report):
        pass
    return report


def work(
    app: Flask,
    *,
    burst: bool = False,
    poll_seconds: float = 1.0,
    stop: threading.Event | None = None,
    exit_with_parent: bool = False,
) -> int:
    """The worker loop until `stop` is set (the job in hand is finished first); the number of jobs run."""
    stop = stop or threading.Event()
    parent = os.getppid()
    worker, ran = Worker(app.config), 0
    log.info("job worker %s started", worker.name)
    while not stop.is_set():
        if exit_with_parent and os.getppid() != parent:  # the supervisor is gone: so is this worker
            break
        try:
            did = worker.tick(db.session, utcnow())
        except Exception:  # noqa: BLE001 - the database went away for a moment: wait and try again
            log.exception("job worker tick failed")
            db.session.rollback()
            did = False
        finally:
            db.session.remove()  # connections back to the pool between ticks
        ran += did
        if not did:
            if burst:
                break
            stop.wait(poll_seconds)
    log.info("job worker %s stopped after %s jobs", worker.name, ran)
    return ran
