"""Faults under load (issue 22): break one part at a time while shoppers check out, then reconcile.

    python bench/faults.py --quick          # short windows (worker stopped 30 s, Redis 10 s): development
    python bench/faults.py                  # the full run: Redis stopped 30 s, job worker 5 minutes
    python bench/faults.py --skip postgres  # leave the shared PostgreSQL alone

It starts its own layout (bench/cluster.py: nginx, 2 gunicorn instances, PgBouncer, Redis, one
job worker) on a fresh database, and runs SHOPPERS concurrent shoppers through nginx for the
whole run; each records every request (time, status, whether the body held a traceback) and every
order confirmation it was shown (the order link and the amounts on that page). The faults, one
after another with a recovery pause between: kill -9 one app instance (then restart it); restart
PostgreSQL; stop Redis; stop (SIGSTOP) the job worker. Afterwards it reconciles against the
database: every order a shopper was told about exists with the total it was shown; no order
exists that nobody was told about; each variant's stock equals its ledger (stock_movements);
no payment without an order; every job ran once and none is left; and `flask ops reconcile
--json` when the command exists. Per fault it prints failed requests in the window, the seconds
until every request succeeds again after the part is back, and writes bench/results/faults.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster  # noqa: E402 - after the path
from run import RESULTS_DIR, git_commit  # noqa: E402
from shopper import Shopper, ShopperError  # noqa: E402

SHOPPERS = 6
MONEY_RE = re.compile(r"\$[\d,]+\.\d\d")
REDIS_START = (
    "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no "
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)
STEADY_S = 5.0  # "serving normally again": this many seconds in which every request succeeded


@dataclass
class Record:
    """Everything the shoppers saw (appended under a lock)."""

    requests: list[tuple[float, int, bool]] = field(default_factory=list)  # (time, status or 0, traceback shown)
    told: dict[str, list[str]] = field(default_factory=dict)  # order token -> amounts on its page
    lock: threading.Lock = field(default_factory=threading.Lock)


class RecordingShopper(Shopper):
    """A Shopper that records each answer's time, status and whether it showed a stack trace."""

    def __init__(self, host: str, port: int, record: Record) -> None:
        super().__init__(host, port, timeout=40.0)
        self.record = record

    def request(self, method, path, form=None):
        """Send and record one request; a checkout that got no answer is sent again with its key, as a person would."""
        for _attempt in range(3 if path == "/checkout" and method == "POST" else 1):
            try:
                answer = self._recorded(method, path, form)
            except (OSError, http.client.HTTPException):
                answer = None
            if answer is not None and answer[0] not in (502, 504):
                return answer
            time.sleep(1.0)  # the same checkout key places one order, however often it is sent
        if answer is None:
            raise ConnectionError(f"no answer to {method} {path}")
        return answer

    def _recorded(self, method, path, form=None):
        """Send and record one request (status 0: no answer)."""
        try:
            status, location, body = super().request(method, path, form)
        except (OSError, http.client.HTTPException):
            with self.record.lock:
                self.record.requests.append((time.monotonic(), 0, False))
            raise
        with self.record.lock:
            self.record.requests.append((time.monotonic(), status, "Traceback (most recent call last)" in body))
        if status == 303 and location.split("?")[0].rsplit("/", 2)[-2:-1] == ["o"]:  # told: the confirmation link
            with self.record.lock:
                self.record.told.setdefault(location.split("?")[0].rsplit("/", 1)[-1], [])
        if path.startswith("/o/") and status == 200:
            with self.record.lock:
                self.record.told[path.rsplit("/", 1)[-1]] = MONEY_RE.findall(body)
        return status, location, body


def shop_until(stop: threading.Event, port: int, products: list[tuple[str, int]], offset: int, record: Record) -> None:
    """One shopper thread: complete checkouts one after another until `stop`."""
    shopper, n = RecordingShopper(cluster.HOST, port, record), offset
    while not stop.is_set():
        slug, variant_id = products[n % len(products)]
        n += 1
        shopper.forget()
        try:
            shopper.place_order(shopper.add_to_cart(slug, variant_id))
        except (ShopperError, OSError, http.client.HTTPException):
            shopper.close()
            time.sleep(0.2)  # a shopper who got an error page tries again a moment later


def kill_instance(layout: cluster.Layout, hold: float) -> float:
    """kill -9 one instance (master and workers), restart it after `hold` s; when it serves again."""
    port, pid = next(iter(layout.instances.items()))
    os.killpg(pid, signal.SIGKILL)
    time.sleep(hold)
    layout.start_instance(int(port))
    return time.monotonic()


