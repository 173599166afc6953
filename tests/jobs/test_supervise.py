"""The supervisor between gunicorn and the embedded job worker: restarts it when it dies, stops it when told.

Real processes and real time (marked real_clock): a command that appends a line to a file and
exits 1 stands in for a crashing worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storefront.jobs.embedded import SUPERVISOR, supervised_command

pytestmark = pytest.mark.real_clock


def _supervise(*command: str, first_wait: float = 0.1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-P", str(SUPERVISOR), "--first-wait", str(first_wait), "--", *command],
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _stop(proc: subprocess.Popen) -> str:
    """SIGTERM the supervisor, wait for it; its stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail("the supervisor did not stop within 30 s of SIGTERM")
    return err


def test_a_command_that_exits_is_started_again_and_each_exit_is_logged_at_error(tmp_path):
    runs = tmp_path / "runs"
    crash = f"open({str(runs)!r}, 'a').write('ran\\n'); raise SystemExit(1)"
    proc = _supervise(sys.executable, "-c", crash)
    try:
        assert _wait_until(lambda: len(_lines(runs)) >= 2), "the command was not started again"
    finally:
        err = _stop(proc)
    assert proc.returncode == 0
    assert "[ERROR] job worker exited with status 1" in err


def test_a_killed_command_is_reported_with_its_signal(tmp_path):
    pids = tmp_path / "pids"
    sleeper = f"import os, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(60)"
    proc = _supervise(sys.executable, "-c", sleeper)
    try:
        assert _wait_until(lambda: len(_lines(pids)) == 1)
        os.kill(int(_lines(pids)[0]), signal.SIGKILL)  # the OOM killer
        assert _wait_until(lambda: len(_lines(pids)) == 2), "no new process after the first was killed"
    finally:
        err = _stop(proc)
    assert "[ERROR] job worker exited with signal SIGKILL" in err
    assert all(_gone(int(pid)) for pid in _lines(pids))


def test_sigterm_stops_the_command_and_the_supervisor(tmp_path):
    pids, stopped = tmp_path / "pids", tmp_path / "stopped"
    worker = (
        "import os, signal, sys, time\n"
        f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
        f"signal.signal(signal.SIGTERM, lambda *a: (open({str(stopped)!r}, 'w').write('asked'), sys.exit(0)))\n"
        "time.sleep(60)\n"
    )
    proc = _supervise(sys.executable, "-c", worker)
    assert _wait_until(lambda: len(_lines(pids)) == 1)
    err = _stop(proc)
    assert proc.returncode == 0
    assert _lines(stopped) == ["asked"]  # SIGTERM forwarded: the job in hand gets finished, not killed
    assert _gone(int(_lines(pids)[0]))
    assert _gone(proc.pid)
    assert "[ERROR]" not in err  # a requested stop is no crash
    assert len(_lines(pids)) == 1  # and is not followed by a restart


def test_the_supervisor_stops_when_its_parent_is_gone(tmp_path):
    pids = tmp_path / "pids"
    sleeper = f"import os, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(60)"
    # A middle process (gunicorn's master) starts the supervisor and dies once the command runs.
    middle = (
        "import os, pathlib, subprocess, sys, time\n"
        f"command = [sys.executable, '-P', {str(SUPERVISOR)!r}, '--parent', str(os.getpid()), "
        f"'--', sys.executable, '-c', {sleeper!r}]\n"
        "p = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        f"while not pathlib.Path({str(pids)!r}).exists() and time.sleep(0.05) is None: pass\n"
        "print(p.pid, flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", middle], capture_output=True, text=True, timeout=30, check=True)
    supervisor = int(out.stdout.split()[0])
    assert _wait_until(lambda: len(_lines(pids)) == 1)
    assert _wait_until(lambda: _gone(supervisor) and _gone(int(_lines(pids)[0])), seconds=15)


def test_the_supervisor_imports_nothing_of_the_app():
    probe = (
        "import runpy, sys\n"
        f"runpy.run_path({str(SUPERVISOR)!r}, run_name='probe')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('storefront', 'flask', 'sqlalchemy')))\n"
    )
    out = subprocess.run([sys.executable, "-P", "-c", probe], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"
    assert supervised_command()[1:6] == ["-P", str(SUPERVISOR), "--parent", str(os.getpid()), "--"]
