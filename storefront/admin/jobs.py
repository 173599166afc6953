"""Admin: background jobs, for the owner: is the queue keeping up, what failed and why, retry it.

Failures are shown, not hidden in a log: each failed job with its error (message and the end of
its traceback) and a Retry button; the periodic jobs with their last run and next slot.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.guards import role_required
from ..clock import utcnow
from ..core.locales import native_digits
from ..extensions import db
from ..jobs import service as jobs
from ..jobs.worker import intervals
from .views import bp

# What each periodic duty is called on the page (an unknown job shows its name as registered).
JOB_LABELS = {
    "payments.expire_holds": _l("Release expired holds, unconfirmed cash orders and owed refunds"),
    "analytics.rollup": _l("Bring the report figures up to date"),
    "analytics.purge_events": _l("Delete behaviour events older than 400 days"),
    "analytics.event_partitions": _l("Create the behaviour events' daily partitions ahead"),
    "auth.purge_sign_ins": _l("Delete ended sign-ins"),
    "sellers.approve_commissions": _l("Approve seller commissions past the return window"),
    "jobs.purge_finished": _l("Forget finished background jobs"),
}
FAILED_SHOWN = 50


def job_label(name: str) -> str:
    """The owner's name for a job."""
    label = JOB_LABELS.get(name)
    return str(label) if label is not None else name


def duration(value: timedelta | int) -> str:
    """A duration in words of the page's language ("5 minutes"), in its digits."""
    span = value if isinstance(value, timedelta) else timedelta(seconds=value)
    return native_digits(format_timedelta(span), get_locale())


@bp.get("/jobs")
@role_required("owner")
def jobs_overview():
    """Queue depth, the oldest due job's wait, failed jobs and the periodic duties."""
    now = utcnow()
    return render_template(
        "admin/jobs.html",
        stats=jobs.queue_stats(db.session, now),
        failed=jobs.failed_jobs(db.session, FAILED_SHOWN),
        periodic=jobs.periodic_states(db.session, intervals(current_app.config)),
        job_label=job_label,
        duration=duration,
    )


@bp.post("/jobs/<int:job_id>/retry")
@role_required("owner")
def job_retry(job_id: int):
    """Queue a failed job again with all its attempts; the next free worker runs it."""
    if jobs.retry(db.session, job_id, utcnow()):
        db.session.commit()
        flash(_("The job is queued again."), "success")
    else:
        db.session.rollback()
        flash(_("That job is not failed any more: nothing to retry."), "info")
    return redirect(url_for("admin.jobs_overview"), code=303)
