"""36 million events (an hour at 10,000/s) in PostgreSQL's day partitions: load, ingest, rollup, reports, drop.

    .venv/bin/python bench/events_scale.py [--events 36000000] [--month-events 3100000]
        [--duration 15] [--runs 2] [--rollup-batch 600000] [--pg-url URL] [--keep] [--quick] [--db-name NAME]
    .venv/bin/python bench/events_scale.py --reuse storefront_scale_<pid> [--report-runs 5]

PostgreSQL only. A database `storefront_scale_<pid>` is created (init-db: partitioned events,
seed-demo, then `seed-events` for a month of ordinary history with orders, rolled up), and
dropped afterwards unless --keep. Then, printed and written to bench/results/events_scale.json:

1. load: --events events generated server-side (INSERT .. SELECT generate_series: sessions of
   20 events over the demo catalogue's slugs and variants, hashed visitor/session ids, cart
   hashes, dwell, sources) into the hour that ends 5 minutes ago; seconds and rows/s.
2. ingest: POST /e under wrk with the partitioned table that big (bench/events.py's beacon:
   20 events a request, gunicorn 2 workers); events stored per second (median of --runs).
3. rollup (in-process): the full recompute of the day that holds the hour (what a day gets once,
   when final; events/s), the open day's first incremental fold (every event of the day new to
   it), then one incremental step over --rollup-batch new events (a minute at 10,000/s) on top
   of the day: the figure that says whether the reports' lag stays under 5 minutes. Then the
   incremental rows are compared with a full recompute of the same events (must be identical),
   and the day closes from its fold as it does at midnight (instead of a full recompute).
4. interest totals: the rollup job's last step (the interest report's day x product sums).
5. report pages: bench/reports.py's measure() (median ms of every /admin/reports page), 30 and
   90 days.
   (--quick: only 1, the day's full recompute, 4 and 5, with the pages' own refresh of today left
   out: enough to measure the report pages at this volume in a quarter of the time.)
6. retention: a month of day partitions 400-431 days old (--month-events rows in all) is purged
   as the hourly job does (one DROP per transaction, then the DELETE of what DEFAULT holds past
   the cutoff); the DROPs and the DELETE timed apart.

--reuse NAME takes a database kept by --keep instead: it is migrated to this checkout's head
(`flask db upgrade`, timed: what a migration costs on that data), then only the report pages are
measured (5.), so two commits' pages can be compared on the same data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from events import BATCH, batch_body, lua_script, wrk_run
from reports import measure as measure_reports
from run import (
    HOST,
    HTTP_OK,
    REPO,
    RESULTS_DIR,
    VENV_BIN,
    BenchError,
    _raise_exit,
    app_env,
    ensure_wrk,
    free_port,
    git_commit,
    http_get,
    run_checked,
    start_gunicorn,
    stop_server,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

sys.path.insert(0, str(REPO))

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHUNK = 2_000_000  # rows per INSERT .. SELECT (one transaction each; progress shows)
RETENTION_DAYS = 400

# One session = 20 events in this order (a landing page view, product views, dwell, a cart add, checkout).
SESSION_NAMES = [
    *("page_view", "view_item", "engagement", "engagement", "view_item", "engagement", "add_to_cart"),
    *("page_view", "view_item", "engagement", "engagement", "view_item", "engagement", "page_view"),
    *("view_item", "engagement", "add_to_cart", "begin_checkout", "page_view", "engagement"),
]
SOURCES = ("direct", "social", "search", "referral", "utm", "ref", "pwa")
REFERRERS = ("", "l.instagram.com", "www.google.com", "blog.example.org", "", "", "")

# :lo/:hi the event numbers (from :first), :n how many, :start the first instant, spread over :seconds.
# g / 20 is the session.
BULK_INSERT = """
WITH cat AS (
    SELECT array_agg(slug ORDER BY id) AS slugs, array_agg(vid ORDER BY id) AS vids, count(*)::int AS n
    FROM (SELECT p.id, p.slug, min(v.id) AS vid FROM products p JOIN variants v ON v.product_id = p.id
          GROUP BY p.id, p.slug) x
), ev AS (
    SELECT g, g / 20 AS s, (g % 20)::int AS k, (CAST(:names AS text[]))[1 + (g % 20)::int] AS name
    FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g
)
INSERT INTO events (created_at, name, visitor_id, session_id, cart_hash, path, product_slug, variant_id,
                    quantity, dwell_ms, scroll_pct, source, referrer_host)
