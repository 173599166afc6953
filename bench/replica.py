"""Reports on a real streaming replica (issue 22): a second PostgreSQL 15 cluster on this machine.

    .venv/bin/python bench/replica.py [--primary postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                      [--events 5000] [--orders 100] [--pause 12]

Steps (everything is torn down at the end, also on failure or Ctrl-C):
1. Check the primary can stream (wal_level replica or logical, max_wal_senders > 0: changing those
   needs a restart of the shared server, so the script only says so) and that pg_hba.conf lets
   127.0.0.1 connect for replication; if not, it appends one line ("host replication postgres
   127.0.0.1/32 trust", marked with this script's name), reloads, and removes the line at the end.
2. `pg_basebackup -R -X stream` from the primary into a data directory under /tmp, run as the
   postgres OS user, then `pg_ctl start` of that copy on a free port (a hot standby).
3. On the primary: a bench database with `init-db`, `seed-demo`, `seed-events` (written after the
   standby started, so every row reaches it by streaming), an owner and a Google feed link.
4. gunicorn with DATABASE_URL = the primary and DATABASE_REPLICA_URL = the standby; the owner signs
   in and loads every report page, a CSV export, the feed and the segments page. Each answer's
   X-Figures-Source header, the replica's lag and its pg_stat_database counters before and after
   show the standby served them.
5. Replay paused on the standby while the primary writes: a report page then says how far behind
   its figures are. Then the standby is stopped: the page falls back to the primary with a notice.
Figures are printed and written to bench/results/replica.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import requests
from run import (
    HOST,
    REPO,
    RESULTS_DIR,
    VENV_BIN,
    BenchError,
    app_env,
    free_port,
    git_commit,
    log_tail,
    run_checked,
    start_gunicorn,
    stop_server,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(REPO))

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HBA_MARK = "# added by storefront bench/replica.py"
HBA_LINE = f"host replication postgres 127.0.0.1/32 trust  {HBA_MARK}\n"
OWNER, PASSWORD = "bench-owner@example.com", "bench-password-not-secret"  # noqa: S105 - throw-away database
PAGES = ("", "funnel", "products", "interest", "when", "customers", "where", "sources", "promotions")
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
NOTICE_RE = re.compile(r'<p class="alert replica-notice" role="status">([^<]*)</p>')
STATS_SQL = text(
    "SELECT xact_commit + xact_rollback, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = :name"
)
LAG_SQL = text(
    "SELECT pg_is_in_recovery(), EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()),"
    " pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
)


def as_postgres(*cmd: str, timeout: int = 600) -> str:
    """Run a PostgreSQL tool as the postgres OS user (the data directory must be theirs)."""
    return run_checked(["runuser", "-u", "postgres", "--", *cmd], None, timeout)


def scalar_rows(url: str, sql, **params) -> list:
    """One short query on its own connection (AUTOCOMMIT); the rows."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(sql if not isinstance(sql, str) else text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def check_primary(admin_url: str) -> dict:
    """wal_level, max_wal_senders and a replication line in pg_hba.conf (added if missing); what changed."""
    (level, senders, hba_file), *_ = scalar_rows(
        admin_url,
        "SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int, current_setting('hba_file')",
    )
    if level not in ("replica", "logical") or senders < 1:
        raise BenchError(
            f"the primary has wal_level={level}, max_wal_senders={senders}: set wal_level=replica and "
            "max_wal_senders >= 1 and restart it (not done here: other work shares this server)"
        )
    changed = {"wal_level": level, "max_wal_senders": senders, "hba_file": hba_file, "hba_line_added": False}
    if not _hba_allows_tcp(admin_url):
        with open(hba_file, "a", encoding="utf-8") as hba:
            hba.write(HBA_LINE)
        scalar_rows(admin_url, "SELECT pg_reload_conf()")
        time.sleep(0.5)
        changed["hba_line_added"] = True
    return changed


