"""The job worker stops for minutes, or loses the database (issue 22): jobs wait, the owner sees the
backlog, and when the worker is back each job runs exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import REGISTRY, service
from storefront.jobs.worker import work
from storefront.ops import service as ops
from tests.core.test_faults_db import database_down


@pytest.fixture
def ran(monkeypatch) -> list[dict]:
    """A handler `test.record` for this test only; the payloads it ran with, in order."""
    monkeypatch.setattr(REGISTRY, "handlers", dict(REGISTRY.handlers))
    monkeypatch.setattr(REGISTRY, "periodic", {})
    payloads: list[dict] = []

    @jobs.job("test.record")
    def record(session, payload, now):
        payloads.append(payload)

    return payloads


def test_jobs_wait_for_a_stopped_worker_then_each_runs_once(app, ran):
    with app.app_context():
        now = utcnow()
        for n in range(3):
            jobs.enqueue(db.session, "test.record", {"n": n}, key=f"once-{n}", now=now)
        db.session.commit()
        dead = service.claim_next(db.session, now, "host:killed")  # a worker took one, then was stopped
        db.session.commit()
        later = now + timedelta(minutes=10)
        stats = jobs.queue_stats(db.session, later)
        assert (stats.queued, stats.running) == (2, 1) and stats.oldest_age_seconds >= 600, "the backlog shows"
        waiting = ops.reconcile(db.session, later)["jobs"]
        db.session.rollback()
        assert len(waiting.problems) == 3, "reconcile lists the two waiting and the one stuck past its lease"

        report = jobs.run_due(db.session, later)  # the worker is back
        assert sorted(report.names) == ["test.record"] * 3
        service.record_failure(db.session, dead, now, "late word of the stopped worker")  # changes nothing
        db.session.commit()
        assert jobs.run_due(db.session, later + timedelta(hours=1)).names == []
        assert ops.reconcile(db.session, later)["jobs"].ok
        db.session.rollback()
    assert sorted(p["n"] for p in ran) == [0, 1, 2], "each ran once"


def test_the_worker_loop_outlives_a_database_outage(app, ran):
    """One running loop: its ticks fail while the database is down, and it runs the job once it is back."""
    with app.app_context():
        jobs.enqueue(db.session, "test.record", {"n": 1}, key="after-outage")
        db.session.commit()
    stop, failing = threading.Event(), threading.Event()

    def loop() -> None:
        with app.app_context():
            work(app, poll_seconds=0.01, stop=stop)

    noticed = mock.patch("storefront.jobs.worker.log.exception", side_effect=lambda *a, **k: failing.set())
    with database_down(app), noticed:
        worker = threading.Thread(target=loop, daemon=True)
        worker.start()
        assert failing.wait(60), "the loop met the outage"
        assert ran == [] and worker.is_alive()
    for _ in range(6000):  # the loop comes round every 10 ms: the job runs on one of its next ticks
        if ran:
            break
        stop.wait(0.01)
    stop.set()
    worker.join(60)
    assert ran == [{"n": 1}], "run once, by the same loop, after the database came back"