SELECT CAST(:start AS timestamp) + make_interval(secs => (ev.g - CAST(:first AS bigint)) * CAST(:seconds AS float8)
                                                     / CAST(:n AS bigint)),
       ev.name,
       md5('v' || (ev.s / 3)),
       md5('s' || ev.s),
       CASE WHEN ev.name IN ('add_to_cart', 'begin_checkout') THEN md5('c' || ev.s) END,
       CASE WHEN ev.k = 0 THEN '/' WHEN ev.name = 'begin_checkout' THEN '/checkout'
            ELSE '/p/' || cat.slugs[1 + ((ev.s * 7919 + ev.k / 4) % cat.n)::int] END,
       CASE WHEN ev.name IN ('view_item', 'engagement', 'add_to_cart')
            THEN cat.slugs[1 + ((ev.s * 7919 + ev.k / 4) % cat.n)::int] END,
       CASE WHEN ev.name IN ('view_item', 'add_to_cart')
            THEN cat.vids[1 + ((ev.s * 7919 + ev.k / 4) % cat.n)::int] END,
       CASE WHEN ev.name = 'add_to_cart' THEN 1 END,
       CASE WHEN ev.name = 'engagement' THEN ((ev.g * 2654435761) % 90000)::int END,
       CASE WHEN ev.name = 'engagement' THEN ((ev.g * 40503) % 101)::int END,
       CASE WHEN ev.k = 0 THEN (CAST(:sources AS text[]))[1 + (ev.s % 7)::int] END,
       CASE WHEN ev.k = 0 THEN nullif((CAST(:referrers AS text[]))[1 + (ev.s % 7)::int], '') END
FROM ev, cat
"""


@contextlib.contextmanager
def scale_database(base_url: str, keep: bool, name: str | None = None) -> Iterator[str]:
    """storefront_scale_<pid> (or `name`), dropped afterwards unless `keep`."""
    name = name or f"storefront_scale_{os.getpid()}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name}", flush=True)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def flask(env: dict, *args: str, timeout: int = 1800) -> float:
    """Run a flask command; its seconds."""
    started = time.perf_counter()
    run_checked([str(VENV_BIN / "flask"), "--app", "wsgi", *args], env, timeout)
    return time.perf_counter() - started


def ensure_partitions(engine: Engine, days: list[date]) -> None:
    """Day partitions for these days (the hourly job makes only today .. +7)."""
    from storefront.analytics import partitions

    with engine.begin() as conn:
        partitions.ensure_days(conn, days)


def bulk_load(engine: Engine, total: int, start: datetime) -> float:
    """Insert `total` generated events spread over the hour from `start` (one UTC day); seconds.

    As a bulk load into a partition is done: into a table of the day without indexes (the rows
    the day already has copied in first), then swapped for the day's partition by ATTACH
    PARTITION, which builds the indexes once, sorted, instead of row by row.
    """
    from storefront.analytics import partitions

    day = start.date()
    name, bulk = partitions.partition_name(day), "events_bulk"
    low, high = (
        datetime.combine(day, datetime.min.time()),
        datetime.combine(day + timedelta(days=1), datetime.min.time()),
    )
    params = {**event_params(total, 3600.0), "first": 0}
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {bulk} (LIKE events INCLUDING DEFAULTS)")
        conn.exec_driver_sql(f"INSERT INTO {bulk} SELECT * FROM {name}")
        conn.exec_driver_sql(f"DROP TABLE {name}")
    for lo in range(0, total, CHUNK):
        hi = min(lo + CHUNK, total) - 1
        with engine.begin() as conn:
            conn.execute(
                text(BULK_INSERT.replace("INSERT INTO events", f"INSERT INTO {bulk}")),
                {**params, "lo": lo, "hi": hi, "start": start},
            )
        rate = (hi + 1) / (time.perf_counter() - started)
        print(f"    {hi + 1:>12,} rows  ({rate:,.0f} rows/s)", flush=True)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {bulk} RENAME TO {name}")
        # A CHECK that proves the range spares ATTACH a second scan of the day.
        check = f"created_at >= '{low}' AND created_at < '{high}'"
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK ({check})")
        conn.exec_driver_sql(f"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')")
        conn.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")
    print(f"    attached with its indexes after {time.perf_counter() - started:,.0f} s", flush=True)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ANALYZE {name}")
    return time.perf_counter() - started


def newest_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one())


def stored_since(engine: Engine, after_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events WHERE id > :id"), {"id": after_id}).scalar_one())


def wait_serving(base: str, proc: subprocess.Popen[bytes]) -> None:
    """/healthz answers 200 (run.wait_healthy also waits for a job worker, which is off here)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError):
            if http_get(base + "/healthz", timeout=2.0)[0] == HTTP_OK:
                return
        time.sleep(0.25)
    raise BenchError("gunicorn did not serve /healthz within 60 s")


