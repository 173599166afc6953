"""Several workers at once (threads with their own connections): every job runs exactly once.

On PostgreSQL the workers claim with FOR UPDATE SKIP LOCKED and never wait for each other; on
SQLite BEGIN IMMEDIATE serialises the claims. Either way the compare-and-set claim means no job
is run by two workers and none is left behind.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import select

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import service
from storefront.jobs.models import Job
from storefront.jobs.worker import Worker

JOBS, WORKERS = 60, 3


def test_concurrent_workers_run_each_job_exactly_once(app, registry, ran):
    @jobs.job("test.slow")
    def slow(session, payload, now):
        ran.add(payload)
        time.sleep(0.005)  # long enough for the other workers to look at the same rows meanwhile

    with app.app_context():
        for n in range(JOBS):
            jobs.enqueue(db.session, "test.slow", {"n": n})
        db.session.commit()
    start, errors, by_worker = threading.Barrier(WORKERS), [], Counter()

    def work() -> None:
        with app.app_context():
            worker = Worker(app.config)
            try:
                start.wait()
                while True:
                    did = worker.tick(db.session, utcnow())
                    by_worker[worker.name + threading.current_thread().name] += did
                    if not did and not _any_due():
                        return
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, name=f"w{i}") for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sorted(p["n"] for p in ran.payloads) == list(range(JOBS))  # each once: none twice, none lost
    with app.app_context():
        assert set(db.session.scalars(select(Job.status))) == {"done"}
        assert set(db.session.scalars(select(Job.attempts))) == {1}
    assert sum(by_worker.values()) == JOBS
    assert sum(1 for count in by_worker.values() if count) >= 2, by_worker  # they really shared the work


def _any_due() -> bool:
    due = service.has_due_jobs(db.session, utcnow())
    db.session.rollback()
    return due
