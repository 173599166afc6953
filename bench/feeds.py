"""Serving time of the product feeds on 10,000 products: cold (built from the catalog) and cached.

    .venv/bin/python bench/feeds.py                    # SQLite, 10,000 products, 5 runs
    .venv/bin/python bench/feeds.py --pg --runs 7      # PostgreSQL too (a throw-away database)

The catalog is made the way `make bench` makes it (bench/scale.py's add_products: bulk inserts, 1-4
variants per product, stock through the ledger's shape), plus 1-4 photo rows per product (the feeds leave out a
product without a photo; no image files are needed: a feed only names the renditions). Then
gunicorn (the project's gunicorn.conf.py, 2 workers) serves it on 127.0.0.1 and each feed is
fetched over HTTP, uncompressed, timed to the last byte:
  cold    no finished file at all (deleted first): the feed is read from the database in
          batches, streamed and written to the cache (time to first byte shown too);
  cached  the finished file served as it is (what every fetch gets until the catalog changes),
          and its gzip copy to a fetcher sending Accept-Encoding: gzip;
  304     a fetcher that holds the current feed (If-None-Match);
  stale   the catalog changed (its generation bumped) and the background job has not run yet:
          the previous generation's file is served (SHOP_URL is set here);
  job     the background job's rebuild of that feed for the new generation (storefront.feeds.build
          .rebuild, timed in a child process; the fetchers never wait for it).
Each figure is the median of --runs fetches. Exit code 1 if setup fails or a fetch is not 200/304.
The embedded job worker runs (its first round builds the feeds of the new links before any
timing); its own minutely rebuild may rarely win the race against a stale fetch or a timed
rebuild: such a sample is left out (the count of stale samples kept is printed).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import (  # noqa: E402  (bench/ is the script's folder, first on sys.path)
    HOST,
    VENV_BIN,
    BenchError,
    app_env,
    assert_local,
    free_port,
    run_checked,
    start_gunicorn,
    stop_server,
    wait_healthy,
)

FORMATS = (("google", "google.xml"), ("meta", "meta.csv"))
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="fetches per figure (the median is shown)")
    parser.add_argument("--pg", action="store_true", help="also run on a throw-away PostgreSQL database")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--no-sqlite", action="store_true")
    return parser.parse_args(argv)


def timed_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, int, float, float, str]:
    """GET uncompressed: (status, bytes, seconds to the first byte, seconds to the last, ETag)."""
    request = urllib.request.Request(assert_local(url), headers={"Accept-Encoding": "identity", **(headers or {})})
    started = time.perf_counter()
    try:
        response = _OPENER.open(request, timeout=120)
    except urllib.error.HTTPError as exc:  # a 304 arrives as an "error"
        return exc.code, len(exc.read()), time.perf_counter() - started, time.perf_counter() - started, ""
    with response:
        first = response.read(1)
        first_at = time.perf_counter() - started
        size = len(first) + len(response.read())
        return response.status, size, first_at, time.perf_counter() - started, response.headers.get("ETag", "")


def prepare(env: dict[str, str], products: int) -> dict[str, str]:
    """Migrate, then build the catalog and the links in a child process on env's database; the tokens."""
    run_checked([str(VENV_BIN / "flask"), "--app", "wsgi", "init-db"], env, 600)
    # bench/scale.py run as a script imports catalog.service before every model is mapped (it fails
    # on StockMovement.user), so its add_products is called here after storefront.models is loaded.
    code = (
        "import sys; sys.path[:0] = ['bench', '.']; import storefront.models;"
        f"from feeds import build_catalog; build_catalog({int(products)})"
    )
    out = run_checked([str(VENV_BIN / "python"), "-c", code], env, 1800)
    return dict(line.split(" ", 1) for line in out.splitlines() if line.startswith(("google ", "meta ")))


