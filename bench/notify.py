"""Notification figures for the closing note: push throughput of the job worker, and new-order alert latency.

(a) throughput: a fresh database (`init-db`), N push subscriptions of one owner account on the
    local push service of the tests (tests/notify/push_server.py: a real HTTP server on loopback
    that verifies every VAPID JWT against the shop's key and decrypts every aes128gcm body), N
    `notify.send` jobs queued directly in the database, then one real worker process
    (`flask --app wsgi jobs work --burst`) is started and timed until the push service has
    accepted all N. Figure: messages per second (SQLite, and PostgreSQL unless --no-pg).
(b) latency: the demo shop (init-db, seed-demo) served by gunicorn (2 workers, gunicorn.conf.py)
    with its embedded job worker polling every JOBS_POLL_SECONDS; the owner signs in over HTTP and
    subscribes a device (POST /notify/push {"account": true}); then M cash orders are placed one
    after another over HTTP, and for each the time from the checkout POST's 303 arriving to the
    push service receiving the owner's "New order" alert is measured. Figures: median and p99.

    .venv/bin/python bench/notify.py [--messages 2000] [--orders 50] [--poll 0.2] [--no-pg]

Results: printed, and written to bench/results/notify.json. Every server is on 127.0.0.1 and
stopped at the end; the PostgreSQL database `storefront_bench_<pid>` is dropped.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from events import PG_DEFAULT, postgres_database
from run import (
    HOST,
    REPO,
    RESULTS_DIR,
    VENV_BIN,
    WORKERS,
    BenchError,
    _raise_exit,
    app_env,
    assert_local,
    free_port,
    git_commit,
    prepare_db,
    run_checked,
    start_gunicorn,
    stop_server,
    wait_healthy,
)

sys.path.insert(0, str(REPO))  # the shop's packages, and the tests' local push service

from tests.notify.push_server import PushService  # noqa: E402

OWNER_EMAIL, OWNER_PASSWORD = "owner@example.com", "bench-owner-password"
CHECKOUT = {
    "customer_name": "Ada Shopper",
    "phone": "+44 20 7946 0958",
    "email": "",
    "delivery_method": "delivery",
    "street": "1 High Street",
    "city": "London",
    "region": "",
    "postcode": "N1 9GU",
    "country": "GB",
    "payment_method": "cash",
    "note": "",
}
WORKER_TIMEOUT_S = 900
ALERT_TIMEOUT_S = 30.0


class TimedPushService(PushService):
    """The tests' push service, also noting when each accepted push arrived (monotonic, before its checks)."""

    def __post_init__(self) -> None:
        """The parent's state, and an empty list of arrival times."""
        super().__post_init__()
        self.arrivals: list[float] = []

    def handle_push(self, subscription_id: str, headers, body: bytes) -> int:
        """Check and record one push (the parent's work), keeping its arrival time when accepted."""
        arrived = time.monotonic()
        status = super().handle_push(subscription_id, headers, body)
        if status == 201:
            with self._lock:
                self.arrivals.append(arrived)
        return status


def raw_vapid_key() -> str:
    """A fresh VAPID private key, as the VAPID_PRIVATE_KEY setting takes it (raw 32 bytes, base64url)."""
    number = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


def shop_env(database_url: str, tmp: Path, vapid_key: str, poll: float | None = None) -> dict[str, str]:
    """The app's environment: its database, a VAPID key, http:// loopback push endpoints allowed."""
    env = app_env(tmp / "bench.db")
    env["DATABASE_URL"] = database_url
    env["VAPID_PRIVATE_KEY"] = vapid_key
    env["PUSH_ALLOW_HTTP_ENDPOINTS"] = "1"
    env["SMTP_HOST"] = ""
    if poll is not None:
        env["JOBS_POLL_SECONDS"] = str(poll)
    return env


def in_app(env: dict[str, str]):
    """The shop's app object in this process, on the same database and key as the servers."""
    from storefront import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "SECRET_KEY": env["SECRET_KEY"],
            "MEDIA_ROOT": env["MEDIA_ROOT"],
            "VAPID_PRIVATE_KEY": env["VAPID_PRIVATE_KEY"],
            "PUSH_ALLOW_HTTP_ENDPOINTS": True,
            "JOBS_EMBEDDED_WORKER": False,
        }
    )


# -- (a) messages per second ---------------------------------------------------------------------


