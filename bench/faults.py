"""Faults under load (issue 22): break one part at a time while shoppers check out, then reconcile.

    python bench/faults.py --quick          # short windows (worker stopped 30 s, Redis 10 s): development
    python bench/faults.py                  # the full run: Redis stopped 30 s, job worker 5 minutes
    python bench/faults.py --skip payments  # leave a fault out

It starts its own layout (bench/cluster.py: its OWN PostgreSQL 15 cluster and redis-server on free
ports, nginx, 2 gunicorn instances, PgBouncer, one job worker) and breaks only those: the machine's
shared PostgreSQL and Redis are never restarted or stopped. Card payments go to a local fake
Stripe (tests/payments/fake_stripe.py served over HTTP, STRIPE_API_BASE pointing at it); every
third shopper pays by card on it. It runs SHOPPERS concurrent shoppers through nginx for the
whole run; each records every request (time, status, whether the body held a traceback) and every
order confirmation it was shown (the order link and the amounts on that page). The faults, one
after another with a recovery pause between: kill -9 one app instance (then restart it); restart
PostgreSQL; stop Redis; stop (SIGSTOP) the job worker; make the payment provider hang (it accepts
connections and never answers). Afterwards it waits (bounded) for the job queue to drain and it reconciles against the
database: every order a shopper was told about exists with the total it was shown; no order
exists that nobody was told about; each variant's stock equals its ledger (stock_movements);
no payment without an order (every page paid on the fake Stripe belongs to an order that went ahead
or was refunded); every job done, none failed or left (a job done on its second attempt after the
first was rolled back ran once: its first attempt's effects were undone); and `flask ops reconcile
--json` when the command exists. Per fault it prints failed requests in the window, the seconds
until every request succeeds again after the part is back, and writes bench/results/faults.json.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # tests.payments.fake_stripe

import cluster  # noqa: E402 - after the path
from run import RESULTS_DIR, git_commit  # noqa: E402
from shopper import Shopper, ShopperError  # noqa: E402

from tests.payments import fake_stripe  # noqa: E402 - the shop's own test double of Stripe

SHOPPERS = 6
MONEY_RE = re.compile(r"\$[\d,]+\.\d\d")
CARD_EVERY = 3  # every third shopper pays by card
CLEAR_WORDS = ("try again", "nothing was charged", "in a moment")  # an error page that says what to do
DRAIN_TIMEOUT_S = 180.0
SESSION_RE = re.compile(r"/c/pay/(cs_test_[0-9a-f]+)")


class HangingStripe(fake_stripe.FakeStripe):
    """The fake Stripe, which during `hanging` accepts each request and never answers it (dropped at the end)."""

    def __init__(self) -> None:
        super().__init__()
        self.hanging = threading.Event()
        self.released = threading.Event()
        self.hung = 0

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if self.hanging.is_set():
            with self.lock:
                self.hung += 1
            self.released.wait()
            raise fake_stripe.stripe.APIConnectionError("fake: hung, never answered")
        return super().request(method, url, headers, post_data, _usage=_usage)


STEADY_S = 5.0  # "serving normally again": this many seconds in which every request succeeded


@dataclass
class Record:
    """Everything the shoppers saw (appended under a lock)."""

    requests: list[tuple[float, int, bool, bool]] = field(default_factory=list)  # (time, status or 0, traceback, clear)
    told: dict[str, list[str]] = field(default_factory=dict)  # order token -> amounts on its page
    failures: list[tuple[float, str]] = field(default_factory=list)  # (time, "POST /checkout 502")
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
        except (OSError, http.client.HTTPException) as exc:
            with self.record.lock:
                self.record.requests.append((time.monotonic(), 0, False, False))
                self.record.failures.append((time.monotonic(), f"{method} {path.split('?')[0]} {type(exc).__name__}"))
            raise
        with self.record.lock:
            clear = status < 500 or any(word in body.lower() for word in CLEAR_WORDS)
            self.record.requests.append((time.monotonic(), status, "Traceback (most recent call last)" in body, clear))
            if status >= 500:
                self.record.failures.append((time.monotonic(), f"{method} {path.split('?')[0]} {status}"))
        if status == 303 and location.split("?")[0].rsplit("/", 2)[-2:-1] == ["o"]:  # told: the confirmation link
            with self.record.lock:
                self.record.told.setdefault(location.split("?")[0].rsplit("/", 1)[-1], [])
        if path.startswith("/o/") and status == 200:
            with self.record.lock:
                self.record.told[path.rsplit("/", 1)[-1]] = MONEY_RE.findall(body)
        return status, location, body


def pay_by_card(shopper: RecordingShopper, token: str, stripe: HangingStripe) -> None:
    """A card checkout: place the order, pay on the (fake) Stripe page, come back to the shop."""
    status, _, page = shopper.request("GET", "/checkout")
    key = re.search(r'name="checkout_key"[^>]*value="([^"]+)"', page) if status == 200 else None
    if not key:
        raise ShopperError("checkout form", status)
    form = {**shopper_form(page), "csrf_token": token, "checkout_key": key.group(1), "payment_method": "card"}
    status, location, _ = shopper.request("POST", "/checkout", form)
    found = SESSION_RE.search(location or "")
    if status != 303 or not found:
        raise ShopperError("place card order", status, location)
    with stripe.lock:
        session = stripe.sessions[found.group(1)]
        if session["status"] == "open":
            stripe.pay(session["id"])
        back = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    parts = urllib.parse.urlsplit(back)
    status, location, _ = shopper.request("GET", f"{parts.path}?{parts.query}")
    if status != 303:
        raise ShopperError("back from the payment page", status)
    shopper.request("GET", urllib.parse.urlsplit(location).path)


def shopper_form(page: str) -> dict:
    """The load shopper's form with the page's first pickup store."""
    from shopper import CHECKOUT_FORM, PICKUP_RE, VALUE_RE

    form = dict(CHECKOUT_FORM)
    stores = PICKUP_RE.search(page)
    if stores:
        first = VALUE_RE.search(stores.group(1))
        form["pickup_store"] = first.group(1) if first else ""
    return form


def shop_until(
    stop: threading.Event,
    port: int,
    products: list[tuple[str, int]],
    offset: int,
    record: Record,
    stripe: HangingStripe | None = None,
) -> None:
    """One shopper thread: complete checkouts one after another until `stop` (by card when given `stripe`)."""
    shopper, n = RecordingShopper(cluster.HOST, port, record), offset
    while not stop.is_set():
        slug, variant_id = products[n % len(products)]
        n += 1
        shopper.forget()
        try:
            token = shopper.add_to_cart(slug, variant_id)
            if stripe is not None:
                pay_by_card(shopper, token, stripe)
            else:
                shopper.place_order(token)
        except (ShopperError, OSError, http.client.HTTPException, KeyError):
            shopper.close()
            time.sleep(0.2)  # a shopper who got an error page tries again a moment later


def kill_instance(layout: cluster.Layout, hold: float) -> float:
    """kill -9 one instance (master and workers), restart it after `hold` s; when it serves again."""
    port, pid = next(iter(layout.instances.items()))
    os.killpg(pid, signal.SIGKILL)
    time.sleep(hold)
    layout.start_instance(int(port))
    return time.monotonic()


def restart_postgres(layout: cluster.Layout, _hold: float) -> float:
    """Restart the layout's OWN PostgreSQL cluster (fast shutdown, start); when it accepts connections."""
    if not layout.pg_data:
        raise SystemExit("refusing to restart a shared PostgreSQL: run without --shared-servers")
    cluster.pg_ctl("restart", Path(layout.pg_data))
    return time.monotonic()


