"""Does partitioning cost ingest? POST /e into a partitioned `events` vs a plain one, same run.

    .venv/bin/python bench/events_ab.py [--duration 8] [--runs 3] [--pg-url URL]

Two PostgreSQL databases are made with init-db (events partitioned by day, as migration 0033
leaves it); in the second, `events` is swapped for a plain table of the same columns, indexes
and sequence. One gunicorn per database; wrk runs alternate between them (A, B, A, B ...), so
both see the same machine load. Prints events stored per second of each and their ratio, and
writes bench/results/events_ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from events import BATCH, PG_DEFAULT, batch_body, count_events, lua_script, postgres_database, wrk_run
from run import (
    HOST,
    RESULTS_DIR,
    VENV_BIN,
    app_env,
    ensure_wrk,
    free_port,
    git_commit,
    run_checked,
    start_gunicorn,
    stop_server,
    wait_healthy,
)
from sqlalchemy import create_engine

PLAIN = """
CREATE TABLE events_plain (LIKE events INCLUDING ALL);
ALTER TABLE events_plain ALTER COLUMN id SET DEFAULT nextval('events_id_seq');
ALTER SEQUENCE events_id_seq OWNED BY NONE;
DROP TABLE events CASCADE;
ALTER TABLE events_plain RENAME TO events;
ALTER SEQUENCE events_id_seq OWNED BY events.id;
"""


def make_plain(url: str) -> None:
    """Swap the partitioned `events` for a plain table with the same columns and indexes."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in filter(str.strip, PLAIN.split(";")):
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def serve(url: str, tmp: Path, label: str, plain: bool) -> tuple[str, object]:
    """init-db (and the swap), then a gunicorn on it; (base url, process)."""
    env = app_env(tmp / "unused.db")
    env["DATABASE_URL"] = url
    env["EVENTS_RATE_LIMIT"] = "100000000 per minute"
    run_checked([str(VENV_BIN / "flask"), "--app", "wsgi", "init-db"], env, 180)
    if plain:
        make_plain(url)
    port = free_port()
    log = tmp / f"gunicorn-{label}.log"
    proc = start_gunicorn(env, port, log)
    base = f"http://{HOST}:{port}"
    wait_healthy(base, proc, log)
    return base, proc


def main(argv: list[str] | None = None) -> int:
    """Run the A/B and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    rates: dict[str, list[float]] = {"partitioned": [], "plain": []}
    with tempfile.TemporaryDirectory() as name, ExitStack() as stack:
        tmp = Path(name)
        script = tmp / "beacon.lua"
        script.write_text(lua_script(batch_body()))
        urls, servers = {}, {}
        for label in rates:
            url = stack.enter_context(postgres_database(args.pg_url, suffix=label))
            urls[label] = url
            servers[label] = serve(url, tmp, label, plain=label == "plain")
            stack.callback(stop_server, servers[label][1])
        for index in range(args.runs):
            for label in rates:
                before = count_events(urls[label])
                started = time.monotonic()
                wrk_run(wrk, servers[label][0] + "/e", script, args.duration)
                rate = (count_events(urls[label]) - before) / (time.monotonic() - started)
                rates[label].append(rate)
                print(f"  run {index + 1}/{args.runs} {label:>11}: {rate:,.0f} events/s stored", flush=True)
    result = {
        "commit": git_commit(),
        "batch": BATCH,
        "duration_s": args.duration,
        "load_avg": os.getloadavg(),
        **{f"{label}_events_s": statistics.median(values) for label, values in rates.items()},
        "runs": rates,
    }
    result["partitioned_over_plain"] = result["partitioned_events_s"] / result["plain_events_s"]
    print(
        f"median: partitioned {result['partitioned_events_s']:,.0f} events/s, plain {result['plain_events_s']:,.0f}"
        f" events/s, ratio {result['partitioned_over_plain']:.2f} (load {result['load_avg'][0]:.1f})"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "events_ab.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
