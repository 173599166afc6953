"""The job worker gunicorn starts beside its web workers, so `make run` needs no other process.

gunicorn.conf.py calls `start_for(server)` when the master is ready (and on reload) and `stop()`
on exit. The worker is a separate process (`flask --app wsgi jobs work`), not a thread of the
master: the master forks web workers, and a thread holding a lock at fork time would deadlock
them. It runs under supervise.py, which starts it again if it dies and logs why at ERROR (gunicorn
itself would reap it as an "unknown child" at debug level and never replace it). The worker exits
by itself if the supervisor dies without stopping it, and the supervisor if gunicorn's master does
(both poll their parent).

The handle is module state here, not in gunicorn.conf.py: a HUP (`systemctl reload`) re-executes
the config file as a new module, which would forget the handle (on_exit then no longer stopped the
worker), whereas imported modules survive it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..config import ROOT, Config
from .supervise import STOP_SECONDS

SUPERVISOR = Path(__file__).with_name("supervise.py")
_running: EmbeddedWorker | None = None  # the one started for this gunicorn master


def worker_command() -> list[str]:
    """The command line of the embedded worker."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", "--exit-with-parent"]


def supervised_command() -> list[str]:
    """The supervisor running the worker; `-P` keeps storefront/jobs/ (its own folder) off sys.path."""
    return [sys.executable, "-P", str(SUPERVISOR), "--parent", str(os.getpid()), "--", *worker_command()]


class EmbeddedWorker:
    """The supervisor process, and through it one `flask jobs work` child."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the supervised worker in the repository root with gunicorn's own environment."""
        self.proc = subprocess.Popen(supervised_command(), cwd=ROOT)  # noqa: S603 - our own fixed command

    def alive(self) -> bool:
        """Whether the supervisor still runs (gunicorn may have reaped it: poll() copes with that)."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Ask the worker to finish its job and stop; kill the supervisor if it does not in time."""
        if not self.alive():
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_SECONDS + 5)  # the supervisor itself gives the worker STOP_SECONDS
        except subprocess.TimeoutExpired:
            self.proc.kill()  # the worker then exits by itself (--exit-with-parent)
            self.proc.wait()


def wanted(server) -> bool:
    """JOBS_EMBEDDED_WORKER of the preloaded app (or of the environment when gunicorn does not preload)."""
    if server.cfg.preload_app:
        return bool(server.app.wsgi().config.get("JOBS_EMBEDDED_WORKER"))
    return Config.JOBS_EMBEDDED_WORKER


def start_for(server) -> EmbeddedWorker | None:
    """Start the embedded worker for this gunicorn master unless one runs or JOBS_EMBEDDED_WORKER=0."""
    global _running
    if _running is not None and _running.alive():
        return _running  # a reload: the worker started at boot still runs, so no second one
    if not wanted(server):
        return None
    _running = EmbeddedWorker()
    _running.start()
    server.log.info(
        "job worker started beside gunicorn (supervisor pid %s); JOBS_EMBEDDED_WORKER=0 turns it off",
        _running.proc.pid,
    )
    return _running


def stop() -> None:
    """Stop the embedded worker, if this master started one (it finishes the job in hand first)."""
    global _running
    if _running is not None:
        _running.stop()
        _running = None
