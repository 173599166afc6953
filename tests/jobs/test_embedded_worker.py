"""`make run`'s gunicorn starts a job worker beside its web workers and stops it on exit.

A real gunicorn (gunicorn.conf.py's when_ready/on_exit hooks) on a SQLite file: the embedded
worker runs the periodic duties as soon as it starts, with nothing else set up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from storefront.jobs.models import Job
from tests.helpers import _make_app
from tests.live_server import LiveServer


def _job_worker_children(pid: int) -> list[int]:
    """The `flask ... jobs work` processes among gunicorn's children (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("needs Linux /proc to find gunicorn's child processes")
    found = []
    for child in children.read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"jobs" in cmdline and b"work" in cmdline:
            found.append(int(child))
    return found


def _done(url: str, name: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(Job.id).where(Job.name == name, Job.status == "done").limit(1)) is not None
    finally:
        engine.dispose()


def test_gunicorn_runs_an_embedded_job_worker_and_stops_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = _make_app(url, tmp_path)
    next(shop)  # the schema
    settings = {"JOBS_EMBEDDED_WORKER": "1", "JOBS_POLL_SECONDS": "0.2"}
    server = LiveServer(url, tmp_path / "media", workers=1, threads=2, **settings)
    server.start()
    try:
        (worker_pid,) = _job_worker_children(server.proc.pid)
        deadline = time.monotonic() + 30
        while not _done(url, "payments.expire_holds") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _done(url, "payments.expire_holds"), "the embedded worker ran no job within 30 s"
    finally:
        server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)  # stopped with gunicorn (and reaped: no zombie either)
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