def ingest(wrk: str, engine: Engine, env: dict, tmp: Path, args: argparse.Namespace) -> dict:
    """POST /e under wrk against the big partitioned table: stored events/s per run."""
    # The rollup is timed apart: no job worker inside gunicorn (its first round would recompute today).
    env = {**env, "EVENTS_RATE_LIMIT": "100000000 per minute", "JOBS_EMBEDDED_WORKER": "0"}
    script = tmp / "beacon.lua"
    script.write_text(lua_script(batch_body()))
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = tmp / f"gunicorn-{port}.log"
    proc = start_gunicorn(env, port, log)
    runs = []
    try:
        wait_serving(base, proc)
        for index in range(args.runs):
            before = newest_id(engine)
            started = time.monotonic()
            beacon = wrk_run(wrk, base + "/e", script, args.duration)
            elapsed = time.monotonic() - started
            stored = stored_since(engine, before)
            runs.append({"stored_events_s": stored / elapsed, "batches_s": beacon["req_s"], **beacon})
            print(f"    run {index + 1}: {stored / elapsed:,.0f} events/s stored ({beacon['req_s']:,.0f} x {BATCH})")
    finally:
        stop_server(proc)
    return {"stored_events_s": statistics.median(r["stored_events_s"] for r in runs), "runs": runs}


def event_params(total: int, seconds: float) -> dict:
    """BULK_INSERT's parameters for `total` events spread over `seconds`."""
    return {
        "names": SESSION_NAMES,
        "sources": list(SOURCES),
        "referrers": list(REFERRERS),
        "n": total,
        "seconds": seconds,
    }


def rollup_lag(engine: Engine, url: str, hour_start: datetime, args: argparse.Namespace) -> dict:
    """The rollup at this volume: the day's full recompute, the open day's first (whole-day) fold,
    then one incremental step over a minute of new events (--rollup-batch) on top of the day.

    The step is what keeps the reports' lag: at 10,000 events/s it must fold a minute of
    events well within a minute. Afterwards the incremental rows are compared with a full
    recompute of the same events (they must be identical).
    """
    from storefront import create_app
    from storefront.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REQUEST_LOG": False})
    from storefront.analytics import rollup  # after create_app: it maps every model first
    from storefront.analytics.cli import shop_zone

    result: dict = {}
    with app.app_context():
        session, zone = db.session, shop_zone()
        day = rollup.rr.shop_day(hour_start, zone)
        slugs = rollup.variant_slugs(session)
        # 1. The day recomputed whole (what every day gets once, when it is final).
        started = time.perf_counter()
        rollup.recompute_day(session, day, zone, slugs)
        session.commit()
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            day_events = _day_event_count(conn, day, zone)
        result["full_recompute"] = {"events": day_events, "seconds": seconds, "events_s": day_events / seconds}
        print(f"    full recompute of the day: {day_events:,} events in {seconds:,.1f} s", flush=True)
        if args.quick:
            db.session.remove()
            db.engine.dispose()
            return result
        # 2. The open day's first incremental run: every event of the day is new to it.
        session.execute(text("UPDATE rollup_state SET today_refreshed_at = NULL"))
        session.execute(text("DELETE FROM rollup_open_days"))
        session.commit()
        result["first_fold"] = _timed_catch_up(session, zone, day_events)
        print(f"    the open day's first fold (every event new): {result['first_fold']['seconds']:,.1f} s", flush=True)
        # 3. A minute of new events at 10,000/s, then one step.
        batch = args.rollup_batch
        with engine.begin() as conn:
            start = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=65)
            first = args.events + 10_000_000  # session numbers the hour did not use
            params = {**event_params(batch, 60.0), "first": first, "lo": first, "hi": first + batch - 1, "start": start}
            conn.execute(text(BULK_INSERT), params)
        result["step"] = {**_timed_catch_up(session, zone, batch), "day_events_before": day_events}
        step = result["step"]
        print(f"    one step over {batch:,} new events: {step['seconds']:,.1f} s ({step['events_s']:,.0f} events/s)")
        # 4. Identical to a full recompute of the same events?
        tables = ("rollup_days", "rollup_sources", "rollup_products", "rollup_interest")
        incremental = _day_rows(session, tables, day)
        started = time.perf_counter()
        rollup.recompute_day(session, day, zone, slugs)
        seconds = time.perf_counter() - started
        result["identical_to_full_recompute"] = incremental == _day_rows(session, tables, day)
        session.commit()
        with engine.connect() as conn:
            total = _day_event_count(conn, day, zone)
        result["full_recompute_after"] = {"events": total, "seconds": seconds, "events_s": total / seconds}
        print(
            f"    identical to a full recompute ({total:,} events, {seconds:,.1f} s): "
            f"{result['identical_to_full_recompute']}",
            flush=True,
        )
        # 5. The day closes (at midnight, once final) from its fold: the last events folded in, the
        # day's events counted against the fold's count, the sessions without a cart dropped.
        from storefront.analytics.open_day import advance_open_day, close_open_day

        started = time.perf_counter()
        advance_open_day(session, day, zone, datetime.now(UTC).replace(tzinfo=None), slugs)
        closed = close_open_day(session, day, zone)
        session.commit()
        result["close_from_fold"] = {"closed": closed, "seconds": time.perf_counter() - started}
        seconds = result["close_from_fold"]["seconds"]
        print(f"    the day closed from its fold: {closed} in {seconds:,.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return result


def _timed_catch_up(session, zone, events: int) -> dict:
    """One catch-up at the real time (the open day due), committed; seconds and events/s."""
    from storefront.analytics import rollup

    session.execute(text("UPDATE rollup_state SET today_refreshed_at = NULL"))
    session.commit()
    started = time.perf_counter()
    for _progress in rollup.catch_up(session, datetime.now(UTC).replace(tzinfo=None), zone):
        session.commit()
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "events_s": events / seconds}


