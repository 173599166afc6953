"""Segment counts over 100,000 customers (issue 20's figure: building a segment under 300 ms).

In-process (the count is one SQL query; no HTTP is involved): a throw-away database gets
N customers (default 100,000) with 1-3 orders each over a small catalogue, tags, store bindings,
consent and interest rows, then every definition below is counted `--runs` times; the median
and the worst run are printed in milliseconds.

    .venv/bin/python bench/segments.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/t_segments
    .venv/bin/python bench/segments.py --customers 20000 --no-pg     # SQLite only, smaller
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storefront import create_app  # noqa: E402
from storefront.analytics.models import ReportOrder, RollupInterest  # noqa: E402
from storefront.catalog.models import Category, Product, Variant  # noqa: E402
from storefront.customers.models import Customer, CustomerOrder, CustomerTag  # noqa: E402
from storefront.extensions import db  # noqa: E402
from storefront.orders.models import Order, OrderLine  # noqa: E402
from storefront.segments import service  # noqa: E402
from storefront.stores.models import CustomerStore, Store  # noqa: E402

NOW = datetime(2026, 12, 1, 12)
STATUSES = ("delivered", "delivered", "delivered", "placed", "cancelled", "unpaid")
DEFINITIONS = {
    "everyone": {},
    "rfm at_risk + email": {"rfm": ["at_risk"], "consent": ["email"]},
    "lapsed 60d, 2+ orders": {"last_order_before_days": 60, "orders_min": 2},
    "bought product 7": {"bought_products": [7]},
    "bought category 2, not product 7": {"bought_categories": [2], "not_bought_products": [7]},
    "interested in 3, not bought": {"interested_products": [3]},
    "store 1 + tag vip + Dhaka": {"stores": [1], "tags": ["vip"], "cities": ["Dhaka"]},
    "everything": {
        "rfm": ["loyal", "at_risk"],
        "last_order_within_days": 200,
        "spend_min": 1000,
        "bought_categories": [1, 2],
        "not_bought_products": [9],
        "interested_products": [3, 4],
        "consent": ["email", "whatsapp"],
    },
}


def seed(customers: int, rng: random.Random) -> None:
    """The catalogue, stores and the customers with their orders, lines, tags and interest."""
    s = db.session
    s.execute(insert(Category), [{"id": i, "slug": f"c{i}", "name": f"C{i}"} for i in (1, 2, 3)])
    products = [
        {"id": i, "slug": f"p{i}", "title": f"P{i}", "price": 1000, "category_id": 1 + i % 3, "status": "published"}
        for i in range(1, 21)
    ]
    s.execute(insert(Product), products)
    s.execute(insert(Variant), [{"id": i, "product_id": i, "sku": f"S{i}", "name": ""} for i in range(1, 21)])
    s.execute(insert(Store), [{"id": i, "name": f"Store {i}", "latitude": 0.0, "longitude": 0.0} for i in (1, 2, 3)])
    rows: dict[type, list[dict]] = {m: [] for m in (Customer, Order, OrderLine, CustomerOrder, ReportOrder)}
    rows.update({CustomerTag: [], CustomerStore: [], RollupInterest: []})
    order_id = line_id = 0
    for n in range(1, customers + 1):
        key = f"tel:{1_000_000 + n}"
        last = NOW - timedelta(days=rng.randint(0, 400))
        rows[Customer].append(_customer(n, key, last, rng))
        if rng.random() < 0.1:
            rows[CustomerTag].append({"customer_id": n, "tag": rng.choice(["vip", "wholesale"])})
        if rng.random() < 0.5:
            rows[CustomerStore].append({"customer_key": key, "store_id": rng.randint(1, 3), "source": "order"})
        cart = uuid.uuid4().hex
        for _ in range(rng.randint(1, 3)):
            order_id += 1
            rows[Order].append(_order(order_id, rng))
            rows[CustomerOrder].append({"order_id": order_id, "customer_id": n})
            rows[ReportOrder].append(_report(order_id, cart, rows[Order][-1]["status"]))
            for product in rng.sample(range(1, 21), rng.randint(1, 2)):
                line_id += 1
                rows[OrderLine].append(_line(line_id, order_id, product))
        if rng.random() < 0.3:
            product = rng.randint(1, 20)
            rows[RollupInterest].append(_interest(n, product, cart))
    for model in (Customer, Order, OrderLine, CustomerOrder, ReportOrder, CustomerTag, CustomerStore, RollupInterest):
        for start in range(0, len(rows[model]), 5000):
            s.execute(insert(model.__table__), rows[model][start : start + 5000])
    s.commit()


def _customer(n: int, key: str, last: datetime, rng: random.Random) -> dict:
    return {
        "id": n,
        "key": key,
        "name": f"C{n}",
        "city": rng.choice(["Dhaka", "Lima", "Chittagong", ""]),
        "rfm_segment": rng.choice(["champions", "loyal", "new", "at_risk", "lapsed"]),
        "orders_count": rng.randint(1, 3),
        "spend": rng.randint(0, 50_000),
        "last_order_at": last,
        "first_order_at": last,
        "marketing_email": rng.random() < 0.4,
        "marketing_push": rng.random() < 0.2,
        "marketing_whatsapp": rng.random() < 0.3,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _order(order_id: int, rng: random.Random) -> dict:
    return {
        "id": order_id,
        "token": f"t{order_id}",
        "reference": f"R{order_id}",
        "checkout_key": f"k{order_id}",
        "status": rng.choice(STATUSES),
        "customer_name": "x",
        "phone": "1",
        "delivery_method": "pickup",
        "payment_method": "cash",
        "currency": "USD",
        "subtotal": 1000,
        "shipping": 0,
        "total": 1000,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _line(line_id: int, order_id: int, product: int) -> dict:
    return {
        "id": line_id,
        "order_id": order_id,
        "variant_id": product,
        "product_slug": f"p{product}",
        "title": "x",
        "sku": f"S{product}",
        "unit_price": 1000,
        "quantity": 1,
    }


def _report(order_id: int, cart: str, status: str) -> dict:
    return {
        "order_id": order_id,
        "created_at": NOW,
        "day": date(2026, 12, 1),
        "hour": 12,
        "weekday": 1,
        "status": status,
        "is_sale": status in ("delivered", "placed"),
        "total": 1000,
        "customer_key": "k",
        "delivery_method": "pickup",
        "cart_hash": cart,
        "updated_at": NOW,
    }


def _interest(n: int, product: int, cart: str) -> dict:
    return {
        "day": date(2026, 11, 30),
        "product_slug": f"p{product}",
        "session_key": f"s{n}",
        "cart_hash": cart,
        "source": "direct",
        "first_seen": NOW,
    }


def measure(url: str, customers: int, runs: int) -> None:
    """Seed a database at `url` and print the count times of every definition."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        seed(customers, random.Random(20))
        seconds = time.perf_counter() - started
        print(f"{make_url(url).get_backend_name()}: seeded {customers:,} customers in {seconds:.1f} s")
        if url.startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        for label, definition in DEFINITIONS.items():
            times, number = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                number = service.count(db.session, definition, NOW)
                times.append((time.perf_counter() - started) * 1000)
            median, worst = statistics.median(times), max(times)
            print(f"  {label:<36} {number:>7,} customers  median {median:6.1f} ms  max {worst:6.1f} ms")
        db.session.remove()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse the options, then measure on SQLite and (unless --no-pg) PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/t_segments")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/segments.db", args.customers, args.runs)
    if args.no_pg:
        return
    name = f"storefront_bench_segments_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        measure(make_url(args.pg).set(database=name).render_as_string(hide_password=False), args.customers, args.runs)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