def throughput(database_url: str, label: str, messages: int, tmp: Path) -> dict:
    """Queue `messages` send jobs to distinct devices, time one real worker process sending them all."""
    from sqlalchemy import select

    from storefront import jobs
    from storefront.auth.models import User
    from storefront.auth.service import upsert_user
    from storefront.clock import utcnow
    from storefront.extensions import db
    from storefront.notify import rules, service, webpush
    from storefront.notify.models import Notification, PushSubscription

    env = shop_env(database_url, tmp, raw_vapid_key())
    run_checked([str(VENV_BIN / "flask"), "--app", "wsgi", "init-db"], env, 180)
    app = in_app(env)
    with TimedPushService() as pushes:
        pushes.expected_key = webpush.public_key(app.config)
        print(f"[{label}] queueing {messages} notify.send jobs to {messages} devices ...", flush=True)
        with app.app_context():
            now = utcnow()
            upsert_user(db.session, OWNER_EMAIL, OWNER_PASSWORD, "owner", now=now)
            db.session.commit()
            owner = db.session.scalars(select(User).where(User.email == OWNER_EMAIL)).one()
            context = {
                "ref": "K7F3Q-BENCH",
                "total": 5500,
                "currency": "USD",
                "delivery": "delivery",
                "store": "",
                "city": "London",
                "name": "Ada Shopper",
                "items": 1,
                "order_id": 0,
                "base": "https://shop.example/",
            }
            for index in range(messages):
                device = pushes.new_subscription()
                sub = PushSubscription(
                    endpoint=device["endpoint"],
                    endpoint_hash=service.endpoint_hash(device["endpoint"]),
                    p256dh=device["keys"]["p256dh"],
                    auth=device["keys"]["auth"],
                    user_id=owner.id,
                    locale="en",
                    created_at=now,
                )
                db.session.add(sub)
                db.session.flush()
                note = Notification(
                    event_key=f"bench:{index}",
                    kind=rules.Kind.ALERT_NEW_ORDER.value,
                    channel="push",
                    recipient=rules.push_recipient(sub.id),
                    subscription_id=sub.id,
                    user_id=owner.id,
                    locale="en",
                    context=context,
                    status="queued",
                    detail="",
                    created_at=now,
                )
                db.session.add(note)
                db.session.flush()
                jobs.enqueue(db.session, service.SEND, {"id": note.id}, key=f"notification:{note.id}", now=now)
            db.session.commit()
            db.engine.dispose()
        print(f"[{label}] one worker: flask --app wsgi jobs work --burst ...", flush=True)
        started = time.monotonic()
        worker = subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "work", "--burst"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            received = pushes.wait_for(messages, timeout=WORKER_TIMEOUT_S)
            done = time.monotonic()
            worker.wait(timeout=60)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        if len(received) < messages or pushes.rejected:
            raise BenchError(
                f"[{label}] {len(received)} of {messages} pushes arrived, {len(pushes.rejected)} refused: "
                f"{pushes.rejected[:3]}\n{worker.stderr.read().decode(errors='replace')[-2000:]}"
            )
        first = min(pushes.arrivals)
        elapsed = done - started
        with app.app_context():
            sent = db.session.scalar(
                select(db.func.count()).select_from(Notification).where(Notification.status == "sent")
            )
            db.engine.dispose()
    result = {
        "database": label,
        "messages": messages,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(messages / elapsed, 1),
        # without the worker's start (importing the app): first push accepted to last
        "steady_messages_per_second": round((messages - 1) / (max(pushes.arrivals) - first), 1),
        "worker_start_seconds": round(first - started, 2),
        "logged_sent": sent,
    }
    print(
        f"[{label}] {messages} pushes in {elapsed:.1f} s: {result['messages_per_second']} msg/s "
        f"({result['steady_messages_per_second']} msg/s after the worker's {result['worker_start_seconds']} s start)",
        flush=True,
    )
    return result


# -- (b) order placed -> owner's alert -----------------------------------------------------------