def _hba_allows_tcp(admin_url: str) -> bool:
    """Whether a host line lets 127.0.0.1 replicate (a local-only rule is not enough for pg_basebackup -h)."""
    rows = scalar_rows(
        admin_url,
        "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND error IS NULL"
        " AND type LIKE 'host%' AND (address IN ('127.0.0.1', 'all', '0.0.0.0') OR address IS NULL)",
    )
    return rows[0][0] > 0


def restore_hba(hba_file: str, admin_url: str) -> None:
    """Remove the line this script added, and reload."""
    lines = Path(hba_file).read_text(encoding="utf-8").splitlines(keepends=True)
    Path(hba_file).write_text("".join(line for line in lines if HBA_MARK not in line), encoding="utf-8")
    scalar_rows(admin_url, "SELECT pg_reload_conf()")


def start_standby(primary: str, folder: Path) -> tuple[int, float]:
    """pg_basebackup -R into `folder`, configure and start the copy as a hot standby; (port, seconds of the copy)."""
    url = make_url(primary)
    started = time.perf_counter()
    as_postgres(
        str(PG_BIN / "pg_basebackup"),
        *("-h", url.host or HOST, "-p", str(url.port or 5432), "-U", "postgres"),
        *("-D", str(folder), "-R", "-X", "stream", "-c", "fast", "--no-sync", "--no-slot"),
    )
    copied = time.perf_counter() - started
    port = free_port()
    # Debian keeps postgresql.conf and pg_hba.conf in /etc: the copy gets its own, minimal ones.
    conf = [
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{folder}'",
        "hot_standby = on",
        "shared_buffers = 32MB",
        "fsync = off",  # a throw-away copy: no 20 s sync of the data directory at start
    ]
    (folder / "postgresql.conf").write_text("\n".join(conf) + "\n")
    (folder / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (folder / "pg_ident.conf").write_text("")
    for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
        shutil.chown(folder / name, "postgres", "postgres")
    log = folder / "standby.log"
    try:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder), "-l", str(log), "-w", "-t", "120", "start")
    except BenchError as err:
        raise BenchError(f"{err}\n{log.read_text(errors='replace')[-3000:] if log.exists() else '(no log)'}") from err
    return port, copied


def stop_standby(folder: Path) -> None:
    """pg_ctl stop -m fast (nothing if it is not running)."""
    with contextlib.suppress(BenchError):
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder), "-m", "fast", "-w", "stop", timeout=60)


def wait_caught_up(primary_db: str, standby_db: str, timeout: float = 120) -> float:
    """Wait until the standby replayed everything the primary wrote so far; the seconds it took."""
    target = scalar_rows(primary_db, "SELECT pg_current_wal_lsn()")[0][0]
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with contextlib.suppress(Exception):
            behind = scalar_rows(standby_db, "SELECT pg_wal_lsn_diff(:t, pg_last_wal_replay_lsn())", t=target)
            if behind[0][0] is not None and behind[0][0] <= 0:
                return time.perf_counter() - started
        time.sleep(0.05)
    raise BenchError(f"the standby did not catch up within {timeout:.0f}s")


def seed_primary(env: dict, args: argparse.Namespace) -> str:
    """init-db, seed-demo, seed-events, an owner and a Google feed link on the primary; the feed token."""
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run_checked([*flask, "init-db"], env, 600)
    run_checked([*flask, "seed-demo"], env, 600)
    run_checked(
        [*flask, "seed-events", "--days", "30", "--n", str(args.events), "--orders", str(args.orders)], env, 900
    )
    from storefront import create_app
    from storefront.auth.service import upsert_user
    from storefront.clock import utcnow
    from storefront.extensions import db
    from storefront.feeds import service

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "bench", "REQUEST_LOG": False})
    with app.app_context():
        owner = upsert_user(db.session, OWNER, PASSWORD, "owner", now=utcnow())
        db.session.flush()
        _link, token = service.create_link(db.session, "Bench", "google", owner.id, utcnow())
        db.session.commit()
        db.engine.dispose()
    return token


