"""`flask jobs work [--burst]` runs a worker; `flask jobs stats` prints the queue's figures."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from ..clock import utcnow
from ..extensions import db
from . import service, worker

jobs_cli = AppGroup("jobs", help="Background jobs: run a worker, see the queue.")


@jobs_cli.command("work")
@click.option("--burst", is_flag=True, help="Run the jobs due now, then exit (instead of waiting for more).")
@click.option("--poll-seconds", type=click.FloatRange(0.05, 60), default=None, help="Idle wait between looks.")
@click.option("--exit-with-parent", is_flag=True, hidden=True, help="Stop when the parent process ends (gunicorn).")
def work_command(burst: bool, poll_seconds: float | None, exit_with_parent: bool) -> None:
    """Run background jobs until stopped (SIGTERM or Ctrl-C finish the job in hand first)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    app = current_app._get_current_object()
    poll = poll_seconds if poll_seconds is not None else app.config["JOBS_POLL_SECONDS"]
    if not burst:
        click.echo(f"Job worker {worker.worker_name()} running; Ctrl-C or SIGTERM stops it after the job in hand.")
    ran = worker.work(app, burst=burst, poll_seconds=poll, stop=stop, exit_with_parent=exit_with_parent)
    if burst:
        click.echo(f"Ran {ran} jobs.")


@jobs_cli.command("stats")
def stats_command() -> None:
    """Print how many jobs are queued, running and failed, and the oldest due job's wait."""
    stats = service.queue_stats(db.session, utcnow())
    click.echo(
        f"queued {stats.queued} (oldest waiting {stats.oldest_age_seconds} s), "
        f"running {stats.running}, failed {stats.failed}"
    )