def csrf_of(html: str) -> str:
    """The page's CSRF token."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    if not match:
        raise BenchError("no CSRF token in the page")
    return match.group(1)


def local_session() -> requests.Session:
    """A browser for 127.0.0.1 only (no proxies from the environment)."""
    browser = requests.Session()
    browser.trust_env = False
    return browser


def stocked_variant(env: dict[str, str], orders: int) -> int:
    """A variant of a published demo product with stock for every order (raised if needed)."""
    from sqlalchemy import select

    from storefront.catalog.models import Product, Variant
    from storefront.clock import utcnow
    from storefront.extensions import db
    from storefront.inventory.service import adjust_stock

    app = in_app(env)
    with app.app_context():
        variant = db.session.scalars(
            select(Variant).join(Product).where(Product.published.is_(True)).order_by(Variant.id)
        ).first()
        if variant.on_hand - variant.reserved < orders + 5:
            adjust_stock(db.session, variant.id, orders + 5, "bench", utcnow(), None)
            db.session.commit()
        found = variant.id
        db.engine.dispose()
    return found


def latency(orders: int, poll: float, tmp: Path) -> dict:
    """gunicorn with its embedded worker; the owner's device; `orders` checkouts timed to their alert."""
    env = shop_env(f"sqlite:///{tmp / 'bench.db'}", tmp, raw_vapid_key(), poll)
    print(f"Preparing the demo shop in {tmp} (init-db, seed-demo, create-admin) ...", flush=True)
    prepare_db(env)
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run_checked([*flask, "create-admin", "--email", OWNER_EMAIL, "--password", OWNER_PASSWORD], env, 120)
    variant_id = stocked_variant(env, orders)
    port = free_port()
    base = assert_local(f"http://{HOST}:{port}")
    log_path = tmp / "gunicorn.log"
    print(f"Starting gunicorn ({WORKERS} workers, embedded job worker, JOBS_POLL_SECONDS={poll}) ...", flush=True)
    proc = start_gunicorn(env, port, log_path)
    delays: list[float] = []
    try:
        wait_healthy(base, proc, log_path)
        with TimedPushService() as pushes:
            owner = local_session()
            token = csrf_of(owner.get(base + "/login").text)
            signed_in = owner.post(
                base + "/login",
                data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "csrf_token": token, "next": ""},
                allow_redirects=False,
            )
            if signed_in.status_code != 303:
                raise BenchError(f"the owner could not sign in: HTTP {signed_in.status_code}")
            page = owner.get(base + "/admin/")
            key = re.search(r'data-push-key="([^"]+)"', page.text)
            device = pushes.new_subscription(expected_key=key.group(1) if key else None)
            answer = owner.post(
                base + "/notify/push",
                json={"subscription": device, "account": True},
                headers={"X-CSRFToken": csrf_of(page.text)},
            )
            if answer.status_code != 201:
                raise BenchError(f"subscribing the owner's device: HTTP {answer.status_code} {answer.text[:200]}")
            print(f"Placing {orders} cash orders one after another ...", flush=True)
            for number in range(orders):
                shopper = local_session()
                token = csrf_of(shopper.get(base + "/cart").text)
                added = shopper.post(
                    base + "/cart/add",
                    data={"variant_id": variant_id, "quantity": 1, "csrf_token": token},
                    allow_redirects=False,
                )
                form = shopper.get(base + "/checkout").text
                checkout_key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', form).group(1)
                fields = {**CHECKOUT, "phone": f"0171 555 {number:04d}", "checkout_key": checkout_key}
                placed = shopper.post(base + "/checkout", data={**fields, "csrf_token": token}, allow_redirects=False)
                answered = time.monotonic()
                if added.status_code != 303 or placed.status_code != 303:
                    raise BenchError(f"order {number}: add {added.status_code}, checkout {placed.status_code}")
                [*_, alert] = pushes.wait_for(number + 1, timeout=ALERT_TIMEOUT_S)
                if len(pushes.received) < number + 1:
                    raise BenchError(f"order {number}: no alert within {ALERT_TIMEOUT_S:.0f} s")
                if not str(alert.payload.get("title", "")).startswith("New order"):
                    raise BenchError(f"order {number}: unexpected push {alert.payload}")
                delays.append(pushes.arrivals[number] - answered)
            if pushes.rejected:
                raise BenchError(f"the push service refused pushes: {pushes.rejected[:3]}")
    finally:
        stop_server(proc)
    ordered = sorted(delays)
    p99 = ordered[math.ceil(0.99 * len(ordered)) - 1]  # nearest rank: of 50, the slowest
    result = {
        "orders": orders,
        "jobs_poll_seconds": poll,
        "gunicorn_workers": WORKERS,
        "median_ms": round(statistics.median(delays) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "negative": sum(1 for d in delays if d < 0),  # the alert arrived before the 303 reached the client
    }
    print(
        f"order placed -> owner's alert: median {result['median_ms']} ms, p99 {result['p99_ms']} ms "
        f"(min {result['min_ms']}, max {result['max_ms']}; {orders} orders; JOBS_POLL_SECONDS={poll})",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and write bench/results/notify.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="pushes the worker sends (a)")
    parser.add_argument("--orders", type=int, default=50, help="orders placed one after another (b)")
    parser.add_argument("--poll", type=float, default=0.2, help="JOBS_POLL_SECONDS of the embedded worker (b)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--no-pg", action="store_true", help="(a) on SQLite only")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    result: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu_count": os.cpu_count(),
        "throughput": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
            result["throughput"].append(
                throughput(f"sqlite:///{Path(tmp) / 'push.db'}", "sqlite", args.messages, Path(tmp))
            )
        if not args.no_pg:
            with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp, postgres_database(args.pg_url) as url:
                result["throughput"].append(throughput(url, "postgresql", args.messages, Path(tmp)))
        with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
            result["latency"] = latency(args.orders, args.poll, Path(tmp))
    except BenchError as exc:
        print(f"bench/notify.py: {exc}", file=sys.stderr)
        return 1
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "notify.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nNotifications (bench/notify.py), {result['cpu_count']} cores:")
    for row in result["throughput"]:
        print(
            f"  worker -> push service, {row['database']:<10} {row['messages_per_second']:>7} msg/s "
            f"({row['messages']} pushes in {row['seconds']} s; {row['steady_messages_per_second']} msg/s once started)"
        )
    lat = result["latency"]
    print(
        f"  order placed -> owner's alert: median {lat['median_ms']} ms, p99 {lat['p99_ms']} ms "
        f"over {lat['orders']} orders (gunicorn {lat['gunicorn_workers']} workers, "
        f"JOBS_POLL_SECONDS={lat['jobs_poll_seconds']})"
    )
    print(f"Written: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