def _day_event_count(conn, day: date, zone) -> int:
    from storefront.analytics.rollup_rules import day_bounds

    start, end = day_bounds(day, zone)
    sql = "SELECT count(*) FROM events WHERE created_at >= :s AND created_at < :e"
    return int(conn.execute(text(sql), {"s": start, "e": end}).scalar_one())


def _day_rows(session, tables: tuple[str, ...], day: date) -> dict:
    """Every row of the day in these tables, sorted (to compare two ways of computing them)."""
    return {
        t: sorted(map(tuple, session.execute(text(f"SELECT * FROM {t} WHERE day = :d"), {"d": day}))) for t in tables
    }


def drop_a_month(engine: Engine, url: str, total: int) -> dict:
    """A month of old day partitions (`total` rows) purged as the hourly job does; DROPs and DELETEs timed apart.

    History is loaded the way a shop has it: every past day has its partition (migration 0033
    makes one for each day it moves; the hourly job gives any day stranded in DEFAULT its own),
    so nothing of the month lies in DEFAULT. The rows in DEFAULT older than the cutoff (none
    here unless something went wrong) are what the DELETE reads.
    """
    from storefront import create_app
    from storefront.analytics import partitions
    from storefront.analytics.service import delete_expired_events, drop_expired_days
    from storefront.extensions import db

    now = datetime.now(UTC).replace(tzinfo=None)
    first = (now - timedelta(days=RETENTION_DAYS + 31)).date()
    days = [first + timedelta(days=n) for n in range(31)]
    ensure_partitions(engine, days)  # before the rows: none of them lands in DEFAULT
    print(f"  a month of old events ({total:,} rows in {len(days)} day partitions) ...", flush=True)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (created_at, name, session_id, path) SELECT CAST(:first AS timestamp) + "
                "make_interval(secs => g * 31 * 86400.0 / CAST(:n AS bigint)), 'page_view', md5(g::text), '/' "
                "FROM generate_series(0, CAST(:n AS bigint) - 1) g"
            ),
            {"first": datetime.combine(first, datetime.min.time()), "n": total},
        )
        in_default = conn.execute(text(f"SELECT count(*) FROM {partitions.DEFAULT_PARTITION}")).scalar_one()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REQUEST_LOG": False})
    with app.app_context():
        before = partitions.existing_days(db.session.connection())
        db.session.commit()
        started = time.perf_counter()
        dropped = []
        for name in drop_expired_days(db.session, timedelta(days=RETENTION_DAYS), now):
            db.session.commit()  # one DROP per transaction, as the job does
            dropped.append(name)
        drops = time.perf_counter() - started
        deleted = delete_expired_events(db.session, timedelta(days=RETENTION_DAYS), now)
        db.session.commit()
        seconds = time.perf_counter() - started
        left = before - partitions.existing_days(db.session.connection())
        db.session.remove()
        db.engine.dispose()
    return {
        "seconds": seconds,
        "drop_seconds": drops,
        "delete_seconds": seconds - drops,
        "partitions_dropped": len(dropped),
        "partitions_gone": len(left),
        "rows": total,
        "rows_in_default_before": in_default,
        "deleted_row_by_row": deleted,
    }


