"""Benchmark the shop under gunicorn with wrk, plus the product page weight."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
RESULTS_DIR = REPO / "bench" / "results"
HOST = "127.0.0.1"
WORKERS = 2
WRK_THREADS = 2
WRK_CONNECTIONS = 16
BASELINE = "baseline"
HEALTH_TIMEOUT_S = 30.0
SETUP_TIMEOUT_S = 180
APT_TIMEOUT_S = 600
GZIP_LEVEL = 6
HTTP_OK = 200

# Never use a proxy: every request of this script goes to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(RuntimeError):
    """A setup step of the benchmark failed."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="interleaved rounds over all routes (default 3)",
    )
    args = parser.parse_args(argv)
    if args.duration < 1 or args.runs < 1:
        parser.error("--duration and --runs must be >= 1")
    return args


def assert_local(url: str) -> str:
    """Refuse any URL that does not target 127.0.0.1."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname != HOST:
        raise BenchError(f"refusing non-local target: {url}")
    return url


def http_get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET a local URL uncompressed; return (status, body) even for HTTP errors."""
    request = urllib.request.Request(assert_local(url), headers={"Accept-Encoding": "identity"})
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


def app_env(db_path: Path) -> dict[str, str]:
    """Environment for the app: its own SQLite DB and a secret key."""
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{db_path}"
    env.setdefault("SECRET_KEY", "bench-not-a-secret")
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
            status, _ = http_get(base + "/healthz", timeout=2.0)
            if status == HTTP_OK:
                return
            last = f"HTTP {status}"
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.25)
    raise BenchError(f"/healthz not 200 after {HEALTH_TIMEOUT_S:.0f}s ({last}):\n{log_tail(log_path)}")


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


def run_wrk(wrk: str, url: str, duration: int) -> dict[str, Any]:
    """Run one bounded wrk load against a local URL and parse its output."""
    cmd = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{duration}s",
        "--latency",
        assert_local(url),
    ]
    output = run_checked(cmd, None, duration + 60)
    return parse_wrk(output)


def bench_routes(wrk: str, base: str, routes: dict[str, str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run wrk over all routes, interleaved per round, so noise hits all alike."""
    rounds: list[dict[str, Any]] = []
    for index in range(args.runs):
        results: dict[str, Any] = {}
        for name, path in routes.items():
            print(
                f"  run {index + 1}/{args.runs}  {name:<9} {path} ...",
                end=" ",
                flush=True,
            )
            results[name] = run_wrk(wrk, base + path, args.duration)
            print(f"{results[name]['req_s']:.0f} req/s", flush=True)
        rounds.append(results)
    return rounds


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


class AssetParser(HTMLParser):
    """Collect stylesheet hrefs and script srcs from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key.lower(): (value or "") for key, value in attrs}
        rels = attr.get("rel", "").lower().split()
        if tag == "link" and "stylesheet" in rels and attr.get("href"):
            self.assets.append(attr["href"])
        elif tag == "script" and attr.get("src"):
            self.assets.append(attr["src"])


def same_origin_assets(page_url: str, html: str) -> list[str]:
    """Absolute URLs of the page's same-origin CSS/JS, de-duplicated, in order."""
    parser = AssetParser()
    parser.feed(html)
    origin = urllib.parse.urlsplit(page_url).netloc
    urls: list[str] = []
    for ref in parser.assets:
        url = urllib.parse.urljoin(page_url, ref)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "http" and parts.netloc == origin and url not in urls:
            urls.append(url)
    return urls


def weigh(label: str, body: bytes) -> dict[str, Any]:
    """Raw and gzip-6 size of one transferred file."""
    return {
        "file": label,
        "raw": len(body),
        "gzip": len(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)),
    }


def page_weight(base: str, path: str) -> dict[str, Any]:
    """Raw and gzip-6 bytes of the page HTML and its same-origin CSS/JS (no photos)."""
    page_url = base + path
    status, html = http_get(page_url)
    if status != HTTP_OK:
        raise BenchError(f"GET {path} answered {status}")
    files = [weigh(path, html)]
    for url in same_origin_assets(page_url, html.decode("utf-8", "replace")):
        asset_status, body = http_get(url)
        label = urllib.parse.urlsplit(url).path
        if asset_status != HTTP_OK:
            raise BenchError(f"GET {label} (referenced by {path}) answered {asset_status}")
        files.append(weigh(label, body))
    return {
        "page": path,
        "files": files,
        "total_raw": sum(f["raw"] for f in files),
        "total_gzip": sum(f["gzip"] for f in files),
    }


def fmt(value: float | None, spec: str) -> str:
    """Format a number, or '-' when missing."""
    return "-" if value is None else format(value, spec)