def stop_redis(layout: cluster.Layout, hold: float) -> float:
    """Stop the layout's OWN redis-server for `hold` s and start it again on its port; when it answers."""
    if not layout.redis_port:
        raise SystemExit("refusing to stop a shared Redis: run without --shared-servers")
    cluster.stop_own_redis(layout.run_dir)
    time.sleep(hold)
    cluster.start_own_redis(layout.run_dir, layout.redis_port)
    return time.monotonic()


STRIPE: HangingStripe | None = None  # the run's fake Stripe (set by run())


def hang_payments(_layout: cluster.Layout, hold: float) -> float:
    """The payment provider accepts connections and never answers for `hold` s; then it answers again."""
    assert STRIPE is not None
    STRIPE.released.clear()
    STRIPE.hanging.set()
    time.sleep(hold)
    STRIPE.hanging.clear()
    STRIPE.released.set()
    return time.monotonic()


def stop_worker(layout: cluster.Layout, hold: float) -> float:
    """Freeze the job worker (SIGSTOP) for `hold` s, then let it go on (SIGCONT)."""
    os.kill(layout.worker_pid, signal.SIGSTOP)
    time.sleep(hold)
    os.kill(layout.worker_pid, signal.SIGCONT)
    return time.monotonic()


FAULTS = {
    "instance": kill_instance,
    "postgres": restart_postgres,
    "redis": stop_redis,
    "worker": stop_worker,
    "payments": hang_payments,
}


