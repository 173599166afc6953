"""The queue's promises: same transaction as the cause, once per key, retried with backoff, leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import rules, service
from storefront.jobs.models import Job
from storefront.jobs.rules import JobStatus


@pytest.fixture
def record(registry, ran):
    """A handler `test.record` that remembers each payload it ran with."""

    @jobs.job("test.record")
    def handler(session, payload, now):
        ran.add(payload)

    return handler


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(app, record, ran):
    with app.app_context():
        assert jobs.enqueue(db.session, "test.record", {"order": 1}) is not None
        db.session.rollback()  # the order that caused it did not happen
        now = utcnow()
        assert jobs.run_due(db.session, now).names == []
        assert db.session.scalar(select(func.count(Job.id))) == 0
    assert ran.payloads == []


def test_a_committed_job_runs_once(app, record, ran):
    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.record", {"order": 7})
        db.session.commit()
        now = utcnow()
        assert jobs.run_due(db.session, now).names == ["test.record"]
        assert jobs.run_due(db.session, now + timedelta(hours=1)).names == []
        job = _job(job_id)
        assert (job.status, job.attempts, job.finished_at, job.locked_by) == ("done", 1, now, None)
    assert ran.payloads == [{"order": 7}]


def test_a_job_waits_for_its_run_at(app, record, ran):
    with app.app_context():
        now = utcnow()
        jobs.enqueue(db.session, "test.record", {"n": 1}, run_at=now + timedelta(minutes=5))
        db.session.commit()
        assert jobs.run_due(db.session, now).names == []
        assert jobs.run_due(db.session, now + timedelta(minutes=5)).names == ["test.record"]
    assert ran.payloads == [{"n": 1}]


def test_the_same_key_is_one_job_even_in_another_transaction(app, record, ran):
    with app.app_context():
        first = jobs.enqueue(db.session, "test.record", {"n": 1}, key="order:9")
        assert jobs.enqueue(db.session, "test.record", {"n": 2}, key="order:9") is None  # same transaction
        db.session.commit()
        assert jobs.enqueue(db.session, "test.record", {"n": 3}, key="order:9") is None  # a later one
        db.session.commit()
        other = jobs.enqueue(db.session, "test.record", {"n": 4}, key="order:10")
        db.session.commit()
        assert first is not None and other is not None
        jobs.run_due(db.session, utcnow())
    assert ran.payloads == [{"n": 1}, {"n": 4}]


def test_a_payload_that_is_not_json_is_refused_at_once(app, record):
    with app.app_context(), pytest.raises(TypeError):
        jobs.enqueue(db.session, "test.record", {"when": utcnow()})


def test_a_failing_job_is_retried_with_backoff_then_failed_and_visible(app, registry, ran):
    @jobs.job("test.flaky", max_attempts=3)
    def flaky(session, payload, now):
        jobs.enqueue(session, "test.flaky.side_effect", {})  # a write the failure must roll back
        ran.add(payload)
        raise RuntimeError("the mail server said no")

    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.flaky", {"n": 1})
        db.session.commit()
        now = utcnow()
        assert jobs.run_due(db.session, now).failed_attempts == 1
        job = _job(job_id)
        first_retry = job.run_at
        assert job.status == "queued" and job.attempts == 1
        assert now + timedelta(seconds=7.5) <= first_retry <= now + timedelta(seconds=16)  # (+ the handler's time)
        assert "RuntimeError: the mail server said no" in job.last_error and "Traceback" in job.last_error
        assert jobs.run_due(db.session, first_retry - timedelta(seconds=1)).names == []  # not before its time
        assert jobs.run_due(db.session, first_retry).failed_attempts == 1
        second_retry = _job(job_id).run_at
        assert first_retry + timedelta(seconds=15) <= second_retry <= first_retry + timedelta(seconds=31)
        jobs.run_due(db.session, second_retry)
        job = _job(job_id)
        assert (job.status, job.attempts) == ("failed", 3)
        assert second_retry <= job.finished_at <= second_retry + timedelta(seconds=1)
        # Dead: never run again. What runs is the owner's alert that it gave up (notify.subscribers).
        assert jobs.run_due(db.session, second_retry + timedelta(days=1)).names == ["notify.fan_out"]
        assert jobs.queue_stats(db.session, second_retry).failed == 1
        assert db.session.scalar(select(func.count(Job.id)).where(Job.name == "test.flaky.side_effect")) == 0
    assert len(ran.payloads) == 3


def test_retrying_a_failed_job_gives_it_all_its_attempts_again(app, registry, ran):
    mood = {"broken": True}

    @jobs.job("test.once_broken", max_attempts=1)
    def once_broken(session, payload, now):
        if mood["broken"]:
            raise ValueError("not yet")
        ran.add(payload)

    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.once_broken", {"n": 1})
        db.session.commit()
        now = utcnow()
        jobs.run_due(db.session, now)
        assert _job(job_id).status == "failed"
        mood["broken"] = False
        assert service.retry(db.session, job_id, now) is True
        db.session.commit()
        assert service.retry(db.session, job_id, now) is False  # queued, not failed: nothing to do
        jobs.run_due(db.session, now)
        assert (_job(job_id).status, _job(job_id).attempts) == ("done", 1)
    assert ran.payloads == [{"n": 1}]


def test_a_slow_failure_backs_off_from_its_end_not_its_start(app, registry, monkeypatch):
    """A handler that fails after 40 s must not be retried at once: its backoff counts from the failure."""
    from storefront.jobs import worker

    @jobs.job("test.slow", max_attempts=3)
    def slow(session, payload, now):
        raise TimeoutError("the mail server took 40 s to say no")

    ticks = iter([100.0, 140.0])  # the handler's start and end on the monotonic clock
    monkeypatch.setattr(worker, "monotonic", lambda: next(ticks))
    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.slow", {})
        db.session.commit()
        now = utcnow()
        assert jobs.run_due(db.session, now).failed_attempts == 1
        retry = _job(job_id).run_at
        assert now + timedelta(seconds=40 + 7.5) <= retry <= now + timedelta(seconds=40 + 15)


def test_a_job_nobody_handles_fails_visibly(app, registry):
    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.unknown", {})
        db.session.commit()
        now = utcnow()
        for _attempt in range(5):
            jobs.run_due(db.session, now)
            now = _job(job_id).run_at
        job = _job(job_id)
        assert job.status == "failed" and "no handler is registered" in job.last_error


def test_a_job_whose_worker_died_runs_again_after_its_lease(app, record, ran):
    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.record", {"n": 1})
        db.session.commit()
        now = utcnow()
        claimed = service.claim_next(db.session, now, "host:dead")
        db.session.commit()  # ...and the worker is killed here, mid-job
        assert claimed.id == job_id and _job(job_id).status == "running"
        assert jobs.run_due(db.session, now + timedelta(minutes=4)).names == []  # the lease still holds
        assert jobs.queue_stats(db.session, now).running == 1
        assert jobs.run_due(db.session, now + timedelta(minutes=5, seconds=1)).names == ["test.record"]
        job = _job(job_id)
        assert (job.status, job.attempts) == ("done", 2)
        # The dead worker's late word changes nothing: the job is no longer its own.
        service.record_failure(db.session, claimed, now, "late")
        db.session.commit()
        assert _job(job_id).status == "done"
    assert ran.payloads == [{"n": 1}]


def test_a_lease_lost_on_the_last_attempt_fails_the_job(app, registry):
    @jobs.job("test.killer", max_attempts=1)
    def killer(session, payload, now):  # pragma: no cover - its worker "dies" before it runs
        raise AssertionError

    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.killer", {})
        db.session.commit()
        now = utcnow()
        assert service.claim_next(db.session, now, "host:dead") is not None
        db.session.commit()
        # Not run again; its giving up is announced (the owner's job-failing alert: notify.fan_out).
        assert jobs.run_due(db.session, now + timedelta(minutes=6)).names == ["notify.fan_out"]
        job = _job(job_id)
        assert job.status == "failed" and job.last_error == service.LEASE_LOST


def test_queue_stats_count_and_age(app, record):
    with app.app_context():
        now = utcnow()
        assert jobs.queue_stats(db.session, now) == service.QueueStats(0, 0, 0, 0, late_seconds=0)
        jobs.enqueue(db.session, "test.record", {}, now=now - timedelta(seconds=90))
        jobs.enqueue(db.session, "test.record", {}, now=now - timedelta(seconds=10))
        jobs.enqueue(db.session, "test.record", {}, run_at=now + timedelta(hours=1))  # a retry waiting
        db.session.commit()
        assert jobs.queue_stats(db.session, now) == service.QueueStats(3, 90, 0, 0, late_seconds=0)


def test_finished_jobs_are_purged_after_the_kept_days(app, record):
    with app.app_context():
        now = utcnow()
        jobs.enqueue(db.session, "test.record", {}, key="old", now=now - timedelta(days=31))
        db.session.commit()
        jobs.run_due(db.session, now - timedelta(days=31))
        jobs.enqueue(db.session, "test.record", {}, key="recent")
        db.session.commit()
        jobs.run_due(db.session, now)
        assert service.purge_finished(db.session, now - timedelta(days=30)) == 1
        db.session.commit()
        assert db.session.scalars(select(Job.key)).all() == ["recent"]


def test_backoff_doubles_up_to_an_hour_with_jitter_in_its_second_half():
    assert rules.backoff(1, 0.0) == timedelta(seconds=7.5)
    assert rules.backoff(1, 0.999999) < timedelta(seconds=15)
    assert rules.backoff(3, 0.0) == timedelta(seconds=30)
    assert rules.backoff(50, 0.0) == timedelta(minutes=30)
    assert rules.backoff(50, 0.5) == timedelta(minutes=45)
    assert rules.after_failure(2, 3, utcnow(), 0.0)[0] == JobStatus.QUEUED
    assert rules.after_failure(3, 3, utcnow(), 0.0)[0] == JobStatus.FAILED
    with pytest.raises(ValueError):
        rules.backoff(1, 1.0)


def test_an_error_excerpt_keeps_the_message_and_the_end_of_the_traceback():
    trace = "Traceback (most recent call last):\n" + "  frame\n" * 2000 + "ValueError: boom"
    text = rules.error_excerpt("ValueError: boom", trace)
    assert len(text) <= rules.ERROR_CHARS and text.startswith("ValueError: boom") and text.endswith("boom")


def test_two_handlers_under_one_name_are_refused(registry):
    @jobs.job("test.twice")
    def first(session, payload, now):
        pass

    with pytest.raises(ValueError, match="two handlers"):

        @jobs.job("test.twice")
        def second(session, payload, now):
            pass