def interest_totals(url: str) -> dict:
    """Build the interest report's day x product totals of the days just rolled up (the rollup job's last step)."""
    from storefront import create_app
    from storefront.analytics import interest_totals as totals
    from storefront.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REQUEST_LOG": False})
    with app.app_context():
        started = time.perf_counter()
        days = totals.fill(db.session)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return {"seconds": seconds, "days": len(days)}


def stage(result: dict, name: str, measure: Callable[[], dict]) -> None:
    """One figure; a failure is written down and the next figure still measured."""
    try:
        result[name] = measure()
    except Exception as exc:  # noqa: BLE001 - a bench reports what broke and goes on
        print(f"    {name} failed: {exc!r}", flush=True)
        result[name] = {"error": repr(exc)}


def run(args: argparse.Namespace, url: str, tmp: Path) -> dict:
    env = {**app_env(tmp / "unused.db"), "DATABASE_URL": url, "SECRET_KEY": "bench-not-a-secret"}
    result: dict = {}
    engine = create_engine(url)
    try:
        print("  init-db, seed-demo, a month of history (seed-events) ...", flush=True)
        flask(env, "init-db")
        today = datetime.now(UTC).date()
        ensure_partitions(engine, [today - timedelta(days=n) for n in range(1, 40)])
        flask(env, "seed-demo")
        flask(env, "seed-events", "--days", "30", "--n", str(args.history_events), "--orders", "3000")
        hour_start = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=65)
        if hour_start.date() != (hour_start + timedelta(hours=1)).date():  # one UTC day: one partition
            hour_start = datetime.combine(hour_start.date() + timedelta(days=1), datetime.min.time())
        ensure_partitions(engine, [hour_start.date()])
        print(f"  load: {args.events:,} events into the hour from {hour_start:%Y-%m-%d %H:%M} UTC ...", flush=True)
        seconds = bulk_load(engine, args.events, hour_start)
        result["load"] = {"events": args.events, "seconds": seconds, "rows_s": args.events / seconds}
        with engine.connect() as conn:
            size = conn.execute(
                text("SELECT pg_size_pretty(pg_total_relation_size('events_p' || :d))"), {"d": f"{hour_start:%Y%m%d}"}
            ).scalar_one()
        result["load"]["day_partition_size"] = size
        if not args.quick:
            print(f"  ingest: POST /e under wrk ({args.runs} x {args.duration} s) ...", flush=True)
            stage(result, "ingest", lambda: ingest(ensure_wrk(), engine, env, tmp, args))
        print("  rollup: the day's full recompute, the open day's first fold, a minute's step ...", flush=True)
        stage(result, "rollup", lambda: rollup_lag(engine, url, hour_start, args))
        print("  interest totals of the days rolled up ...", flush=True)
        stage(result, "interest_totals", lambda: interest_totals(url))
        print("  report pages ...", flush=True)
        stage(result, "reports", lambda: measure_reports(url, report_args(args)))
        if not args.quick:
            stage(result, "drop_month", lambda: drop_a_month(engine, url, args.month_events))
    finally:
        engine.dispose()
    return result


def report_args(args: argparse.Namespace) -> argparse.Namespace:
    """bench/reports.py's options: 90 days, --report-runs; no refresh of today after --quick (a whole day's fold)."""
    return argparse.Namespace(days=90, runs=args.report_runs, refresh_today=not (args.quick or args.reuse))


