"""Run the shop under gunicorn on a loopback port, for tests that need real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving wsgi:app; can be stopped and started again on the same port."""

    def __init__(self, database_url: str, media_root: Path, workers: int = 2, threads: int = 4, **env) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "shared-between-workers",
            "MEDIA_ROOT": str(media_root),
            "REQUEST_LOG": "0",  # stdout is a pipe read only on failure: a full pipe would stall workers
            "JOBS_EMBEDDED_WORKER": "0",  # tests run due jobs themselves (jobs.run_due); tests/jobs turns it on
            **env,
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start gunicorn and wait until /healthz answers (30 s at most)."""
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        output = self.proc.stdout.read().decode(errors="replace")[-3000:] if self.proc.poll() is not None else ""
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{output}")

    def stop(self) -> None:
        """Stop gunicorn (the shop is then really unreachable, not just emulated offline)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextmanager
def gunicorn(database_url: str, media_root: Path, workers: int = 2, threads: int = 4, **env):
    """Yield the base URL of a running gunicorn; stop it afterwards."""
    server = LiveServer(database_url, media_root, workers, threads, **env)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