def wait_up(base: str, proc, log_path: Path, timeout: float = 90) -> None:
    """Wait for /healthz to answer 200 (run.wait_healthy also waits for the job worker, off here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited:\n{log_tail(log_path)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/healthz", timeout=2, proxies={"http": None}).status_code == 200:  # noqa: PLR2004
                return
        time.sleep(0.25)
    raise BenchError(f"/healthz not 200 after {timeout:.0f}s:\n{log_tail(log_path)}")


def signed_in(base: str) -> requests.Session:
    """The owner's browser session over HTTP."""
    browser = requests.Session()
    browser.trust_env = False  # local server: no proxy
    token = CSRF_RE.search(browser.get(base + "/login").text).group(1)
    answer = browser.post(
        base + "/login", data={"email": OWNER, "password": PASSWORD, "csrf_token": token}, allow_redirects=False
    )
    if answer.status_code != 303:
        raise BenchError(f"the owner could not sign in: HTTP {answer.status_code}")
    return browser


def load(browser: requests.Session, url: str) -> dict:
    """One page or file: status, ms, bytes, where its figures came from, and the notice shown."""
    started = time.perf_counter()
    answer = browser.get(url)
    found = NOTICE_RE.search(answer.text) if "html" in answer.headers.get("Content-Type", "") else None
    return {
        "url": re.sub(r"^feeds/[^/]+/", "feeds/<token>/", url.split("/", 3)[-1]),  # the token is a secret
        "status": answer.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "bytes": len(answer.content),
        "source": answer.headers.get("X-Figures-Source"),
        "lag_s": answer.headers.get("X-Replica-Lag-Seconds"),
        "notice": found.group(1).replace("\u202f", " ") if found else None,
    }


def stats(standby_db: str, name: str) -> list[int]:
    """The standby's own counters for the bench database: transactions, rows returned, rows fetched."""
    return [int(v) for v in scalar_rows(standby_db, STATS_SQL, name=name)[0]]


def lag(standby_db: str) -> dict:
    """What the standby says about its lag: in recovery, seconds since the last replayed commit, bytes unreplayed."""
    recovering, seconds, unreplayed = scalar_rows(standby_db, LAG_SQL)[0]
    return {"in_recovery": recovering, "replay_age_s": float(seconds or 0), "unreplayed_bytes": int(unreplayed or 0)}