def window_figures(record: Record, started: float, back: float, until: float) -> dict:
    """Failed requests from the fault's start to the next fault, tracebacks, and seconds to steady again."""
    with record.lock:
        seen = [r for r in record.requests if started <= r[0] < until]
        kinds: dict[str, int] = {}
        for _t, what in (f for f in record.failures if started <= f[0] < until):
            what = re.sub(r"/(p|o)/[^/ ]+", r"/\1/<x>", what)
            kinds[what] = kinds.get(what, 0) + 1
    failed = [r for r in seen if r[1] == 0 or r[1] >= 500]
    statuses: dict[str, int] = {}
    for _t, status, _tb, _clear in seen:
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
        "failed_requests": kinds,  # "POST /checkout 502": how many
        "tracebacks": sum(1 for r in seen if r[2]),
        "unclear_failures": sum(1 for r in failed if not r[3]),  # no answer, or an error page without advice
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
    # A card order whose payment page never opened (the provider hung) went back at once: the shopper
    # was told "nothing was charged" on the checkout form, and the order is unpaid with no payment taken.
    gone_back = {
        t
        for (t,) in psql(
            layout.database, f"SELECT token FROM orders WHERE id >= {int(first_order_id)} AND status = 'unpaid'"
        )
    }
    # A card order whose page was paid was told by Stripe's own receipt page, whether or not the
    # shopper's way back to the shop got through (the webhook settles it either way).
    if STRIPE is not None:
        with STRIPE.lock:
            paid_ids = {s["client_reference_id"] for s in STRIPE.sessions.values() if s.get("payment_status") == "paid"}
        ids = psql(layout.database, f"SELECT token, id FROM orders WHERE id >= {int(first_order_id)}")
        gone_back |= {t for t, order_id in ids if order_id in paid_ids and t not in told}
    untold = [t[:8] for t in orders if t not in told and t not in gone_back]
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
    # Ran once: done, never failed, none left. A job done on a later attempt is fine when the earlier
    # attempt was rolled back (its database effects undone); ops.rules' jobs check says the same.
    jobs = psql(layout.database, "SELECT id, name, status, attempts FROM jobs WHERE status <> 'done'")
    checks["jobs_ran_once"] = {"ok": not jobs, "problems": [" ".join(row) for row in jobs]}
    retried = psql(layout.database, "SELECT name, count(*) FROM jobs WHERE status = 'done' AND attempts > 1 GROUP BY 1")
    checks["jobs_ran_once"]["retried_after_rollback"] = {name: int(n) for name, n in retried}
    if STRIPE is not None:
        checks["card_payments"] = card_checks(layout, STRIPE)
    with record.lock:
        tracebacks = sum(1 for r in record.requests if r[2])
    checks["no_tracebacks"] = {"ok": tracebacks == 0, "problems": [f"{tracebacks} bodies"] if tracebacks else []}
    return checks


