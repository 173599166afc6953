"""A job whose worker died on its last attempt gives up like any other: JOB_FAILED is announced once.

Without it, a job lost that way never reaches its subscribers: no owner alert for a job that
keeps failing, and a message's send stays "queued" in the send log for ever.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import service
from storefront.jobs.events import JOB_FAILED
from storefront.jobs.models import Job
from storefront.notify.models import Notification
from storefront.notify.service import WORKER_LOST


@pytest.fixture
def heard(app):
    """The JOB_FAILED payloads announced during the test (session left out)."""
    log: list[dict] = []

    def listen(_event, *, session, **payload):
        log.append(payload)

    JOB_FAILED.connect(listen)
    yield log
    JOB_FAILED.disconnect(listen)


def lose_last_lease(job_id: int, now) -> None:
    """A worker claims the job on its last attempt and dies (its lease runs out unanswered)."""
    db.session.execute(update(Job).where(Job.id == job_id).values(max_attempts=Job.attempts + 1))
    db.session.commit()
    assert service.claim_next(db.session, now, "host:dead") is not None
    db.session.commit()


def test_a_lease_lost_on_the_last_attempt_announces_job_failed_once(app, registry, heard):
    @jobs.job("test.killer", max_attempts=1)
    def killer(session, payload, now):  # pragma: no cover - its worker "dies" before it runs
        raise AssertionError

    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.killer", {"n": 7})
        db.session.commit()
        now = utcnow()
        assert service.claim_next(db.session, now, "host:dead") is not None
        db.session.commit()
        assert heard == []
        later = now + timedelta(minutes=6)
        assert jobs.run_due(db.session, later).names == ["notify.fan_out"]  # not run again; the owner's alert
        assert jobs.run_due(db.session, later + timedelta(minutes=10)).names == []  # given up once, told once
        assert db.session.get(Job, job_id).status == "failed"
    assert heard == [
        {
            "job_id": job_id,
            "name": "test.killer",
            "payload": {"n": 7},
            "attempts": 1,
            "error": service.LEASE_LOST,
            "now": later,
        }
    ]


def test_a_send_lost_on_its_last_lease_is_failed_in_the_send_log(app, registry, heard):
    with app.app_context():
        now = utcnow()
        row = Notification(
            event_key="order:1:order-shipped",
            kind="order-shipped",
            channel="push",
            recipient="push:1",
            context={},
            created_at=now,
        )
        db.session.add(row)
        db.session.flush()
        job_id = jobs.enqueue(db.session, "notify.send", {"id": row.id}, key=f"notification:{row.id}", now=now)
        db.session.commit()
        lose_last_lease(job_id, now)
        assert jobs.run_due(db.session, now + timedelta(minutes=20)).names == []  # past the send's 15-minute lease
        db.session.expire_all()
        status, detail = db.session.execute(
            select(Notification.status, Notification.detail).where(Notification.id == row.id)
        ).one()
    assert (status, detail) == ("failed", WORKER_LOST)  # shown translated on /admin/notifications
    assert [(h["name"], h["error"]) for h in heard] == [("notify.send", service.LEASE_LOST)]