def exercise(args: argparse.Namespace, tmp: Path, result: dict) -> None:
    """Standby up, shop seeded, gunicorn on both; the loads, the lag line and the fallback."""
    admin = args.primary
    result["primary"] = check_primary(admin)
    hba_file = result["primary"]["hba_file"]
    folder = tmp / "standby"
    folder.mkdir()
    shutil.chown(folder, "postgres", "postgres")
    os.chmod(folder, 0o700)
    name = f"storefront_bench_replica_{os.getpid()}"
    primary_db = make_url(admin).set(database=name).render_as_string(hide_password=False)
    proc = None
    try:
        port, copied = start_standby(admin, folder)
        standby_db = make_url(primary_db).set(port=port).render_as_string(hide_password=False)
        print(f"standby: pg_basebackup -R took {copied:.1f}s; hot standby on 127.0.0.1:{port}", flush=True)
        scalar_rows(admin, f'CREATE DATABASE "{name}"')
        env = {**app_env(tmp / "unused.db"), "DATABASE_URL": primary_db, "FEEDS_CACHE_DIR": str(tmp / "feeds")}
        env.update(REQUEST_LOG="0", JOBS_EMBEDDED_WORKER="0")  # report pages catch their rollups up themselves
        started = time.perf_counter()
        token = seed_primary(env, args)
        print(f"primary: bench shop seeded in {time.perf_counter() - started:.1f}s", flush=True)
        result["caught_up_after_seed_s"] = round(wait_caught_up(primary_db, standby_db), 3)
        result["lag_idle"] = lag(standby_db)
        before = stats(standby_db, name)
        env["DATABASE_REPLICA_URL"] = standby_db
        web = free_port()
        base = f"http://{HOST}:{web}"
        proc = start_gunicorn(env, web, tmp / "gunicorn.log")
        wait_up(base, proc, tmp / "gunicorn.log")
        browser = signed_in(base)
        loads = [load(browser, f"{base}/admin/reports/{page}") for page in PAGES]
        loads.append(load(browser, f"{base}/admin/reports/products.csv"))
        loads.append(load(browser, f"{base}/admin/segments"))
        loads.append(load(browser, f"{base}/feeds/{token}/google.xml"))
        result["loads"] = loads
        result["lag_after_loads"] = lag(standby_db)
        # Replay paused while the primary commits: the standby falls behind and the page says so.
        scalar_rows(standby_db, "SELECT pg_wal_replay_pause()")
        scalar_rows(primary_db, "CREATE TABLE bench_replica_tick (at timestamptz DEFAULT now())")
        time.sleep(args.pause)  # also lets the standby's backends flush their statistics
        result["standby_stats_delta"] = dict(
            zip(
                ("transactions", "tup_returned", "tup_fetched"),
                [b - a for a, b in zip(before, stats(standby_db, name))],
            )
        )
        result["lag_paused"] = lag(standby_db)
        result["paused_page"] = load(browser, f"{base}/admin/reports/")
        scalar_rows(standby_db, "SELECT pg_wal_replay_resume()")
        # The standby stops: the page falls back to the primary and says so.
        stop_standby(folder)
        result["standby_down_page"] = load(browser, f"{base}/admin/reports/")
        result["standby_down_csv"] = load(browser, f"{base}/admin/reports/products.csv")
    finally:
        if proc is not None:
            stop_server(proc)
        stop_standby(folder)
        with contextlib.suppress(Exception):
            scalar_rows(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if result.get("primary", {}).get("hba_line_added"):
            restore_hba(hba_file, admin)
            print("primary: the replication line was removed from pg_hba.conf again", flush=True)


def report(result: dict) -> None:
    """Print the figures."""
    print(f"\nprimary: {json.dumps(result['primary'])}")
    print(f"standby caught up {result['caught_up_after_seed_s']}s after the seeding ended; idle: {result['lag_idle']}")
    print(f"{'page':<45}{'HTTP':>5}{'ms':>8}{'bytes':>9}  source   lag_s")
    for row in result["loads"]:
        figures = f"{row['status']:>5}{row['ms']:>8}{row['bytes']:>9}"
        print(f"{row['url'][:44]:<45}{figures}  {row['source'] or '-':<8} {row['lag_s']}")
    print(f"standby's own pg_stat_database for the bench database during the loads: {result['standby_stats_delta']}")
    print(f"lag after the loads: {result['lag_after_loads']}")
    print(f"replay paused: {result['lag_paused']}; the page says: {result['paused_page']['notice']!r}")
    down = result["standby_down_page"]
    print(f"standby stopped: HTTP {down['status']}, source {down['source']}, the page says: {down['notice']!r}")
    csv = result["standby_down_csv"]
    print(f"standby stopped, CSV: HTTP {csv['status']}, source {csv['source']}")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print, write bench/results/replica.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--primary", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--pause", type=float, default=12.0, help="seconds replay stays paused (over the 10 s notice)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise BenchError("run as root: pg_basebackup and pg_ctl run as the postgres OS user (runuser)")
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    result: dict = {"commit": git_commit(), "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with tempfile.TemporaryDirectory(prefix="storefront-replica-", dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 - the postgres user reaches its data directory inside
        exercise(args, Path(tmp), result)
    report(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "replica.json").write_text(json.dumps(result, indent=2, default=str))
    bad = [r for r in result["loads"] if r["status"] != 200 or (r["source"] not in ("replica", None))]
    return 1 if bad or result["standby_down_page"]["status"] != 200 else 0


if __name__ == "__main__":
    sys.exit(main())
