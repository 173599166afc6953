"""`make bench`: shopper routes, POST /e and full checkouts under load, beside a baseline, on SQLite and PostgreSQL.

Per database: a shop scaled to --products products and --events events (or a reused one), the
checkout products stocked up, gunicorn with the project's gunicorn.conf.py and its worker count, then
interleaved rounds over every route (wrk -t2 -c16, or 16 checkout clients), page weight, and a
reconciliation of what the load tools saw against what the database holds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events import BATCH, batch_body, count_events, lua_script, postgres_database, wrk_run
from report import print_report, summarize_database
from reports import count, flask
from run import (
    HOST,
    PRODUCTION_WORKERS,
    REPO,
    RESULTS_DIR,
    VENV_BIN,
    WRK_CONNECTIONS,
    WRK_THREADS,
    BenchError,
    _raise_exit,
    app_env,
    ensure_wrk,
    find_slug,
    free_port,
    git_commit,
    run_checked,
    start_gunicorn,
    stop_server,
    wait_healthy,
)
from shopper import Shopper, checkout_load
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from weight import weigh_page

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# The beacon's per-address limit (120 a minute) would turn wrk's single address into 429s: raised
# for the bench server only, through the setting the app documents. Production defaults are untouched.
BENCH_EVENTS_LIMIT = "100000000 per minute"
SEARCH_WORD = "wool"  # in demo titles and descriptions, and in the scaled catalogue's
CHECKOUT_VARIANTS = 12
SERVER_ERROR_RE = re.compile(rb'"status": 5\d\d')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; --quick changes the defaults, explicit options still win."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="demo shop only (no scaling), 1 run x 3 s")
    parser.add_argument("--duration", type=int, help="seconds per route and run (default 10; quick 3)")
    parser.add_argument("--runs", type=int, help="interleaved rounds over all routes (default 3; quick 1)")
    parser.add_argument("--products", type=int, default=10_000, help="scale the shop to this many products")
    parser.add_argument("--events", type=int, default=1_000_000, help="behaviour events in the database")
    parser.add_argument("--orders", type=int, default=50_000, help="orders seed-events tops up to")
    parser.add_argument("--days", type=int, default=90, help="days of seeded history")
    parser.add_argument("--clients", type=int, default=WRK_CONNECTIONS, help="concurrent checkout clients")
    parser.add_argument("--stock", type=int, default=100_000, help="units each checkout variant is raised to")
    parser.add_argument("--sqlite-file", help="reuse (or create and keep) this SQLite file")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT), help="PostgreSQL server")
    parser.add_argument("--pg-database", help="reuse (or create and keep) this PostgreSQL database URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 10)
    args.runs = args.runs or (1 if args.quick else 3)
    if args.duration < 1 or args.runs < 1 or args.clients < 1:
        parser.error("--duration, --runs and --clients must be >= 1")
    if args.no_pg and args.no_sqlite:
        parser.error("--no-pg and --no-sqlite leave nothing to measure")
    return args


def progress(message: str) -> None:
    """One line of progress, with the time."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def prepare(env: dict[str, str], url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, seed the demo shop if empty, scale it (unless --quick), stock up the checkout variants."""
    timings: dict[str, float] = {}
    _out, timings["init_db_s"] = flask(env, "init-db")
    if count(url, "products") == 0:
        progress("seed-demo (40 products with photos) ...")
        _out, timings["seed_demo_s"] = flask(env, "seed-demo")
    if not args.quick:
        progress(f"scaling to {args.products:,} products (bench/scale.py) ...")
        started = time.perf_counter()
        run_checked([str(VENV_BIN / "python"), "bench/scale.py", "--products", str(args.products)], env, 1800)
        timings["scale_s"] = time.perf_counter() - started
        missing = args.events - count(url, "events")
        if missing > 0:
            progress(f"seed-events --days {args.days} --n {missing:,} --orders {args.orders:,} --no-rollup ...")
            n, days, orders = str(missing), str(args.days), str(args.orders)
            # No rollup: no shopper route reads the report tables (bench/reports.py times those), and
            # rolling up 1M events would double the setup time.
            seed = ("seed-events", "--days", days, "--n", n, "--orders", orders, "--no-rollup")
            _out, timings["seed_events_s"] = flask(env, *seed)
        else:
            progress(f"{args.events:,} events already in the database: reused")
    stock = [str(VENV_BIN / "python"), "bench/scale.py", "--stock-up", str(args.stock)]
    out = run_checked([*stock, "--variants", str(CHECKOUT_VARIANTS)], env, 600)
    variants = [(line.split()[2], int(line.split()[1])) for line in out.splitlines() if line.startswith("checkout-")]
    if not variants:
        raise BenchError("no in-stock demo variant to check out (is the demo shop seeded?)")
    if url.startswith("postgresql"):
        # What autovacuum does a little after a bulk load: without statistics PostgreSQL scanned
        # every variant per listing. (SQLite gets none: a shop's SQLite file has none either.)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
        finally:
            engine.dispose()
    data = {table: count(url, table) for table in ("products", "variants", "events", "orders")}
    progress("data: " + ", ".join(f"{n:,} {table}" for table, n in data.items()))
    return {"timings_s": timings, "rows": data, "checkout_products": variants}


