"""`make run`'s gunicorn starts a job worker beside its web workers, restarts it if it dies, and stops it on exit.

A real gunicorn (gunicorn.conf.py's when_ready/on_reload/on_exit hooks) on a SQLite file: the
embedded worker runs the periodic duties as soon as it starts, with nothing else set up. It runs
under a supervisor (storefront/jobs/supervise.py, tested on its own in test_supervise.py).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from storefront.jobs.models import Job
from tests.helpers import _make_app
from tests.live_server import LiveServer


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("needs Linux /proc to find gunicorn's child processes")
    return [int(child) for child in children.read_text().split()]


def _cmdline(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:  # it ended meanwhile
        return []


def _job_worker_children(pid: int) -> list[int]:
    """The job worker supervisors among gunicorn's children."""
    return [child for child in _children(pid) if any(arg.endswith(b"supervise.py") for arg in _cmdline(child))]


def _workers_of(supervisor: int) -> list[int]:
    """The `flask ... jobs work` processes the supervisor runs."""
    return [child for child in _children(supervisor) if b"jobs" in _cmdline(child) and b"work" in _cmdline(child)]


def _wait_for(condition, seconds: float = 30):
    """condition()'s first truthy value within `seconds`, else its last value."""
    deadline = time.monotonic() + seconds
    while not (found := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True  # ended and reaped: no zombie either
    return False


def _done(url: str, name: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(Job.id).where(Job.name == name, Job.status == "done").limit(1)) is not None
    finally:
        engine.dispose()


def test_gunicorn_runs_an_embedded_job_worker_restarts_it_and_stops_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = _make_app(url, tmp_path)
    next(shop)  # the schema
    settings = {"JOBS_EMBEDDED_WORKER": "1", "JOBS_POLL_SECONDS": "0.2"}
    server = LiveServer(url, tmp_path / "media", workers=1, threads=2, **settings)
    server.start()
    try:
        (supervisor,) = _job_worker_children(server.proc.pid)
        (first,) = _wait_for(lambda: _workers_of(supervisor))
        assert _wait_for(lambda: _done(url, "payments.expire_holds")), "the embedded worker ran no job within 30 s"
        os.kill(first, signal.SIGKILL)  # the OOM killer
        (second,) = _wait_for(lambda: [pid for pid in _workers_of(supervisor) if pid != first])
        web = set(_children(server.proc.pid)) - {supervisor}
        server.proc.send_signal(signal.SIGHUP)  # systemctl reload: gunicorn re-executes gunicorn.conf.py
        # New web workers are forked after on_reload ran: a second supervisor would exist by then.
        assert _wait_for(lambda: set(_children(server.proc.pid)) - {supervisor} - web), "no reload"
        assert _job_worker_children(server.proc.pid) == [supervisor]
        assert _workers_of(supervisor) == [second]
    finally:
        server.stop()
    assert _gone(supervisor), "on_exit did not stop the supervisor (after a reload)"
    assert _gone(first) and _gone(second)
    next(shop, None)


def test_the_live_servers_of_other_tests_have_no_job_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = _make_app(url, tmp_path)
    next(shop)
    server = LiveServer(url, tmp_path / "media", workers=1, threads=2)
    server.start()
    try:
        assert _job_worker_children(server.proc.pid) == []  # they run jobs themselves, at their instant
    finally:
        server.stop()
    next(shop, None)