def restart_postgres(_layout: cluster.Layout, _hold: float) -> float:
    """Restart the shared PostgreSQL server (fast shutdown, start); when it accepts connections."""
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    return time.monotonic()


def stop_redis(_layout: cluster.Layout, hold: float) -> float:
    """Shut Redis down for `hold` s and start it again (the machine's own command); when it answers."""
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], check=False, capture_output=True)
    time.sleep(hold)
    subprocess.run(REDIS_START, shell=True, check=True)  # noqa: S602 - a fixed command
    for _ in range(50):
        if subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
            break
        time.sleep(0.1)
    return time.monotonic()


def stop_worker(layout: cluster.Layout, hold: float) -> float:
    """Freeze the job worker (SIGSTOP) for `hold` s, then let it go on (SIGCONT)."""
    os.kill(layout.worker_pid, signal.SIGSTOP)
    time.sleep(hold)
    os.kill(layout.worker_pid, signal.SIGCONT)
    return time.monotonic()


FAULTS = {"instance": kill_instance, "postgres": restart_postgres, "redis": stop_redis, "worker": stop_worker}


def window_figures(record: Record, started: float, back: float, until: float) -> dict:
    """Failed requests from the fault's start to the next fault, tracebacks, and seconds to steady again."""
    with record.lock:
        seen = [r for r in record.requests if started <= r[0] < until]
    failed = [r for r in seen if r[1] == 0 or r[1] >= 500]
    statuses: dict[str, int] = {}
    for _t, status, _tb in seen:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    last_failure = max((r[0] for r in failed), default=None)
    last_vs_back = None if last_failure is None else round(last_failure - back, 1)
    recovered = None if last_failure is None else max(0.0, last_failure - back)
    if last_failure is not None and until - last_failure < STEADY_S:
        recovered = None  # still failing at the end of the window
    return {
        "requests": len(seen),
        "failed": len(failed),
        "statuses": statuses,
        "tracebacks": sum(1 for r in seen if r[2]),
        "part_back_after_s": round(back - started, 1),
        "serving_normally_s_after_part_back": None if recovered is None else round(recovered, 1),
        "last_failure_s_after_part_back": last_vs_back,  # negative: the failures ended before the part was back
        "steady": recovered is not None or last_failure is None,
    }