def write_lua(path: Path, lines: list[str]) -> Path:
    """A wrk Lua script of plain assignments."""
    path.write_text("\n".join(lines) + "\n")
    return path


def cart_cookie(port: int, products: list[tuple[str, int]]) -> str:
    """The cookies of a shopper who put two products in the cart with real add-to-cart POSTs."""
    shopper = Shopper(HOST, port)
    try:
        for slug, variant_id in products[:2]:
            shopper.add_to_cart(slug, variant_id)
    finally:
        shopper.close()
    return shopper.cookie_header()


def plan_routes(base: str, port: int, tmp: Path, products: list[tuple[str, int]]) -> dict[str, dict[str, Any]]:
    """Every route of a round: path, and the wrk script or the checkout load that drives it."""
    cookie = cart_cookie(port, products)
    cart_lua = write_lua(tmp / "cart.lua", [f"wrk.headers[{json.dumps('Cookie')}] = {json.dumps(cookie)}"])
    beacon_lua = tmp / "beacon.lua"
    beacon_lua.write_text(lua_script(batch_body()))
    return {
        "baseline": {"path": "/robots.txt"},
        "home": {"path": "/"},
        "category": {"path": f"/c/{find_slug(base, 'c')}"},
        "product": {"path": f"/p/{find_slug(base, 'p')}"},
        "search": {"path": f"/search?q={SEARCH_WORD}"},
        "cart": {"path": "/cart", "script": cart_lua, "cookie": cookie},
        "events": {"path": "/e", "script": beacon_lua},
        "checkout": {"path": "5 requests, pickup + cash", "checkout": True},
    }


def run_round(wrk_bin: str, base: str, url: str, plan: dict, products: list, args: argparse.Namespace) -> dict:
    """One interleaved round over every route; the events run counts stored rows around it."""
    port = int(base.rsplit(":", 1)[1])
    results: dict[str, Any] = {}
    for name, route in plan.items():
        started_at = time.time()
        if route.get("checkout"):
            result = checkout_load(HOST, port, products, args.clients, args.duration)
            shown = (
                f"{result['req_s']:.1f} orders/s ({result['http_req_s']:.0f} req/s;"
                f" the client took {result['client_cpu_core_share']:.0%} of a core)"
            )
        elif name == "events":
            before, started = count_events(url), time.monotonic()
            result = wrk_run(wrk_bin, base + route["path"], route["script"], args.duration)
            result["stored_events"] = count_events(url) - before
            result["stored_events_s"] = result["stored_events"] / (time.monotonic() - started)
            result["accepted_events"] = (result["requests"] - result["non_2xx"]) * BATCH
            result["events_s"] = result["accepted_events"] / args.duration  # 202 answers only
            shown = f"{result['events_s']:,.0f} events/s ({result['req_s']:.0f} batches/s)"
        else:
            result = wrk_run(wrk_bin, base + route["path"], route.get("script"), args.duration)
            shown = f"{result['req_s']:.0f} req/s"
        result["window"] = (started_at, time.time())  # wall clock, to pick this run's request log lines
        results[name] = result
        progress(f"  {name:<9} {shown}, p99 {result['p99_ms'] or 0:.1f} ms")
    return results


def weigh_pages(base: str, plan: dict) -> dict[str, Any]:
    """Page weight of /, a category, a product and the cart (with its two items)."""
    pages = {}
    for name in ("home", "category", "product", "cart"):
        pages[name] = weigh_page(base, plan[name]["path"], plan[name].get("cookie"))
    return pages


