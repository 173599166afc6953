"""`make bench` entry point, and the helpers every bench script shares (server, wrk, local HTTP)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
RESULTS_DIR = REPO / "bench" / "results"
HOST = "127.0.0.1"
WORKERS = 2
# What gunicorn.conf.py starts on this machine (2 x cores + 1, or WEB_CONCURRENCY): `make bench`
# measures the shop as deployed. With only 2 workers, gthread's greedy accept() often left all 16
# of wrk's kept-alive connections on one worker (one core busy, the other idle), so the same route
# measured 550 or 1,350 req/s from one run to the next.
PRODUCTION_WORKERS = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) * 2 + 1)
WRK_THREADS = 2
WRK_CONNECTIONS = 16
BASELINE = "baseline"
HEALTH_TIMEOUT_S = 30.0
SETUP_TIMEOUT_S = 180
APT_TIMEOUT_S = 600
HTTP_OK = 200

# Never use a proxy: every request of this script goes to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(RuntimeError):
    """A setup step of the benchmark failed."""


def assert_local(url: str) -> str:
    """Refuse any URL that does not target 127.0.0.1."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname != HOST:
        raise BenchError(f"refusing non-local target: {url}")
    return url


def http_get(url: str, timeout: float = 10.0, cookie: str | None = None) -> tuple[int, bytes]:
    """GET a local URL uncompressed (with a Cookie header if given); return (status, body) even for HTTP errors."""
    headers = {"Accept-Encoding": "identity"}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(assert_local(url), headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def free_port() -> int:
    """Ask the OS for a free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def app_env(db_path: Path, media_root: Path | None = None) -> dict[str, str]:
    """Environment for the app: its own SQLite DB, photos beside it (not in instance/), a secret key."""
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{db_path}"
    env["MEDIA_ROOT"] = str(media_root or db_path.parent / "media")
    env.setdefault("SECRET_KEY", "bench-not-a-secret")
    # Load tools send every checkout from 127.0.0.1 with one phone number: the hoarding limits
    # (orders/limit_rules.py) would refuse all but the first three, so benchmarks switch them off.
    env.setdefault("ORDER_MAX_OPEN_PER_PHONE", "0")
    env.setdefault("ORDER_MAX_OPEN_PER_ADDRESS", "0")
    env["PYTHONUNBUFFERED"] = "1"
    for name in ("FLASK_DEBUG", "FLASK_ENV"):
        env.pop(name, None)
    return env


def run_checked(cmd: list[str], env: dict[str, str] | None, timeout: int) -> str:
    """Run a command in the repo root; raise BenchError with its output if it fails."""
    try:
        proc = subprocess.run(
            cmd,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out after {timeout}s: {' '.join(cmd)}") from exc
    if proc.returncode != 0:
        raise BenchError(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def prepare_db(env: dict[str, str]) -> None:
    """Apply migrations and seed the demo products into the fresh DB."""
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run_checked([*flask, "init-db"], env, SETUP_TIMEOUT_S)
    run_checked([*flask, "seed-demo"], env, SETUP_TIMEOUT_S)


def gunicorn_extra_args() -> list[str]:
    """Flags this gunicorn supports that keep a bench server private.

    gunicorn >= 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default,
    shared with any other server of the same user: the bench server does without.
    """
    help_text = run_checked([str(VENV_BIN / "gunicorn"), "--help"], None, 60)
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


def start_gunicorn(env: dict[str, str], port: int, log_path: Path, workers: int = WORKERS) -> subprocess.Popen[bytes]:
    """Start gunicorn with the project's config and `workers` workers, bound to 127.0.0.1:port."""
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        *gunicorn_extra_args(),
        "wsgi:app",
    ]
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def log_tail(log_path: Path, lines: int = 30) -> str:
    """Last lines of the gunicorn log, for error messages."""
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_healthy(base: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll /healthz until 200; fail after HEALTH_TIMEOUT_S or if gunicorn exits."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log_tail(log_path)}")
        try:
            status, body = http_get(base + "/healthz", timeout=2.0)
            if status == HTTP_OK and _jobs_settled(body):
                return
            last = f"HTTP {status}" if status != HTTP_OK else "the job worker's first round still running"
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.25)
    raise BenchError(f"/healthz not 200 after {HEALTH_TIMEOUT_S:.0f}s ({last}):\n{log_tail(log_path)}")


def _jobs_settled(body: bytes) -> bool:
    """True once the embedded job worker has run its first round (every periodic slot taken, none queued).

    Its start (importing the app) and first round (rollups, purges) take a second or two of CPU:
    measured inside a route's run, they would be charged to that route. Later rounds are cheap.
    """
    try:
        jobs = json.loads(body).get("jobs")
    except ValueError:
        return True
    if not jobs:  # the worker is off (JOBS_EMBEDDED_WORKER=0) or the queue cannot be read
        return True
    return jobs.get("late_seconds") == 0 and jobs.get("queued") == 0 and not jobs.get("running")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn: SIGTERM to the master, then SIGKILL to its process group."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
        return
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        # Our own session (start_new_session): the master and its workers only.
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def find_slug(base: str, prefix: str) -> str:
    """Fetch the home page and return the slug of its first /<prefix>/<slug> link (p or c)."""
    status, body = http_get(base + "/")
    if status != HTTP_OK:
        raise BenchError(f"GET / answered {status}")
    match = re.search(rf'href="/{prefix}/([^"/?#]+)"', body.decode("utf-8", "replace"))
    if not match:
        raise BenchError(f'no href="/{prefix}/<slug>" link on the home page (is the demo data seeded?)')
    return match.group(1)


