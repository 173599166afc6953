"""Periodic jobs: one run per slot however many workers look, no pile-up, failures shown like any job."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import rules, service
from storefront.jobs.models import Job, PeriodicRun
from storefront.jobs.worker import Worker

pytestmark = pytest.mark.clock_sensitive  # slots are cut from "now"


@pytest.fixture
def every_minute(registry, ran):
    """A periodic job `test.tick`, every 60 s, that remembers its slots."""

    @jobs.periodic("test.tick", every_seconds=60)
    def tick(session, payload, now):
        ran.add(payload)

    return tick


def _count(name: str) -> int:
    return db.session.scalar(select(func.count(Job.id)).where(Job.name == name))


def test_a_slot_runs_once_however_many_workers_look(app, every_minute, ran):
    with app.app_context():
        now = utcnow()
        first, second = Worker(app.config), Worker(app.config)
        assert jobs.run_due(db.session, now, worker=first).names == ["test.tick"]
        assert jobs.run_due(db.session, now + timedelta(seconds=1), worker=second).names == []
        assert _count("test.tick") == 1
        next_slot = rules.next_slot(now, timedelta(seconds=60))
        assert jobs.run_due(db.session, next_slot - timedelta(microseconds=1), worker=second).names == []
        assert jobs.run_due(db.session, next_slot, worker=second).names == ["test.tick"]
        assert jobs.run_due(db.session, next_slot, worker=first).names == []
    assert ran.payloads == [
        {"slot": rules.slot_of(now, timedelta(seconds=60)).isoformat()},
        {"slot": next_slot.isoformat()},
    ]


def test_workers_racing_for_one_slot_enqueue_it_once(app, every_minute):
    now, workers = utcnow(), 4
    start = threading.Barrier(workers)
    enqueued, errors = [], []

    def look() -> None:
        with app.app_context():
            try:
                start.wait()
                names, _next = service.schedule_periodic(db.session, now, {"test.tick": timedelta(seconds=60)})
                db.session.commit()
                enqueued.extend(names)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=look) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and enqueued == ["test.tick"]
    with app.app_context():
        assert _count("test.tick") == 1


def test_a_slot_is_not_enqueued_while_the_last_one_still_waits(app, every_minute):
    with app.app_context():
        now = utcnow()
        intervals = {"test.tick": timedelta(seconds=60)}
        assert service.schedule_periodic(db.session, now, intervals)[0] == ["test.tick"]
        later = now + timedelta(minutes=5)  # no worker ran meanwhile
        assert service.schedule_periodic(db.session, later, intervals)[0] == []
        db.session.commit()
        assert _count("test.tick") == 1
        run = db.session.get(PeriodicRun, "test.tick")
        assert run.next_run_at == rules.next_slot(later, timedelta(seconds=60))  # the skipped slot is gone


def test_a_failed_periodic_run_shows_and_the_next_slot_runs_again(app, registry, ran):
    mood = {"broken": True}

    @jobs.periodic("test.fragile", every_seconds=60)
    def fragile(session, payload, now):
        if mood["broken"]:
            raise RuntimeError("disk full")
        ran.add(payload)

    with app.app_context():
        now = utcnow()
        assert jobs.run_due(db.session, now).failed_attempts == 1
        assert jobs.queue_stats(db.session, now).failed == 1  # one attempt: the next slot is its retry
        (state,) = service.periodic_states(db.session, {"test.fragile": timedelta(seconds=60)})
        assert state.last_job.status == "failed" and "disk full" in state.last_job.last_error
        mood["broken"] = False
        assert jobs.run_due(db.session, now + timedelta(minutes=1)).failed_attempts == 0
    assert len(ran.payloads) == 1


def test_a_shortened_interval_takes_effect_at_once(app, registry):
    @jobs.periodic("test.rollup", every_setting="TEST_ROLLUP_SECONDS")
    def rollup(session, payload, now):
        pass

    with app.app_context():
        now = utcnow()
        app.config["TEST_ROLLUP_SECONDS"] = 3600
        assert jobs.run_due(db.session, now).names == ["test.rollup"]
        app.config["TEST_ROLLUP_SECONDS"] = 60
        assert jobs.run_due(db.session, now + timedelta(minutes=2)).names == ["test.rollup"]


def test_the_shops_duties_are_periodic_jobs(app):
    with app.app_context():
        names = set(jobs.REGISTRY.periodic)
    assert {
        "payments.expire_holds",
        "analytics.rollup",
        "analytics.purge_events",
        "auth.purge_sign_ins",
        "sellers.approve_commissions",
        "jobs.purge_finished",
    } <= names
    assert jobs.REGISTRY.periodic["payments.expire_holds"].every == timedelta(minutes=1)


def test_the_shops_duties_all_run_on_an_empty_shop(app):
    with app.app_context():
        report = jobs.run_due(db.session, utcnow())
        assert report.failed_attempts == 0 and set(report.names) >= {"payments.expire_holds", "analytics.rollup"}
        assert jobs.queue_stats(db.session, utcnow()).queued == 0