def db_state(url: str, variant_ids: list[int]) -> dict[str, int]:
    """Counts the reconciliation compares: orders, stock of the checkout variants, lowest stock anywhere."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = {"ids": variant_ids}
            expanding = bindparam("ids", expanding=True)
            return {
                "orders": conn.execute(text("SELECT count(*) FROM orders")).scalar_one(),
                "checkout_on_hand": conn.execute(
                    text("SELECT coalesce(sum(on_hand), 0) FROM variants WHERE id IN :ids").bindparams(expanding), ids
                ).scalar_one(),
                "min_on_hand": conn.execute(text("SELECT min(on_hand) FROM variants")).scalar_one(),
                "min_available": conn.execute(text("SELECT min(on_hand - reserved) FROM variants")).scalar_one(),
            }
    finally:
        engine.dispose()


def orders_found(url: str, tokens: list[str]) -> tuple[int, int]:
    """(orders in the database among the tokens, units on their lines)."""
    engine = create_engine(url)
    found, units = 0, 0
    sql_orders = text("SELECT count(*) FROM orders WHERE token IN :t").bindparams(bindparam("t", expanding=True))
    sql_units = text(
        "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.token IN :t"
    ).bindparams(bindparam("t", expanding=True))
    try:
        with engine.connect() as conn:
            for start in range(0, len(tokens), 500):
                chunk = {"t": tokens[start : start + 500]}
                found += conn.execute(sql_orders, chunk).scalar_one()
                units += conn.execute(sql_units, chunk).scalar_one()
    finally:
        engine.dispose()
    return found, int(units)


def reconcile(url: str, before: dict, rounds: list[dict], variant_ids: list[int], log_path: Path) -> dict[str, Any]:
    """What the load tools saw accepted against what the database holds; stock never negative; no 5xx."""
    after = db_state(url, variant_ids)
    tokens = [token for r in rounds for token in r["checkout"]["order_tokens"]]
    found, units = orders_found(url, tokens)
    accepted_events = sum(r["events"]["accepted_events"] for r in rounds)
    stored_events = sum(r["events"]["stored_events"] for r in rounds)
    with open(log_path, "rb") as log:
        server_5xx = sum(1 for line in log if SERVER_ERROR_RE.search(line))
    checks = {
        "orders_seen_equal_orders_stored": len(tokens) == after["orders"] - before["orders"] == found,
        "stock_taken_equals_units_ordered": before["checkout_on_hand"] - after["checkout_on_hand"] == units,
        "stock_never_negative": after["min_on_hand"] >= 0 and after["min_available"] >= 0,
        "accepted_events_stored": stored_events >= accepted_events,
        "zero_5xx": server_5xx == 0,
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "orders_seen": len(tokens),
        "orders_new_in_db": after["orders"] - before["orders"],
        "orders_seen_found_in_db": found,
        "units_ordered": units,
        "stock_taken": before["checkout_on_hand"] - after["checkout_on_hand"],
        "min_on_hand": after["min_on_hand"],
        "min_available": after["min_available"],
        "events_accepted": accepted_events,
        "events_stored": stored_events,
        "server_5xx_logged": server_5xx,
    }


def bench_database(name: str, url: str, media: Path, tmp: Path, wrk_bin: str, args: argparse.Namespace) -> dict:
    """Prepare one database, serve it, run every round, weigh the pages, reconcile."""
    env = app_env(tmp / "unused.db", media)
    env.update(DATABASE_URL=url, EVENTS_RATE_LIMIT=BENCH_EVENTS_LIMIT)
    prepared = prepare(env, url, args)
    products = prepared["checkout_products"]
    port, log_path = free_port(), tmp / f"gunicorn-{name}.log"
    base = f"http://{HOST}:{port}"
    progress(f"{name}: gunicorn -c gunicorn.conf.py --workers {PRODUCTION_WORKERS} on {HOST}:{port}")
    proc = start_gunicorn(env, port, log_path, workers=PRODUCTION_WORKERS)
    try:
        wait_healthy(base, proc, log_path)
        plan = plan_routes(base, port, tmp, products)
        before = db_state(url, [vid for _slug, vid in products])
        rounds = []
        for index in range(args.runs):
            progress(f"{name}: round {index + 1}/{args.runs} ({args.duration} s per route)")
            rounds.append(run_round(wrk_bin, base, url, plan, products, args))
        pages = weigh_pages(base, plan)
    finally:
        stop_server(proc)
    log_text = log_path.read_bytes()
    checked = reconcile(url, before, rounds, [vid for _slug, vid in products], log_path)
    result = summarize_database(rounds, plan)
    result.update(prepare=prepared, reconcile=checked, page_weight=pages)
    result["gunicorn_worker_recycles"] = log_text.count(b"Autorestarting worker")
    result["server_ms"] = server_times(log_text, rounds)
    return result


# The request log's route (the URL rule) of each wrk route: its lines give the time spent in the app.
LOGGED_ROUTES = {
    "baseline": "/robots.txt",
    "home": "/",
    "category": "/c/<slug>",
    "product": "/p/<slug>",
    "search": "/search",
    "cart": "/cart",
    "events": "/e",
}


def server_times(log_text: bytes, rounds: list[dict]) -> dict[str, dict[str, float | int]]:
    """p50/p99 of the app's own time per route (request log `ms`: Flask in, response out), all runs.

    Beside wrk's latencies, which add the wait for a worker and a core, this says how much of a
    slow answer is the app and how much is queueing on a saturated machine. Only the lines logged
    while wrk ran that route count (the checkout load also opens product pages, with cookies).
    """
    entries = []
    for line in log_text.splitlines():
        if line.startswith(b'{"ts"'):
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    times = {}
    for name, rule in LOGGED_ROUTES.items():
        windows = [r[name]["window"] for r in rounds if name in r]
        values = sorted(
            float(e.get("ms", 0))
            for e in entries
            if e.get("route") == rule and any(start <= e.get("ts", 0) <= end for start, end in windows)
        )
        if values:
            times[name] = {
                "n": len(values),
                "p50_ms": values[len(values) // 2],
                "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))],
            }
    return times


def sqlite_target(args: argparse.Namespace, tmp: Path) -> tuple[str, Path]:
    """The SQLite URL and the media folder (kept beside a reused file)."""
    path = Path(args.sqlite_file).resolve() if args.sqlite_file else tmp / "bench.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}", path.with_name(path.name + ".media")


def ensure_database(server_url: str, name: str) -> None:
    """Create the kept database on the server if it does not exist yet."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                progress(f"creating database {name} (kept for later runs)")
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def postgres_target(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[str, Path]]:
    """The PostgreSQL URL (a throw-away database unless --pg-database) and its media folder."""
    if args.pg_database:
        name = make_url(args.pg_database).database
        ensure_database(args.pg_url, name)
        yield args.pg_database, RESULTS_DIR / f"media-{name}"
        return
    with postgres_database(args.pg_url) as url:
        yield url, tmp / "pg-media"


