"""Durable background jobs: a queue table in the shop's own database, written in the caller's transaction.

    from storefront import jobs

    @jobs.job("orders.send_receipt", max_attempts=5)
    def send_receipt(session, payload, now): ...          # idempotent: may run again after a crash

    jobs.enqueue(db.session, "orders.send_receipt", {"order_id": order.id}, key=f"order:{order.id}")
    db.session.commit()                                    # the job exists if and only if the order does

    @jobs.periodic("payments.expire_holds", every_seconds=60)
    def expire_holds(session, payload, now): ...

A worker (`flask jobs work`, worker.py) claims due jobs, runs each handler, commits after it,
and on failure rolls back, records the error and retries with backoff (rules.py) until
max_attempts; then the job is failed and shown on /admin/jobs. Tests run due jobs with
`jobs.run_due(db.session, now)`. Part of the floor: this package imports no feature; features
register handlers in their own `jobs.py`, imported by the app factory.
"""

from __future__ import annotations

from flask import Flask

from .registry import REGISTRY, job, periodic
from .service import enqueue, enqueue_many, queue_stats
from .worker import run_due

__all__ = ["REGISTRY", "enqueue", "enqueue_many", "init_app", "job", "periodic", "queue_stats", "run_due"]


def init_app(app: Flask) -> None:
    """Add the `flask jobs` commands and the queue's own housekeeping job."""
    from . import housekeeping  # noqa: F401  (registers jobs.purge_finished)
    from .cli import jobs_cli

    app.cli.add_command(jobs_cli)
    app.extensions["jobs"] = REGISTRY
    app.extensions["jobs.queue_stats"] = queue_stats  # /healthz (storefront.core.views) reads it from here