def find_product_slug(base: str) -> str:
    """The slug of the first product linked from the home page."""
    return find_slug(base, "p")


def install_wrk() -> None:
    """apt-get install wrk, running apt-get update once if the first attempt fails."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "wrk"]
    try:
        run_checked(install, env, APT_TIMEOUT_S)
    except BenchError:
        print("apt-get install failed; running apt-get update and retrying", flush=True)
        run_checked(["apt-get", "update"], env, APT_TIMEOUT_S)
        run_checked(install, env, APT_TIMEOUT_S)


def ensure_wrk() -> str:
    """Path of wrk; apt-get installs it if root and (BENCH_INSTALL=1 or CI unset)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; install it with: apt-get install -y wrk", flush=True)
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    allowed = os.environ.get("BENCH_INSTALL") == "1" or not os.environ.get("CI")
    if not (is_root and allowed):
        raise BenchError("wrk is missing (auto-install needs root, and BENCH_INSTALL=1 under CI)")
    print("installing wrk with apt-get ...", flush=True)
    install_wrk()
    found = shutil.which("wrk")
    if not found:
        raise BenchError("apt-get reported success but wrk is still not on PATH")
    return found


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(value: str, unit: str) -> float:
    """Convert a wrk latency such as ('1.23', 'ms') to milliseconds."""
    return float(value) * _UNIT_MS[unit]


def parse_wrk(text: str) -> dict[str, Any]:
    """Extract req/s, p50/p99 (ms), requests, non-2xx and socket errors from wrk."""

    def latency(pct: str) -> float | None:
        match = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
        return to_ms(match.group(1), match.group(2)) if match else None

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if not rps:
        raise BenchError(f"could not parse wrk output:\n{text}")
    kinds = ("connect", "read", "write", "timeout")
    by_kind = dict(zip(kinds, (int(n) for n in sock.groups()), strict=True)) if sock else {}
    return {
        "req_s": float(rps.group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(by_kind.values()),
        "socket_errors_by_kind": by_kind,
    }


def median_of(values: list[float | None]) -> float | None:
    """Median of the values that are present, or None."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def sum_kinds(per_run: list[dict[str, Any]]) -> dict[str, int]:
    """Add up wrk's socket errors by kind (connect/read/write/timeout) over runs."""
    totals: dict[str, int] = {}
    for run in per_run:
        for kind, count in run["socket_errors_by_kind"].items():
            totals[kind] = totals.get(kind, 0) + count
    return totals


def summarize(rounds: list[dict[str, Any]], routes: dict[str, str]) -> dict[str, Any]:
    """Per route: medians of req/s, p50, p99 and ratio to baseline; error sums."""
    summary: dict[str, Any] = {}
    for name, path in routes.items():
        per_run = [r[name] for r in rounds]
        ratios = [r[name]["req_s"] / r[BASELINE]["req_s"] if r[BASELINE]["req_s"] else None for r in rounds]
        summary[name] = {
            "path": path,
            "req_s": median_of([run["req_s"] for run in per_run]),
            "p50_ms": median_of([run["p50_ms"] for run in per_run]),
            "p99_ms": median_of([run["p99_ms"] for run in per_run]),
            "ratio_to_baseline": median_of(ratios),
            "non_2xx": sum(run["non_2xx"] for run in per_run),
            "socket_errors": sum(run["socket_errors"] for run in per_run),
            "socket_errors_by_kind": sum_kinds(per_run),
            "runs": per_run,
        }
    return summary


def git_commit() -> str | None:
    """Short commit of the repo, if git can tell (read only)."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


@contextlib.contextmanager
def demo_server(tmp: Path) -> Iterator[str]:
    """Fresh SQLite DB + seed-demo in tmp, gunicorn on a free port; yields the base URL.

    gunicorn is always stopped on exit; its log is tmp/gunicorn.log.
    Also used by bench/lighthouse.py and bench/repeat_visit.py.
    """
    env = app_env(tmp / "bench.db")
    print(f"Preparing a fresh SQLite DB in {tmp} (init-db, seed-demo) ...", flush=True)
    prepare_db(env)
    port = free_port()
    base = f"http://{HOST}:{port}"
    log_path = tmp / "gunicorn.log"
    print(f"Starting gunicorn ({WORKERS} workers) on {HOST}:{port} ...", flush=True)
    proc = start_gunicorn(env, port, log_path)
    try:
        wait_healthy(base, proc, log_path)
        yield base
    finally:
        stop_server(proc)


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so cleanup (finally) runs."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """`make bench`: the suite of bench/suite.py (routes, checkout, page weight on SQLite and PostgreSQL)."""
    from suite import main as suite_main  # imports this module as `run`: one copy of BenchError for all

    return suite_main(argv)


if __name__ == "__main__":
    sys.exit(main())