def save(result: dict[str, Any]) -> list[Path]:
    """bench/results/bench-<db>-<time>.json per database, and latest.json with everything."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(result["timestamp"]).strftime("%Y%m%dT%H%M%SZ")
    common = {k: v for k, v in result.items() if k != "databases"}
    paths = []
    for name, data in result["databases"].items():
        path = RESULTS_DIR / f"bench-{name}-{stamp}.json"
        path.write_text(json.dumps({**common, "databases": {name: data}}, indent=2, default=str) + "\n")
        paths.append(path)
    latest = RESULTS_DIR / "latest.json"
    latest.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return [*paths, latest]


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0; 1 on setup failure, a failed reconciliation, 5xx or non-2xx/3xx under load."""
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    result: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu_cores": os.cpu_count(),
        "gunicorn_workers": PRODUCTION_WORKERS,
        "wrk": {"threads": WRK_THREADS, "connections": WRK_CONNECTIONS},
        "checkout_clients": args.clients,
        "duration_s": args.duration,
        "runs": args.runs,
        "quick": args.quick,
        "target_rows": None if args.quick else {"products": args.products, "events": args.events},
        "databases": {},
    }
    started = time.monotonic()
    try:
        wrk_bin = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="shop-bench-") as tmp_dir:
            tmp = Path(tmp_dir)
            if not args.no_sqlite:
                url, media = sqlite_target(args, tmp)
                progress(f"SQLite: {url}")
                result["databases"]["sqlite"] = bench_database("sqlite", url, media, tmp, wrk_bin, args)
            if not args.no_pg:
                with postgres_target(args, tmp) as (url, media):
                    progress(f"PostgreSQL: {make_url(url).render_as_string(hide_password=True)}")
                    result["databases"]["postgresql"] = bench_database("postgresql", url, media, tmp, wrk_bin, args)
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"\nbench failed: database unreachable ({exc.orig}); --no-pg skips PostgreSQL", file=sys.stderr)
        return 1
    result["wall_time_s"] = round(time.monotonic() - started)
    paths = save(result)
    result["json_paths"] = [str(p.relative_to(REPO)) for p in paths]
    return print_report(result)


if __name__ == "__main__":
    sys.exit(main())