def build_catalog(products: int) -> None:
    """In the bench database (DATABASE_URL): `products` products as bench/scale.py makes them, 1-4 photo
    rows each, and one feed link per format (printed as "<format> <token>")."""
    from scale import add_products
    from sqlalchemy import insert, select

    from storefront import create_app
    from storefront.catalog.models import Photo, Product
    from storefront.clock import utcnow
    from storefront.extensions import db
    from storefront.feeds import service

    app = create_app({"REQUEST_LOG": False})
    rng = random.Random(7)
    with app.app_context():
        add_products(products, seed=11)
        ids = list(db.session.scalars(select(Product.id).order_by(Product.id)))
        for start in range(0, len(ids), 1000):
            rows = [
                {"product_id": pid, "key": secrets.token_hex(16), "width": 1600, "height": 1200}
                | {"widths": "320,640,1024,1600", "position": n}
                for pid in ids[start : start + 1000]
                for n in range(rng.randint(1, 4))
            ]
            db.session.execute(insert(Photo), rows)
        for fmt, _name in FORMATS:
            _link, token = service.create_link(db.session, f"bench {fmt}", fmt, None, utcnow())
            print(fmt, token)
        db.session.commit()


def bump_generation(env: dict[str, str]) -> None:
    """A catalog change as the feeds see it: the catalog generation goes up by one."""
    code = (
        "import os\nfrom sqlalchemy import create_engine, text\n"
        "with create_engine(os.environ['DATABASE_URL']).begin() as conn:\n"
        "    conn.execute(text('UPDATE catalog_generation SET value = value + 1'))\n"
    )
    run_checked([str(VENV_BIN / "python"), "-c", code], env, 60)


def timed_rebuild(env: dict[str, str], fmt: str) -> float | None:
    """Seconds the background job takes to rebuild this format's file (build.build_missing, timed in a child)."""
    code = (
        "import time, storefront.models\nfrom storefront import create_app\nfrom storefront.extensions import db\n"
        "from storefront.catalog.generation import current\nfrom storefront.feeds import build, cache, service\n"
        "app = create_app({'REQUEST_LOG': False})\n"
        "with app.app_context():\n"
        "    folder = cache.cache_dir(app.config, app.instance_path)\n"
        "    started = time.perf_counter()\n"
        "    settings = service.feed_settings(db.session, app.config, app.config['SHOP_URL'].rstrip('/') + '/')\n"
        f"    built = build.build_missing(db.session, {fmt!r}, settings, current(db.engine), folder)\n"
        "    print(time.perf_counter() - started, built)\n"
    )
    seconds, built = run_checked([str(VENV_BIN / "python"), "-c", code], env, 600).split()[-2:]
    return float(seconds) if built == "True" else None  # None: the embedded worker rebuilt it first


def measure(base: str, tokens: dict[str, str], env: dict[str, str], runs: int) -> list[dict]:
    """Cold, cached, 304, stale fetches and the job's rebuild of each feed; medians."""
    cache_dir = Path(env["FEEDS_CACHE_DIR"])
    rows = []
    for fmt, name in FORMATS:
        url = f"{base}/feeds/{tokens[fmt]}/{name}"
        cold, cached, zipped, not_modified, size, zipped_size, etag = [], [], [], [], 0, 0, ""
        stale, job = [], []
        for _ in range(runs):
            for path in cache_dir.glob(f"{fmt}-*"):
                path.unlink()
            status, size, first, total, etag = timed_get(url)
            _check(status, 200, url)
            cold.append((first, total))
            status, cached_size, _first, total, _etag = timed_get(url)
            _check(status, 200, url)
            if cached_size != size:
                raise BenchError(f"the cached feed differs in size: {cached_size} != {size}")
            cached.append(total)
            status, zipped_size, _first, total, _etag = timed_get(url, {"Accept-Encoding": "gzip"})
            _check(status, 200, url)
            zipped.append(total)
            status, _size, _first, total, _etag = timed_get(url, {"If-None-Match": etag})
            _check(status, 304, url)
            not_modified.append(total)
            bump_generation(env)
            status, stale_size, _first, total, stale_etag = timed_get(url)
            _check(status, 200, url)
            if stale_etag == etag and stale_size == size:  # else the embedded worker had rebuilt it already
                stale.append(total)
            seconds = timed_rebuild(env, fmt)
            if seconds is not None:
                job.append(seconds)
        if not stale or not job:
            raise BenchError("the embedded job worker rebuilt the feed before every stale fetch or timed rebuild")
        rows.append(
            {
                "feed": name,
                "bytes": size,
                "gzip_bytes": zipped_size,
                "cold_first_byte_ms": statistics.median(f for f, _t in cold) * 1000,
                "cold_ms": statistics.median(t for _f, t in cold) * 1000,
                "cached_ms": statistics.median(cached) * 1000,
                "cached_gzip_ms": statistics.median(zipped) * 1000,
                "not_modified_ms": statistics.median(not_modified) * 1000,
                "stale_ms": statistics.median(stale) * 1000,
                "job_ms": statistics.median(job) * 1000,
                "stale_samples": len(stale),
            }
        )
    return rows