def card_checks(layout: cluster.Layout, stripe: HangingStripe) -> dict:
    """Every page paid on the fake Stripe: its order went ahead and was marked paid once, or it was refunded."""
    with stripe.lock:
        paid = {s["client_reference_id"]: s for s in stripe.sessions.values() if s.get("payment_status") == "paid"}
        refunded = {i["id"] for i in stripe.intents.values() if i["amount_refunded"] >= i["amount"]}
        opened, hung = len(stripe.sessions), stripe.hung
    rows = psql(
        layout.database,
        "SELECT o.id, o.status, coalesce(p.status, ''), "
        "(SELECT count(*) FROM order_status_changes c WHERE c.order_id = o.id AND c.event = 'pay') "
        "FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.payment_method = 'card'",
    )
    orders = {order_id: (status, pay_status, int(pays)) for order_id, status, pay_status, pays in rows}
    problems = []
    for order_id, session in paid.items():
        if session["payment_intent"] in refunded:
            continue
        status, pay_status, pays = orders.get(order_id, ("missing", "", 0))
        if pay_status != "paid" or pays != 1:
            problems.append(
                f"order {order_id}: paid on Stripe, order {status}, payment {pay_status}, marked paid {pays}x"
            )
    settled = sum(1 for s, p, n in orders.values() if p == "paid" and n == 1)
    return {
        "ok": not problems,
        "problems": problems,
        "card_orders": len(orders),
        "pages_opened": opened,
        "pages_paid": len(paid),
        "settled_once": settled,
        "refunded": len(refunded),
        "requests_hung": hung,
    }


def deliver_webhooks(layout: cluster.Layout, stripe: HangingStripe) -> int:
    """Stripe delivers checkout.session.completed for every paid page (as it retries until answered); count."""
    with stripe.lock:
        paid = [s["id"] for s in stripe.sessions.values() if s.get("payment_status") == "paid"]
    delivered = 0
    for session_id in paid:
        with stripe.lock:
            payload, header = stripe.event("checkout.session.completed", session_id)
        for _ in range(5):
            conn = http.client.HTTPConnection(cluster.HOST, layout.nginx_port, timeout=30)
            try:
                conn.request(
                    "POST", "/stripe/webhook", payload, {"Stripe-Signature": header, "Content-Type": "application/json"}
                )
                if conn.getresponse().status == 200:
                    delivered += 1
                    break
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(1)
    return delivered


def shop_reconcile(layout: cluster.Layout) -> dict | None:
    """`flask --app wsgi ops reconcile --json` when the shop has it (issue 22's resilience part), else None."""
    command = [str(cluster.VENV_BIN / "flask"), "--app", "wsgi", "ops", "reconcile", "--json"]
    done = subprocess.run(command, cwd=cluster.REPO, env=layout.env(), capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout)
    except ValueError:
        return None


def drain_jobs(layout: cluster.Layout, timeout: float = DRAIN_TIMEOUT_S) -> dict:
    """Wait (at most `timeout` s) until the worker has run every due job; whether it drained, when, what was left."""
    started = time.monotonic()
    sql = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running') AND run_at <= now() at time zone 'utc'"
    left = int(psql(layout.database, sql)[0][0])
    at_start = left
    while left and time.monotonic() - started < timeout:
        time.sleep(1)
        left = int(psql(layout.database, sql)[0][0])
    return {
        "due_at_start": at_start,
        "drained": left == 0,
        "seconds": round(time.monotonic() - started, 1),
        "left": left,
    }


def run(args: argparse.Namespace) -> dict:
    """Start the layout, run the load through every fault, stop the load, reconcile; the results."""
    global STRIPE  # noqa: PLW0603 - the fault functions reach the run's fake Stripe
    holds = {"instance": 5.0, "postgres": 0.0, "redis": 10.0 if args.quick else 30.0}
    holds["worker"] = 30.0 if args.quick else 300.0
    holds["payments"] = 20.0 if args.quick else 30.0
    pause = 10.0 if args.quick else 30.0
    cluster.down(args.run_dir)
    STRIPE = HangingStripe()
    with contextlib.ExitStack() as stack:
        stripe_url = stack.enter_context(fake_stripe.serving(STRIPE))
        return _run(args, holds, pause, stripe_url)


