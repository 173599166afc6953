"""Events per second that POST /e accepts and stores, under wrk, on SQLite and PostgreSQL.

Each request is one beacon batch of 20 events (the tracker's maximum), sent as text/plain like
navigator.sendBeacon does, by gunicorn with 2 workers and the production gunicorn.conf.py.
The figure is *stored* events per second: rows counted in the events table before and after
each wrk run, divided by the run's length, next to what wrk saw (202 answers x 20).

The beacon is rate limited per address (120 requests a minute); wrk sends everything from
127.0.0.1, so the benchmark raises the limit with the EVENTS_RATE_LIMIT setting (an environment
variable the app reads, documented in the README), instead of switching limits off.

    .venv/bin/python bench/events.py [--duration 10] [--runs 3] [--pg-url URL | --no-pg]

PostgreSQL: a database `storefront_bench_<pid>` is created on --pg-url's server (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from run import (
    HOST,
    REPO,
    RESULTS_DIR,
    VENV_BIN,
    WORKERS,
    WRK_CONNECTIONS,
    WRK_THREADS,
    BenchError,
    _raise_exit,
    app_env,
    assert_local,
    ensure_wrk,
    free_port,
    git_commit,
    parse_wrk,
    run_checked,
    start_gunicorn,
    stop_server,
    wait_healthy,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BATCH = 20
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile"


def batch_body() -> str:
    """A realistic 20-event batch: a page view, product views with dwell, a cart add."""
    events = [{"name": "page_view", "path": "/p/merino-wool-coat", "referrer": "https://l.instagram.com/"}]
    for i in range(BATCH - 2):
        slug = f"product-{i % 6}"
        if i % 3 == 0:
            events.append({"name": "view_item", "path": f"/p/{slug}", "product_slug": slug, "variant_id": 3 + i})
        else:
            events.append({"name": "engagement", "path": f"/p/{slug}", "product_slug": slug, "dwell_ms": 1200 * i})
    events.append({"name": "add_to_cart", "path": "/p/product-1", "product_slug": "product-1", "variant_id": 4})
    return json.dumps({"sid": "ab" * 16, "events": events}, separators=(",", ":"))


def lua_script(body: str) -> str:
    """wrk's request: POST /e, text/plain, the batch above."""
    quoted = json.dumps(body)  # a JSON string is a valid Lua string literal here (no escapes beyond \\")
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {quoted}\n"
        'wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"\n'
        f'wrk.headers["User-Agent"] = "{PHONE_UA}"\n'
    )


