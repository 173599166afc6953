"""The job worker gunicorn starts beside its web workers, so `make run` needs no other process.

gunicorn.conf.py calls `start_for(server)` when the master is ready and `stop` on exit. The
worker is a separate process (`flask --app wsgi jobs work`), not a thread of the master: the
master forks web workers, and a thread holding a lock at fork time would deadlock them. It
exits by itself if the master dies without stopping it (--exit-with-parent).
"""

from __future__ import annotations

import subprocess
import sys

from ..config import ROOT, Config

STOP_SECONDS = 20  # gunicorn's graceful_timeout: a job in hand gets as long as a request


def worker_command() -> list[str]:
    """The command line of the embedded worker."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", "--exit-with-parent"]


class EmbeddedWorker:
    """One `flask jobs work` child process."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the worker in the repository root with gunicorn's own environment."""
        self.proc = subprocess.Popen(worker_command(), cwd=ROOT)  # noqa: S603 - our own fixed command

    def stop(self) -> None:
        """Ask the worker to finish its job and stop; kill it if it does not in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wanted(server) -> bool:
    """JOBS_EMBEDDED_WORKER of the preloaded app (or of the environment when gunicorn does not preload)."""
    if server.cfg.preload_app:
        return bool(server.app.wsgi().config.get("JOBS_EMBEDDED_WORKER"))
    return Config.JOBS_EMBEDDED_WORKER


def start_for(server) -> EmbeddedWorker | None:
    """Start the embedded worker for this gunicorn master, unless JOBS_EMBEDDED_WORKER=0."""
    if not wanted(server):
        return None
    worker = EmbeddedWorker()
    worker.start()
    server.log.info("job worker started beside gunicorn (pid %s); JOBS_EMBEDDED_WORKER=0 turns it off", worker.proc.pid)
    return worker