def psql(database: str, sql: str) -> list[list[str]]:
    """Rows of a query on the layout's database (direct, not through PgBouncer)."""
    url = f"postgresql://{cluster.PG_USER}@{cluster.PG_HOST}:{cluster.PG_PORT}/{database}"
    out = subprocess.run(["psql", "-X", "-tA", "-F", "\t", url, "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def reconcile(layout: cluster.Layout, record: Record, first_order_id: int) -> dict:
    """The checks after the run, on orders from first_order_id on (the demo's own came before)."""
    placed = psql(layout.database, f"SELECT token, total FROM orders WHERE id >= {int(first_order_id)}")
    orders = {token: int(total) for token, total in placed}
    checks: dict[str, dict] = {}
    told = dict(record.told)
    missing = [t[:8] for t in told if t not in orders]
    wrong = [t[:8] for t, seen in told.items() if t in orders and seen and f"${orders[t] / 100:,.2f}" not in seen]
    checks["told_orders_exist"] = {"ok": not missing and not wrong, "problems": missing + [f"total {t}" for t in wrong]}
    untold = [t[:8] for t in orders if t not in told]
    checks["no_untold_orders"] = {"ok": not untold, "problems": [f"{len(untold)} of {len(orders)}", *untold]}
    ledger = psql(
        layout.database,
        "SELECT v.id, v.on_hand, coalesce(sum(m.delta), 0) FROM variants v "
        "JOIN stock_movements m ON m.variant_id = v.id GROUP BY v.id, v.on_hand HAVING v.on_hand <> sum(m.delta)",
    )
    checks["stock_equals_ledger"] = {"ok": not ledger, "problems": [f"variant {v}: {o} vs {s}" for v, o, s in ledger]}
    orphans = psql(
        layout.database, "SELECT id FROM payments WHERE order_id IS NULL OR order_id NOT IN (SELECT id FROM orders)"
    )
    checks["no_payment_without_order"] = {"ok": not orphans, "problems": [f"payment {p}" for (p,) in orphans]}
    jobs = psql(layout.database, "SELECT id, name, status, attempts FROM jobs WHERE status <> 'done' OR attempts <> 1")
    checks["jobs_ran_once"] = {"ok": not jobs, "problems": [" ".join(row) for row in jobs]}
    with record.lock:
        tracebacks = sum(1 for r in record.requests if r[2])
    checks["no_tracebacks"] = {"ok": tracebacks == 0, "problems": [f"{tracebacks} bodies"] if tracebacks else []}
    return checks


def shop_reconcile(layout: cluster.Layout) -> dict | None:
    """`flask --app wsgi ops reconcile --json` when the shop has it (issue 22's resilience part), else None."""
    command = [str(cluster.VENV_BIN / "flask"), "--app", "wsgi", "ops", "reconcile", "--json"]
    done = subprocess.run(command, cwd=cluster.REPO, env=layout.env(), capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout)
    except ValueError:
        return None


def drain_jobs(layout: cluster.Layout, timeout: float = 120) -> None:
    """Wait until the worker has run every due job (queued or running ones left count as problems)."""
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running') AND run_at <= now() at time zone 'utc'"
    while time.monotonic() < deadline and psql(layout.database, sql)[0][0] != "0":
        time.sleep(1)


def run(args: argparse.Namespace) -> dict:
    """Start the layout, run the load through every fault, stop the load, reconcile; the results."""
    holds = {"instance": 5.0, "postgres": 0.0, "redis": 10.0 if args.quick else 30.0}
    holds["worker"] = 30.0 if args.quick else 300.0
    pause = 10.0 if args.quick else 30.0
    cluster.down(args.run_dir)
    layout = cluster.up(args.run_dir, 2, args.database, fresh=True)
    record, stop, results = Record(), threading.Event(), {}
    try:
        products = cluster.stock_up(layout, units=100_000, variants=4)
        first_order_id = int(psql(layout.database, "SELECT coalesce(max(id), 0) + 1 FROM orders")[0][0])
        threads = [
            threading.Thread(target=shop_until, args=(stop, layout.nginx_port, products, i, record), daemon=True)
            for i in range(args.shoppers)
        ]
        for thread in threads:
            thread.start()
        time.sleep(pause)
        faults = [name for name in FAULTS if name not in args.skip]
        marks = []
        for name in faults:
            print(f"[{time.strftime('%H:%M:%S')}] fault: {name}", flush=True)
            started = time.monotonic()
            back = FAULTS[name](layout, holds[name])
            time.sleep(pause)
            marks.append((name, started, back))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        ends = [m[1] for m in marks[1:]] + [time.monotonic()]
        results = {name: window_figures(record, s, b, end) for (name, s, b), end in zip(marks, ends)}
        drain_jobs(layout)
        checks = reconcile(layout, record, first_order_id)
        report = {"commit": git_commit(), "quick": args.quick, "shoppers": args.shoppers, "faults": results}
        report.update(orders_told=len(record.told), checks=checks, shop_reconcile=shop_reconcile(layout))
    finally:
        stop.set()
        cluster.down(args.run_dir)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "faults.json").write_text(json.dumps(report, indent=2))
    return report


def print_report(report: dict) -> None:
    """The table per fault and the reconciliation."""
    head = f"{'fault':<10} {'requests':>8} {'failed':>7} {'tracebacks':>10} {'part back':>9} {'back to normal':>30}"
    print(f"\n{head}  statuses")
    for name, f in report["faults"].items():
        last = f["last_failure_s_after_part_back"]
        normal = "never" if not f["steady"] else f"{f['serving_normally_s_after_part_back'] or 0:.1f} s"
        normal += "" if last is None else f" (last failure {last:+.1f} s)"
        print(
            f"{name:<10} {f['requests']:>8} {f['failed']:>7} {f['tracebacks']:>10} "
            f"{f['part_back_after_s']:>7.1f} s {normal:>30}  {f['statuses']}"
        )
    print(f"\norders shoppers were told about: {report['orders_told']}")
    for name, check in report["checks"].items():
        print(f"  {'ok ' if check['ok'] else 'BAD'} {name} {check['problems'][:5] if check['problems'] else ''}")
    print(f"flask ops reconcile --json: {report['shop_reconcile'] if report['shop_reconcile'] else 'not available'}")


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short windows (development)")
    parser.add_argument("--shoppers", type=int, default=SHOPPERS)
    parser.add_argument("--skip", nargs="*", default=[], choices=list(FAULTS), help="faults to leave out")
    parser.add_argument("--database", default="storefront_faults")
    parser.add_argument("--run-dir", type=Path, default=Path("/tmp/storefront-faults"))
    report = run(parser.parse_args(argv))
    print_report(report)
    return 0 if all(c["ok"] for c in report["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
