"""Concurrency attack: 200 shoppers check out the last 10 units at once, over HTTP, against gunicorn.

For SQLite and PostgreSQL: a fresh database with one product of 10 units, gunicorn with 4 workers
(the project's gunicorn.conf.py), 200 shoppers who each filled a cart and opened the checkout form,
then all press "Place order" together. Printed and saved to bench/results/attack.json: orders
placed, units sold, final stock, answers by status, 5xx and connection errors, oversold units
(must be 0), and whether what the shoppers were told matches what the database holds.

    .venv/bin/python bench/attack.py [--shoppers 200] [--units 10] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    HOST,
    RESULTS_DIR,
    VENV_BIN,
    app_env,
    free_port,
    run_checked,
    start_gunicorn,
    stop_server,
    wait_healthy,
)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WORKERS = 4
CHECKOUT = {
    "customer_name": "Load Shopper",
    "phone": "+1 555 0100",
    "delivery_method": "pickup",
    "payment_method": "cash",
}
SEED = """
from storefront import create_app
from storefront.catalog import service as catalog
from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
app = create_app()
with app.app_context():
    product = catalog.save_product(db.session, Product(), title="Last coats", slug="", description_md="",
                                   price=9000, category_id=None, featured=True, now=utcnow())
    variant = catalog.add_variant(db.session, product, sku="LAST-1", name="One size", price_override=None,
                                  low_stock_threshold=1)
    adjust_stock(db.session, variant.id, {units}, "initial", utcnow(), None)
    db.session.commit()
    print(variant.id)
"""


def prepare_shopper(base: str, variant_id: int) -> tuple[requests.Session, str, str]:
    """A shopper with one unit in the cart and the checkout form open."""
    browser = requests.Session()
    page = browser.get(f"{base}/cart", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    added = browser.post(
        f"{base}/cart/add",
        data={"csrf_token": token, "variant_id": variant_id, "quantity": 1},
        allow_redirects=False,
        timeout=30,
    )
    if added.status_code != 303:
        raise RuntimeError(f"add to cart answered {added.status_code}")
    form = browser.get(f"{base}/checkout", timeout=30).text
    key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', form).group(1)
    # Drop the kept-alive connection: the server closes idle ones after its keepalive (5 s), and a
    # request sent on a connection being closed fails on the client side before the shop sees it.
    browser.close()
    return browser, token, key


def attack(base: str, variant_id: int, shoppers: int) -> tuple[Counter, float]:
    """Prepare every shopper, then have all of them place their order at the same moment."""
    with ThreadPoolExecutor(16) as pool:
        ready = list(pool.map(lambda _: prepare_shopper(base, variant_id), range(shoppers)))
    barrier = threading.Barrier(shoppers)

    def place(shopper) -> str:
        browser, token, key = shopper
        barrier.wait()
        try:
            answer = browser.post(
                f"{base}/checkout",
                data={**CHECKOUT, "csrf_token": token, "checkout_key": key},
                allow_redirects=False,
                timeout=120,
            )
            return str(answer.status_code)
        except requests.RequestException as exc:
            return f"error:{type(exc).__name__}"

    started = time.perf_counter()
    with ThreadPoolExecutor(shoppers) as pool:
        outcomes = Counter(pool.map(place, ready))
    return outcomes, time.perf_counter() - started


def database_state(url: str, variant_id: int) -> dict[str, int]:
    """What the database holds after the attack."""
    engine = create_engine(url)
    with engine.connect() as conn:
        on_hand, reserved = conn.execute(
            text("SELECT on_hand, reserved FROM variants WHERE id = :v"), {"v": variant_id}
        ).one()
        orders = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
        units = conn.execute(
            text("SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE variant_id = :v"), {"v": variant_id}
        ).scalar_one()
        ledger = conn.execute(
            text("SELECT coalesce(sum(delta), 0) FROM stock_movements WHERE variant_id = :v"), {"v": variant_id}
        ).scalar_one()
    engine.dispose()
    return {
        "orders": orders,
        "units_sold": int(units),
        "final_stock": on_hand,
        "reserved": reserved,
        "ledger_sum": int(ledger),
    }


def run_one(name: str, url: str, work: Path, shoppers: int, units: int) -> dict:
    """The attack on one database."""
    env = app_env(work / "unused.db")
    env.update(DATABASE_URL=url, REQUEST_LOG="0")  # app_env sets a bench secret
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run_checked([*flask, "init-db"], env, 180)
    variant_id = int(run_checked([str(VENV_BIN / "python"), "-c", SEED.format(units=units)], env, 120).split()[-1])
    port, log = free_port(), work / f"gunicorn-{name}.log"
    proc = start_gunicorn(env, port, log, workers=WORKERS)
    base = f"http://{HOST}:{port}"
    try:
        wait_healthy(base, proc, log)
        outcomes, seconds = attack(base, variant_id, shoppers)
    finally:
        stop_server(proc)
    state = database_state(url, variant_id)
    placed = outcomes.get("303", 0)
    return {
        "database": name,
        "shoppers": shoppers,
        "units": units,
        "answers": dict(outcomes),
        "seconds": round(seconds, 2),
        "server_errors": sum(n for code, n in outcomes.items() if code.startswith("5")),
        "connection_errors": sum(n for code, n in outcomes.items() if code.startswith("error")),
        **state,
        "oversold": max(0, state["units_sold"] - units),
        "told_equals_stored": placed == state["orders"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="attack-") as tmp:
        work = Path(tmp)
        results.append(run_one("sqlite", f"sqlite:///{work / 'attack.db'}", work, args.shoppers, args.units))
        if not args.no_pg:
            name = f"attack_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
                results.append(run_one("postgresql", url, work, args.shoppers, args.units))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(f"Concurrency attack: {args.shoppers} shoppers, last {args.units} units, gunicorn {WORKERS} workers")
    print(f"{'db':<11}{'orders':>7}{'sold':>6}{'stock':>6}{'oversold':>9}{'5xx':>5}{'conn err':>9}{'secs':>7}  answers")
    for r in results:
        print(
            f"{r['database']:<11}{r['orders']:>7}{r['units_sold']:>6}{r['final_stock']:>6}{r['oversold']:>9}"
            f"{r['server_errors']:>5}{r['connection_errors']:>9}{r['seconds']:>7}  {r['answers']}"
            f"{'' if r['told_equals_stored'] else '  MISMATCH: told != stored'}"
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "attack.json").write_text(
        json.dumps({"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "results": results}, indent=2)
    )
    bad = any(r["oversold"] or r["server_errors"] or not r["told_equals_stored"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
