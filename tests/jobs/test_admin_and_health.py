"""The owner sees the queue: /admin/jobs (failed jobs, Retry), the dashboard's figures, /healthz."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront import jobs
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs.models import Job, PeriodicRun
from tests.builders import ShopClient, make_user
from tests.helpers import csrf_from

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


@pytest.fixture
def failed_job(app, registry) -> int:
    """A job that failed for good, with its error recorded; its id."""

    @jobs.job("test.send_receipt", max_attempts=1)
    def send_receipt(session, payload, now):
        raise ConnectionError("smtp.example.com refused the connection")

    with app.app_context():
        job_id = jobs.enqueue(db.session, "test.send_receipt", {"order": 1})
        db.session.commit()
        jobs.run_due(db.session, utcnow())
        assert db.session.get(Job, job_id).status == "failed"
        # Giving up queued the owner's alert (a job of its own, due as the failure ended): run it too.
        assert db.session.scalar(select(Job.name).where(Job.status == "queued")) == "notify.fan_out"
        jobs.run_due(db.session, utcnow() + timedelta(seconds=5))
    return job_id


def signed_in(app, role: str) -> ShopClient:
    with app.app_context():
        make_user(f"{role}@example.com", role)
    shop = ShopClient(app.test_client())
    assert shop.login(f"{role}@example.com").status_code == 303
    return shop


def test_healthz_shows_the_queue_and_stays_200(app, client, failed_job):
    with app.app_context():
        jobs.enqueue(db.session, "test.send_receipt", {"order": 2}, now=utcnow() - timedelta(minutes=3))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"
    figures = response.json["jobs"]
    assert figures["queued"] == 1 and figures["failed"] == 1 and 180 <= figures["oldest_age_seconds"] < 240
    assert response.headers["Cache-Control"] == "no-store"


def test_the_jobs_page_needs_the_owner(app, failed_job):
    anonymous = ShopClient(app.test_client())
    answer = anonymous.client.get("/admin/jobs")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert anonymous.post(f"/admin/jobs/{failed_job}/retry").status_code == 302
    staff = signed_in(app, "staff")
    assert staff.client.get("/admin/jobs").status_code == 403
    assert staff.post(f"/admin/jobs/{failed_job}/retry").status_code == 403
    with app.app_context():
        assert db.session.get(Job, failed_job).status == "failed"


def test_the_owner_sees_a_failed_job_with_its_error_and_retries_it(app, failed_job):
    owner = signed_in(app, "owner")
    page = owner.client.get("/admin/jobs")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert f'data-failed-job="{failed_job}"' in html and "test.send_receipt" in html
    assert "ConnectionError: smtp.example.com refused the connection" in html
    assert "data-failed>1<" in html
    refused = owner.client.post(f"/admin/jobs/{failed_job}/retry")  # no CSRF token
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Job, failed_job).status == "failed"
    retried = owner.client.post(f"/admin/jobs/{failed_job}/retry", data={"csrf_token": csrf_from(html)})
    assert retried.status_code == 303 and retried.headers["Location"].endswith("/admin/jobs")
    with app.app_context():
        job = db.session.get(Job, failed_job)
        assert (job.status, job.attempts) == ("queued", 0)
    again = owner.client.post(f"/admin/jobs/{failed_job}/retry", data={"csrf_token": csrf_from(html)})
    assert again.status_code == 303  # twice is harmless: nothing to retry any more
    assert "not failed any more" in owner.client.get("/admin/jobs").get_data(as_text=True)


def test_the_jobs_page_lists_the_periodic_duties_in_the_owners_language(app):
    with app.app_context():
        jobs.run_due(db.session, utcnow())
    owner = signed_in(app, "owner")
    html = owner.client.get("/admin/jobs", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'data-periodic-job="payments.expire_holds"' in html
    assert "Liberar reservas vencidas" in html and "Tareas periódicas" in html and "Hecha" in html
    assert "No job has failed" not in html and "Ninguna tarea ha fallado." in html


@pytest.mark.parametrize("role", ["staff", "owner"])
def test_the_dashboard_shows_queue_depth_oldest_age_and_failures(app, failed_job, role):
    shop = signed_in(app, role)
    html = shop.client.get("/admin/").get_data(as_text=True)
    assert "data-jobs-health" in html and "data-jobs-failed>1<" in html and "data-jobs-queued>0<" in html
    assert ("/admin/jobs" in html) is (role == "owner")  # the link only where it opens


def test_a_worker_that_never_ran_or_stopped_shows(app, client):
    """Periodic jobs are enqueued by workers: with none running nothing queues up, the schedule falls behind."""
    owner = signed_in(app, "owner")
    assert client.get("/healthz").json["jobs"]["late_seconds"] is None  # no worker has scheduled anything yet
    page = owner.client.get("/admin/jobs").text
    assert "data-jobs-behind" in page and "The job worker has never run" in page
    with app.app_context():
        jobs.run_due(db.session, utcnow())  # what a worker does: takes the due slots and runs them
    assert client.get("/healthz").json["jobs"]["late_seconds"] == 0
    assert "data-jobs-behind" not in owner.client.get("/admin/jobs").text
    assert "data-jobs-behind" not in owner.client.get("/admin/").text
    with app.app_context():  # then the worker stops: ten minutes later every slot is overdue
        for run in db.session.scalars(select(PeriodicRun)):
            run.next_run_at = min(run.next_run_at, utcnow() - timedelta(minutes=10))
        db.session.commit()
    late = client.get("/healthz").json["jobs"]["late_seconds"]
    assert 600 <= late < 660
    for path in ("/admin/jobs", "/admin/"):
        page = owner.client.get(path).text
        assert "data-jobs-behind" in page and "behind schedule" in page and "10 minutes" in page