def _run(args: argparse.Namespace, holds: dict, pause: float, stripe_url: str) -> dict:
    """run() with the fake Stripe serving at stripe_url."""
    stripe_env = {
        "STRIPE_SECRET_KEY": fake_stripe.API_KEY,
        "STRIPE_WEBHOOK_SECRET": fake_stripe.WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_url,
    }
    layout = cluster.up(
        args.run_dir, 2, args.database, fresh=True, own_servers=not args.shared_servers, extra_env=stripe_env
    )
    record, stop, results = Record(), threading.Event(), {}
    try:
        products = cluster.stock_up(layout, units=100_000, variants=4)
        first_order_id = int(psql(layout.database, "SELECT coalesce(max(id), 0) + 1 FROM orders")[0][0])
        threads = [
            threading.Thread(
                target=shop_until,
                args=(
                    stop,
                    layout.nginx_port,
                    products,
                    i,
                    record,
                    STRIPE if i % CARD_EVERY == CARD_EVERY - 1 else None,
                ),
                daemon=True,
            )
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
        webhooks = deliver_webhooks(layout, STRIPE)
        drained = drain_jobs(layout)
        print(
            f"job queue: {'drained' if drained['drained'] else 'NOT drained'} in {drained['seconds']} s "
            f"({drained['due_at_start']} due at the start, {drained['left']} left)",
            flush=True,
        )
        checks = reconcile(layout, record, first_order_id)
        report = {"commit": git_commit(), "quick": args.quick, "shoppers": args.shoppers, "faults": results}
        report.update(orders_told=len(record.told), webhooks_delivered=webhooks, drain=drained)
        report.update(checks=checks, shop_reconcile=shop_reconcile(layout))
    finally:
        stop.set()
        cluster.down(args.run_dir)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "faults.json").write_text(json.dumps(report, indent=2))
    return report


def print_report(report: dict) -> None:
    """The table per fault and the reconciliation."""
    head = f"{'fault':<10} {'requests':>8} {'failed':>7} {'unclear':>7} {'tracebacks':>10} {'part back':>9}"
    head += f" {'back to normal':>30}"
    print(f"\n{head}  statuses")
    for name, f in report["faults"].items():
        last = f["last_failure_s_after_part_back"]
        normal = "never" if not f["steady"] else f"{f['serving_normally_s_after_part_back'] or 0:.1f} s"
        normal += "" if last is None else f" (last failure {last:+.1f} s)"
        print(
            f"{name:<10} {f['requests']:>8} {f['failed']:>7} {f['unclear_failures']:>7} {f['tracebacks']:>10} "
            f"{f['part_back_after_s']:>7.1f} s {normal:>30}  {f['statuses']}"
        )
        if f["failed_requests"]:
            print(f"{'':<10} failed: {f['failed_requests']}")
    print(
        f"\norders shoppers were told about: {report['orders_told']}; "
        f"webhooks delivered: {report['webhooks_delivered']}"
    )
    d = report["drain"]
    print(
        f"job queue after the run: {'drained' if d['drained'] else 'NOT drained'} in {d['seconds']} s, {d['left']} left"
    )
    for name, check in report["checks"].items():
        extra = {k: v for k, v in check.items() if k not in ("ok", "problems")}
        print(
            f"  {'ok ' if check['ok'] else 'BAD'} {name} "
            f"{check['problems'][:5] if check['problems'] else ''} {extra or ''}"
        )
    print(f"flask ops reconcile --json: {report['shop_reconcile'] if report['shop_reconcile'] else 'not available'}")


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short windows (development)")
    parser.add_argument("--shoppers", type=int, default=SHOPPERS)
    parser.add_argument("--skip", nargs="*", default=[], choices=list(FAULTS), help="faults to leave out")
    parser.add_argument("--database", default="storefront_faults")
    parser.add_argument("--run-dir", type=Path, default=Path("/tmp/storefront-faults"))
    parser.add_argument(
        "--shared-servers", action="store_true", help="the machine's PostgreSQL/Redis (skip postgres and redis then)"
    )
    report = run(parser.parse_args(argv))
    print_report(report)
    return 0 if all(c["ok"] for c in report["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
