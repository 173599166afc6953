"""Server time of each report page over 1,000,000 events and 50,000 orders (SQLite and PostgreSQL).

    .venv/bin/python bench/reports.py [--events 1000000] [--orders 50000] [--days 90] [--runs 7]
                                      [--sqlite-file PATH] [--pg-url URL | --pg-database URL | --no-pg]

For each database: a fresh shop (init-db, seed-demo) gets `seed-events --days 90 --n 1000000
--orders 50000`, which also rolls everything up; the seeding and rollup times are printed. Then,
in this process, an owner signs in and every report page is requested `--runs` times for the
default range (the last 30 days) and for the whole 90 days: the figure is the median time from
request to full response (Flask, the queries, the SVG charts and the template; no network),
after one warm-up request. Report pages check whether a catch-up is due on every request; that
check is included. A catch-up of today (REPORTS_REFRESH_SECONDS, 5 minutes by default) is timed
apart, as is the biggest CSV export.

--sqlite-file reuses (or keeps) a seeded SQLite file, so a second run skips the seeding.
PostgreSQL: a database `storefront_bench_reports_<pid>` is created and dropped afterwards, unless
--pg-database URL names a database to use (and keep): seeded once, reused by later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from run import REPO, RESULTS_DIR, VENV_BIN, BenchError, git_commit, run_checked
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(REPO))

PAGES = ("", "funnel", "products", "interest", "when", "customers", "where", "sources")
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throw-away account in a throw-away database


def flask(env: dict, *args: str, timeout: int = 1800) -> tuple[str, float]:
    """Run a flask command for the bench database; (output, seconds)."""
    started = time.perf_counter()
    out = run_checked([str(VENV_BIN / "flask"), "--app", "wsgi", *args], env, timeout)
    return out, time.perf_counter() - started


def count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
    except Exception:  # noqa: BLE001 - no table yet means an empty database
        return 0
    finally:
        engine.dispose()


def prepare(url: str, args: argparse.Namespace) -> dict:
    """init-db, seed-demo, seed-events (unless the database already has the events)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-not-a-secret"}
    flask(env, "init-db")
    if count(url, "events") >= args.events:
        print("  database already seeded: reusing it", flush=True)
        return {"reused": True}
    flask(env, "seed-demo", "--if-empty")
    print(f"  seed-events --days {args.days} --n {args.events} --orders {args.orders} ...", flush=True)
    out, seconds = flask(
        env, "seed-events", "--days", str(args.days), "--n", str(args.events), "--orders", str(args.orders)
    )
    print("  " + out.strip().replace("\n", "\n  "), flush=True)
    _again, again_s = flask(env, "rollup")
    return {"seed_and_rollup_s": seconds, "seed_output": out.strip(), "second_rollup_s": again_s}


def measure(url: str, args: argparse.Namespace) -> dict:
    """Sign in, then time every page (median of --runs after a warm-up) for two ranges."""
    from storefront import create_app
    from storefront.analytics import rollup
    from storefront.auth.service import upsert_user
    from storefront.clock import utcnow
    from storefront.extensions import db

    # A refresh of today is timed apart (below), so it must not land inside the page timings.
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REPORTS_REFRESH_SECONDS": 10**9}
    settings["REQUEST_LOG"] = False  # one JSON line per request would drown the report (and cost time)
    app = create_app({**settings, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    zone = shop_zone_for(app)
    with app.app_context():
        upsert_user(db.session, "bench-owner@example.com", PASSWORD, "owner", now=utcnow())
        db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": "bench-owner@example.com", "password": PASSWORD}).status_code == 303
    today = rollup.rr.shop_day(utcnow(), zone)
    ranges = {"30 days": "", f"{args.days} days": f"?from={today - timedelta(days=args.days - 1)}&to={today}"}
    result: dict = {"pages": {}}
    for label, query in ranges.items():
        for page in PAGES:
            url_path = f"/admin/reports/{page}{query}"
            times = []
            for _ in range(args.runs + 1):
                started = time.perf_counter()
                response = client.get(url_path)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise BenchError(f"{url_path} answered {response.status_code}")
            result["pages"].setdefault(page or "overview", {})[label] = {
                "median_ms": statistics.median(times[1:]),
                "min_ms": min(times[1:]),
                "bytes": len(response.data),
            }
    result["csv_customers_ms"] = _time(client, f"/admin/reports/customers.csv{ranges[f'{args.days} days']}")
    with app.app_context():
        if getattr(args, "refresh_today", True):
            started = time.perf_counter()
            for _progress in rollup.catch_up(db.session, utcnow(), zone):
                db.session.commit()
            result["today_refresh_ms"] = (time.perf_counter() - started) * 1000
        db.session.remove()
        db.engine.dispose()
    return result


def shop_zone_for(app):
    """The shop's zone, as the report pages use it."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])


def _time(client, path: str) -> float:
    client.get(path)
    started = time.perf_counter()
    assert client.get(path).status_code == 200
    return (time.perf_counter() - started) * 1000


@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    name = f"storefront_bench_reports_{os.getpid()}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_report(result: dict) -> None:
    print("\n=== Report pages: server time (median of runs, ms) ===")
    print(f"  when: {result['timestamp']}   commit: {result['commit'] or '-'}   CPU cores: {result['cpu_cores']}")
    data = f"{result['events']:,} events, {result['orders']:,} orders over {result['days']} days"
    print(f"  data: {data}; goal <= 300 ms")
    for db_name, data in result["databases"].items():
        prep = data["prepare"]
        if "seed_and_rollup_s" in prep:
            print(f"\n  {db_name}: seed-events + rollup {prep['seed_and_rollup_s']:.0f} s;", end=" ")
            print(f"a second `flask rollup` {prep['second_rollup_s']:.1f} s")
            print("    " + prep["seed_output"].replace("\n", "\n    "))
        else:
            print(f"\n  {db_name}: (seeded database reused)")
        ranges = list(next(iter(data["pages"].values())))
        print("    {:<11}".format("page") + "".join(f"{r:>14}" for r in ranges))
        for page, figures in data["pages"].items():
            print(f"    {page:<11}" + "".join(f"{figures[r]['median_ms']:>11.0f} ms" for r in ranges))
        print(f"    customers.csv ({ranges[-1]}): {data['csv_customers_ms']:.0f} ms;", end=" ")
        print(f"catch-up with today's refresh: {data['today_refresh_ms']:.0f} ms")
    print(f"\nJSON written to {result['json_path']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sqlite-file", help="reuse or keep this SQLite file (default: a temporary one)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--pg-database", help="reuse or keep this PostgreSQL database (default: a throw-away one)")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    result = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu_cores": os.cpu_count(),
        "events": args.events,
        "orders": args.orders,
        "days": args.days,
        "databases": {},
    }
    try:
        with tempfile.TemporaryDirectory(prefix="shop-bench-reports-") as tmp:
            path = Path(args.sqlite_file) if args.sqlite_file else Path(tmp) / "bench.db"
            url = f"sqlite:///{path.resolve()}"
            print(f"SQLite ({path}) ...", flush=True)
            result["databases"]["sqlite"] = {"prepare": prepare(url, args), **measure(url, args)}
            if not args.no_pg:
                print("PostgreSQL ...", flush=True)
                keep = contextlib.nullcontext(args.pg_database) if args.pg_database else None
                with keep or postgres_database(args.pg_url) as pg:
                    result["databases"]["postgresql"] = {"prepare": prepare(pg, args), **measure(pg, args)}
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "reports.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    result["json_path"] = str(out.relative_to(REPO))
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