def _check(status: int, expected: int, url: str) -> None:
    if status != expected:
        raise BenchError(f"{url.rsplit('/', 1)[1]} answered {status}, not {expected}")


def run_on(label: str, env: dict[str, str], tmp: Path, args: argparse.Namespace) -> list[dict]:
    """Prepare the database named by env, serve it with gunicorn, measure."""
    print(f"[{label}] preparing {args.products:,} products ...", flush=True)
    tokens = prepare(env, args.products)
    port, log_path = free_port(), tmp / f"gunicorn-{label}.log"
    base = f"http://{HOST}:{port}"
    proc = start_gunicorn(env, port, log_path)
    try:
        wait_healthy(base, proc, log_path)
        print(f"[{label}] measuring ({args.runs} runs per figure) ...", flush=True)
        return measure(base, tokens, env, args.runs)
    finally:
        stop_server(proc)


def bench_env(tmp: Path, database_url: str | None = None) -> dict[str, str]:
    """The app's environment: its own database, photos and feed cache in tmp, limits off, a public address."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = app_env(tmp / "bench.db", tmp / "media")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(
        FEEDS_CACHE_DIR=str(tmp / "feeds"), FEEDS_RATE_LIMIT="100000 per hour", SHOP_URL="https://shop.example.com"
    )
    env["COMPRESS_RESPONSES"] = "0"  # the feeds are never compressed anyway; keep every other answer plain too
    return env


def print_table(results: dict[str, list[dict]]) -> None:
    """One line per database and feed."""
    header = f"{'database':<10} {'feed':<11} {'MB':>6} {'gzip MB':>8} {'cold TTFB ms':>13} {'cold ms':>9}"
    print(f"\n{header} {'cached ms':>10} {'gzip ms':>8} {'304 ms':>7} {'stale ms':>9} {'job ms':>7}")
    for label, rows in results.items():
        for r in rows:
            print(
                f"{label:<10} {r['feed']:<11} {r['bytes'] / 1e6:>6.2f} {r['gzip_bytes'] / 1e6:>8.2f}"
                f" {r['cold_first_byte_ms']:>13.1f} {r['cold_ms']:>9.1f} {r['cached_ms']:>10.1f}"
                f" {r['cached_gzip_ms']:>8.1f} {r['not_modified_ms']:>7.1f} {r['stale_ms']:>9.1f} {r['job_ms']:>7.0f}"
                f" (stale samples {r['stale_samples']})"
            )
    print(f"({os.cpu_count()} cores; medians)")


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    results: dict[str, list[dict]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-feeds-") as name:
            tmp = Path(name)
            if not args.no_sqlite:
                results["sqlite"] = run_on("sqlite", bench_env(tmp / "sqlite"), tmp, args)
            if args.pg:
                results["postgresql"] = _run_on_postgres(tmp / "pg", args)
    except (BenchError, subprocess.SubprocessError) as exc:
        print(f"bench/feeds.py: {exc}", file=sys.stderr)
        return 1
    print_table(results)
    return 0


def _run_on_postgres(tmp: Path, args: argparse.Namespace) -> list[dict]:
    """The same on a throw-away PostgreSQL database, always dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"storefront_bench_feeds_{os.getpid()}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
        return run_on("postgresql", bench_env(tmp, url), tmp, args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