ROUTE_ROW = "  {:<9} {:<34} {:>9} {:>8} {:>8} {:>6} {:>7}"
WEIGHT_ROW = "  {:<50} {:>10} {:>13}"


def print_routes(result: dict[str, Any]) -> None:
    """Print the throughput/latency table."""
    print(
        f"\nThroughput and latency (median of {result['runs']} runs"
        f" x {result['duration_s']}s, wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS})"
    )
    header = ROUTE_ROW.format("route", "path", "req/s", "p50 ms", "p99 ms", "ratio", "errors")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, row in result["routes"].items():
        cells = (
            fmt(row["req_s"], ".0f"),
            fmt(row["p50_ms"], ".2f"),
            fmt(row["p99_ms"], ".2f"),
            fmt(row["ratio_to_baseline"], ".2f"),
            row["non_2xx"] + row["socket_errors"],
        )
        print(ROUTE_ROW.format(name, row["path"], *cells))
    print("  ratio = route req/s / baseline req/s, median of per-run ratios")
    print("  errors = non-2xx/3xx responses + socket errors, summed over runs")
    print_error_detail(result["routes"])


def print_error_detail(routes: dict[str, Any]) -> None:
    """Print, for routes with errors, non-2xx counts and socket errors by kind."""
    for name, row in routes.items():
        by_kind = row["socket_errors_by_kind"]
        kinds = ", ".join(f"{kind} {n}" for kind, n in by_kind.items() if n)
        if kinds or row["non_2xx"]:
            print(f"    {name}: non-2xx/3xx {row['non_2xx']}; socket: {kinds or '0'}")


def print_weight(weight: dict[str, Any]) -> None:
    """Print the page weight table."""
    print(f"\nTransferred bytes of {weight['page']}")
    print("  (HTML + same-origin CSS/JS, raw and gzip level 6; photos excluded)")
    header = WEIGHT_ROW.format("file", "raw bytes", "gzip-6 bytes")
    rule = "  " + "-" * (len(header) - 2)
    print(header)
    print(rule)
    for row in weight["files"]:
        print(WEIGHT_ROW.format(row["file"], row["raw"], row["gzip"]))
    print(rule)
    print(WEIGHT_ROW.format("total", weight["total_raw"], weight["total_gzip"]))


def print_report(result: dict[str, Any]) -> None:
    """Print the human-readable report."""
    print("\n=== Shop benchmark ===")
    print(f"  when: {result['timestamp']}   commit: {result['commit'] or '-'}")
    print(
        f"  machine: {result['cpu_cores']} CPU cores,"
        f" {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"  server: gunicorn -c gunicorn.conf.py, {result['gunicorn_workers']} workers"
        f" on {HOST}; db: fresh SQLite + seed-demo"
    )
    print(f"  worker recycles (max_requests): {result['gunicorn_worker_recycles']}")
    print_routes(result)
    print_weight(result["page_weight"])
    print(f"\nJSON written to {result['json_path']}")


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


def write_json(result: dict[str, Any]) -> Path:
    """Write the result to bench/results/latest.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "latest.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def measure(base: str, wrk: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run the load tests and the page weight against a running server."""
    slug = find_product_slug(base)
    routes = {BASELINE: "/robots.txt", "home": "/", "product": f"/p/{slug}"}
    print(f"Benchmarking {base}  (product page /p/{slug})", flush=True)
    rounds = bench_routes(wrk, base, routes, args)
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu_cores": os.cpu_count(),
        "gunicorn_workers": WORKERS,
        "wrk": {"threads": WRK_THREADS, "connections": WRK_CONNECTIONS},
        "duration_s": args.duration,
        "runs": args.runs,
        "baseline": routes[BASELINE],
        "routes": summarize(rounds, routes),
        "page_weight": page_weight(base, routes["product"]),
    }


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


def serve_and_measure(tmp: Path, wrk: str, args: argparse.Namespace) -> dict[str, Any]:
    """Prepare a fresh DB, start gunicorn, measure, and always stop gunicorn."""
    with demo_server(tmp) as base:
        result = measure(base, wrk, args)
    log = (tmp / "gunicorn.log").read_text(errors="replace")
    result["gunicorn_worker_recycles"] = log.count("Autorestarting worker")
    return result


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so cleanup (finally) runs."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0, or 1 on setup failure or non-2xx/3xx answers under load."""
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    try:
        wrk = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="shop-bench-") as tmp:
            result = serve_and_measure(Path(tmp), wrk, args)
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    result["json_path"] = str((RESULTS_DIR / "latest.json").relative_to(REPO))
    write_json(result)
    print_report(result)
    bad = [name for name, row in result["routes"].items() if row["non_2xx"]]
    if bad:
        print(f"\nWARNING: non-2xx/3xx responses on: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