def count_events(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(base_url: str, suffix: str = "") -> Iterator[str]:
    """A fresh database for the run, dropped afterwards."""
    name = f"storefront_bench_{os.getpid()}{'_' + suffix if suffix else ''}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(wrk: str, database_url: str, tmp: Path, args: argparse.Namespace) -> dict:
    """init-db, gunicorn with a raised beacon limit, then interleaved wrk runs (baseline and /e)."""
    env = app_env(tmp / "unused.db")
    env["DATABASE_URL"] = database_url
    env["EVENTS_RATE_LIMIT"] = "100000000 per minute"
    run_checked([str(VENV_BIN / "flask"), "--app", "wsgi", "init-db"], env, 180)
    script = tmp / "beacon.lua"
    script.write_text(lua_script(batch_body()))
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = tmp / f"gunicorn-{port}.log"
    proc = start_gunicorn(env, port, log)
    runs = []
    try:
        wait_healthy(base, proc, log)
        for index in range(args.runs):
            baseline = wrk_run(wrk, base + "/robots.txt", None, args.duration)
            before = count_events(database_url)
            started = time.monotonic()
            beacon = wrk_run(wrk, base + "/e", script, args.duration)
            elapsed = time.monotonic() - started
            stored = count_events(database_url) - before
            run = {
                "baseline_req_s": baseline["req_s"],
                "beacon_req_s": beacon["req_s"],
                "accepted_events_s": (beacon["requests"] - beacon["non_2xx"]) * BATCH / args.duration,
                "stored_events": stored,
                "stored_events_s": stored / elapsed,
                "p50_ms": beacon["p50_ms"],
                "p99_ms": beacon["p99_ms"],
                "non_2xx": beacon["non_2xx"],
                "socket_errors": beacon["socket_errors"],
            }
            print(
                f"  run {index + 1}/{args.runs}: {run['stored_events_s']:,.0f} events/s stored"
                f" ({run['beacon_req_s']:,.0f} batches/s; baseline {run['baseline_req_s']:,.0f} req/s)",
                flush=True,
            )
            runs.append(run)
    finally:
        stop_server(proc)
    return summarize(runs)


def wrk_run(wrk: str, url: str, script: Path | None, duration: int) -> dict:
    cmd = [wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    return parse_wrk(run_checked([*cmd, assert_local(url)], None, duration + 60))


def summarize(runs: list[dict]) -> dict:
    """Medians over the runs, plus each run."""
    keys = ("baseline_req_s", "beacon_req_s", "accepted_events_s", "stored_events_s", "p50_ms", "p99_ms")
    summary = {key: statistics.median(r[key] for r in runs if r[key] is not None) for key in keys}
    summary["ratio_to_baseline"] = statistics.median(r["beacon_req_s"] / r["baseline_req_s"] for r in runs)
    summary["non_2xx"] = sum(r["non_2xx"] for r in runs)
    summary["socket_errors"] = sum(r["socket_errors"] for r in runs)
    summary["runs"] = runs
    return summary


def tracker_size() -> dict:
    """Bytes of static/js/track.js: raw, gzip -9 and gzip -6 (what a proxy typically sends)."""
    raw = (REPO / "static" / "js" / "track.js").read_bytes()
    return {
        "raw": len(raw),
        "gzip_9": len(gzip.compress(raw, 9, mtime=0)),
        "gzip_6": len(gzip.compress(raw, 6, mtime=0)),
    }


def print_report(result: dict) -> None:
    print("\n=== Behaviour beacon (POST /e) ===")
    print(f"  when: {result['timestamp']}   commit: {result['commit'] or '-'}   CPU cores: {result['cpu_cores']}")
    print(f"  gunicorn -c gunicorn.conf.py, {WORKERS} workers; wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}")
    print(f"  each request = {BATCH} events; median of {result['runs']} runs x {result['duration_s']} s\n")
    row = "  {:<11} {:>16} {:>14} {:>11} {:>9} {:>9} {:>8} {:>7}"
    print(row.format("database", "stored events/s", "batches/s", "baseline/s", "ratio", "p50 ms", "p99 ms", "errors"))
    for name, s in result["databases"].items():
        print(
            row.format(
                name,
                f"{s['stored_events_s']:,.0f}",
                f"{s['beacon_req_s']:,.0f}",
                f"{s['baseline_req_s']:,.0f}",
                f"{s['ratio_to_baseline']:.2f}",
                f"{s['p50_ms']:.1f}",
                f"{s['p99_ms']:.1f}",
                s["non_2xx"] + s["socket_errors"],
            )
        )
    size = result["tracker"]
    print(f"\n  tracker static/js/track.js: {size['raw']} bytes raw, {size['gzip_9']} gzip -9,", end=" ")
    print(f"{size['gzip_6']} gzip -6")
    print(f"\nJSON written to {result['json_path']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per database (default 3)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    result = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu_cores": os.cpu_count(),
        "duration_s": args.duration,
        "runs": args.runs,
        "databases": {},
        "tracker": tracker_size(),
    }
    try:
        wrk = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="shop-bench-events-") as tmp:
            print("SQLite ...", flush=True)
            result["databases"]["sqlite"] = measure(wrk, f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)
            if not args.no_pg:
                print("PostgreSQL ...", flush=True)
                with postgres_database(args.pg_url) as url:
                    result["databases"]["postgresql"] = measure(wrk, url, Path(tmp), args)
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "events.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    result["json_path"] = str(path.relative_to(REPO))
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