def rerun(args: argparse.Namespace, url: str, tmp: Path) -> dict:
    """A kept database: migrated to this checkout's head (timed), then the report pages."""
    env = {**app_env(tmp / "unused.db"), "DATABASE_URL": url, "SECRET_KEY": "bench-not-a-secret"}
    result: dict = {}
    print("  flask db upgrade ...", flush=True)
    result["migrate"] = {"seconds": flask(env, "db", "upgrade", timeout=7200)}
    print(f"    {result['migrate']['seconds']:,.1f} s", flush=True)
    print("  report pages ...", flush=True)
    stage(result, "reports", lambda: measure_reports(url, report_args(args)))
    return result


def rollup_line(x: dict) -> str:
    full = x["full_recompute"]
    line = f"full recompute {full['events']:,} events in {full['seconds']:,.1f} s ({full['events_s']:,.0f} events/s)"
    if "first_fold" not in x:  # --quick
        return line
    return (
        f"{line}; open day's first fold {x['first_fold']['seconds']:,.1f} s; a step over {x['step']['events']:,} new "
        f"events {x['step']['seconds']:,.1f} s (must stay well under 60 s for lag < 5 min); identical to a full "
        f"recompute: {x['identical_to_full_recompute']}; the day closed from its fold: "
        f"{x['close_from_fold']['closed']} in {x['close_from_fold']['seconds']:,.1f} s"
    )


def print_report(result: dict) -> None:
    r = result["results"]
    print(f"\n=== Events at scale (PostgreSQL partitions) ===\n  when: {result['timestamp']}", end="")
    print(f"  commit: {result['commit']}  load average: {result['load_average']}")
    if "load" in r:
        load = r["load"]
        print(f"  load      {load['events']:,} events in {load['seconds']:,.0f} s", end="")
        print(f" ({load['rows_s']:,.0f} rows/s)", end="")
        print(f"; the day's partition: {load['day_partition_size']}")
    if "migrate" in r:
        print(f"  migrate   flask db upgrade of {result['args']['reuse']} in {r['migrate']['seconds']:,.1f} s")
    for name, line in (
        ("ingest", lambda x: f"{x['stored_events_s']:,.0f} events/s stored through POST /e (target >= 10,000)"),
        ("rollup", rollup_line),
        ("interest_totals", lambda x: f"built for {x['days']} days in {x['seconds'] * 1000:,.0f} ms (rollup job)"),
        *(
            (
                "reports",
                lambda x, span=span: (
                    ", ".join(f"{page} {f[span]['median_ms']:.0f}" for page, f in x["pages"].items())
                    + f" ms (median, {span}; target <= 300)"
                ),
            )
            for span in ("30 days", "90 days")
        ),
        (
            "drop_month",
            lambda x: (
                f"{x['partitions_dropped']} day partitions ({x['rows']:,} rows) purged in "
                f"{x['seconds'] * 1000:,.0f} ms (target < 1 s): DROPs {x['drop_seconds'] * 1000:,.0f} ms, "
                f"then the DELETEs {x['delete_seconds'] * 1000:,.0f} ms ({x['deleted_row_by_row']:,} events "
                f"of DEFAULT's {x['rows_in_default_before']:,}; old salts and interest rows)"
            ),
        ),
    ):
        if name not in r and (result["args"]["quick"] or result["args"]["reuse"]):
            continue
        figures = r.get(name, {"error": "not measured"})
        print(f"  {name:<16}" + (f"FAILED: {figures['error']}" if "error" in figures else line(figures)))
    print(f"\nJSON written to {result['json_path']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=36_000_000)
    parser.add_argument("--month-events", type=int, default=3_100_000)
    parser.add_argument("--history-events", type=int, default=300_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--report-runs", type=int, default=5)
    parser.add_argument("--rollup-batch", type=int, default=600_000, help="new events for the incremental step")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--db-name", help="the database to create (default storefront_scale_<pid>)")
    parser.add_argument("--quick", action="store_true", help="load, the day's full recompute, the report pages only")
    parser.add_argument("--reuse", metavar="NAME", help="a database kept by --keep: migrate it, then the report pages")
    args = parser.parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    result = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_commit(), "args": vars(args)}
    try:
        with tempfile.TemporaryDirectory(prefix="shop-bench-scale-") as tmp:
            if args.reuse:
                url = make_url(args.pg_url).set(database=args.reuse).render_as_string(hide_password=False)
                result["results"] = rerun(args, url, Path(tmp))
            else:
                with scale_database(args.pg_url, args.keep, args.db_name) as url:
                    result["results"] = run(args, url, Path(tmp))
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    result["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "events_scale.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    result["json_path"] = str(path.relative_to(REPO))
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
