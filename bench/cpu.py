"""CPU time the app spends per request, in this process: the checkout flow step by step, and cached pages.

    .venv/bin/python bench/cpu.py --database URL [--orders 150] [--hits 2000] [--profile STEP] [--queries]

No server and no network: requests go through Flask's WSGI app in this process, and the figure
is `time.process_time()` (this process's CPU, not wall time), so it barely moves with whatever
else the machine is doing; compare commits with bench/pairs.py (both at once). It counts the CPU spent
inside the app's WSGI callable, what gunicorn calls. What it does not count is the server around
the app (gunicorn's HTTP parsing and threads, about 0.3 ms a request here), the stand-in for it
here (Flask's test client: building each request and keeping its cookies, about 0.5 ms a request;
`--with-client` counts it too, as figures measured before December 2026 did) and the database
server's own CPU (PostgreSQL: about 9 ms per order here, see `pidstat`).

The database must already hold a shop: the demo (`flask --app wsgi seed-demo`) or a database
`make bench` kept (`--sqlite-file`, `--pg-database`). The checkout variants are stocked up as
`make bench` does (bench/scale.py), and orders are placed for real (pickup, cash).

  checkout  one complete order as `make bench` places it: product page (a new visitor), add to
            cart, checkout form, place order, order page: the median CPU ms of each step
  pages     a cached hit of /robots.txt (the baseline), /, a category, a product and a search,
            as wrk sends them (no cookies)

--profile STEP prints cProfile's top functions for one step (product, add, checkout_form,
place, order_page, or a page name), timed by this process's CPU like the figures (not the wall
clock, which counts waiting for the database); --queries prints the SQL statements of one order.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from run import git_commit  # noqa: E402 - after the path
from shopper import CHECKOUT_FORM, CSRF_RE, KEY_RE, PICKUP_RE, VALUE_RE  # noqa: E402

STEPS = ("product", "add", "checkout_form", "place", "order_page")
NO_COMPRESSION = {"Accept-Encoding": "identity"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a shop (demo or kept bench database)")
    parser.add_argument("--media", default="", help="MEDIA_ROOT (default: a folder beside a SQLite file, or none)")
    parser.add_argument("--orders", type=int, default=150, help="orders measured (after 20 warm-up orders)")
    parser.add_argument("--hits", type=int, default=2000, help="cached hits measured per page")
    parser.add_argument("--profile", default="", help="cProfile one step or page")
    parser.add_argument("--profile-sort", default="cumulative", help="cProfile order: cumulative, tottime ...")
    parser.add_argument("--queries", action="store_true", help="print the SQL statements of one order")
    parser.add_argument(
        "--with-client", action="store_true", help="count the test client's CPU too (figures before December 2026)"
    )
    return parser.parse_args(argv)


class AppClock:
    """The CPU time spent inside the app's WSGI callable, summed: the request as gunicorn hands it over,
    without the test client around it (`whole`: count everything instead, the test client included)."""

    def __init__(self, whole: bool = False, now: Callable[[], float] = time.process_time) -> None:
        self.whole, self.now, self.spent = whole, now, 0.0

    def around(self, wsgi_app: Callable) -> Callable:
        """`wsgi_app`, counting its CPU time into this clock."""

        def counted(environ, start_response):
            started = self.now()
            try:
                return wsgi_app(environ, start_response)
            finally:
                self.spent += self.now() - started

        return counted

    def read(self) -> float:
        """A reading: subtract two to get what was counted in between."""
        return self.now() if self.whole else self.spent


class Timer:
    """CPU time per named step (what the clock counts while the step runs), and an optional profiler
    around one of them."""

    def __init__(self, profiled: str, clock: AppClock) -> None:
        self.samples: dict[str, list[float]] = {}
        self.profiled, self.profiler = profiled, cProfile.Profile(time.process_time) if profiled else None
        self.clock, self.current = clock, None

    def __call__(self, name: str, call: Callable):
        profiling = self.profiler is not None and name == self.profiled
        self.current = name
        if profiling:
            self.profiler.enable()
        started = self.clock.read()
        try:
            return call()
        finally:
            self.samples.setdefault(name, []).append(self.clock.read() - started)
            if profiling:
                self.profiler.disable()
            self.current = None

    def medians_ms(self) -> dict[str, float]:
        return {name: statistics.median(values) * 1000 for name, values in self.samples.items()}


def one_order(app, timer: Timer, slug: str, variant_id: int) -> None:
    """A new visitor's complete checkout, each step timed; fails loudly if the shop answers otherwise."""
    client = app.test_client()
    page = timer("product", lambda: client.get(f"/p/{slug}", headers=NO_COMPRESSION)).get_data(as_text=True)
    match = CSRF_RE.search(page)
    token = match.group(1) or match.group(2)
    added = timer(
        "add", lambda: client.post("/cart/add", data={"csrf_token": token, "variant_id": variant_id, "quantity": 1})
    )
    assert added.status_code == 303, added.status_code
    form_page = timer("checkout_form", lambda: client.get("/checkout", headers=NO_COMPRESSION))
    html = form_page.get_data(as_text=True)
    form = {**CHECKOUT_FORM, "csrf_token": token, "checkout_key": VALUE_RE.search(KEY_RE.search(html).group(0))[1]}
    stores = PICKUP_RE.search(html)
    if stores:
        form["pickup_store"] = VALUE_RE.search(stores.group(1)).group(1)
    placed = timer("place", lambda: client.post("/checkout", data=form))
    assert placed.status_code == 303, (placed.status_code, placed.get_data(as_text=True)[:500])
    order = timer("order_page", lambda: client.get(placed.headers["Location"], headers=NO_COMPRESSION))
    assert order.status_code == 200, order.status_code


def page_paths(app) -> dict[str, str]:
    """The baseline and the cached shopper pages, as `make bench` picks them."""
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    category = re.search(r'href="/c/([^"?]+)"', home).group(1)
    product = re.search(r'href="/p/([^"?]+)"', home).group(1)
    return {"robots": "/robots.txt", "home": "/", "category": f"/c/{category}", "product": f"/p/{product}",
            "search": "/search?q=wool"}  # fmt: skip


def cached_hits(app, timer: Timer, paths: dict[str, str], hits: int) -> None:
    """Each page `hits` times through the WSGI app, as wrk asks: no cookies, no compression."""
    from werkzeug.test import EnvironBuilder

    def call(path: str) -> None:
        environ = EnvironBuilder(path=path, headers={"User-Agent": "wrk"}).get_environ()
        body = app.wsgi_app(environ, lambda *_args: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for name, path in paths.items():
        for _ in range(50):  # fill the page cache, warm everything
            call(path)
        for _ in range(hits):
            timer(name, lambda path=path: call(path))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["DATABASE_URL"] = args.database
    os.environ["REQUEST_LOG"] = "0"  # its line costs a little; the servers' figures include it
    # Every order here comes from one phone and one address: the hoarding limits would refuse all
    # but the first few (bench/run.py switches them off the same way).
    os.environ.setdefault("ORDER_MAX_OPEN_PER_PHONE", "0")
    os.environ.setdefault("ORDER_MAX_OPEN_PER_ADDRESS", "0")
    if args.media or args.database.startswith("sqlite:///"):
        os.environ["MEDIA_ROOT"] = args.media or args.database.removeprefix("sqlite:///") + ".media"
    from scale import stock_up
    from sqlalchemy import event

    from storefront import create_app
    from storefront.extensions import db

    app = create_app()
    clock = AppClock(whole=args.with_client)
    app.wsgi_app = clock.around(app.wsgi_app)
    with app.app_context():
        products = [(slug, variant_id) for variant_id, slug in stock_up(1_000_000, 12)]
        engine = db.engine
    statements: list[tuple[str, str]] = []
    timer = Timer(args.profile, clock)

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args):  # inside the app's time: kept as sent, tidied when printed
        if timer.current:
            statements.append((timer.current, statement))

    for n in range(20):
        one_order(app, Timer("", clock), *products[n % len(products)])
    statements.clear()
    for n in range(args.orders):
        one_order(app, timer, *products[n % len(products)])
    per_order = {name: sum(1 for step, _ in statements if step == name) / args.orders for name in STEPS}
    cached_hits(app, timer, page_paths(app), args.hits)

    medians = timer.medians_ms()
    counted = "the test client included" if args.with_client else "inside the app"
    commit = git_commit() or "-"
    print(f"CPU ms per request in this process, {counted} (median), {engine.dialect.name}, commit {commit}")
    print(f"  checkout, {args.orders} orders (SQL statements per step in brackets):")
    for name in STEPS:
        print(f"    {name:<14} {medians[name]:6.2f}  [{per_order[name]:.1f}]")
    print(f"    {'one order':<14} {sum(medians[name] for name in STEPS):6.2f}")
    print(f"  cached pages, {args.hits} hits each (ratio: baseline / page):")
    for name in ("robots", "home", "category", "product", "search"):
        print(f"    {name:<14} {medians[name]:6.3f}  {medians['robots'] / medians[name]:.2f}")
    if args.queries:
        statements.clear()
        one_order(app, timer, *products[0])
        for step, sent in statements:  # its length and parameters: psycopg re-parses one over 4 kB or 50
            statement = " ".join(sent.split())
            print(f"  {step:<14} {len(statement):5d} {statement.count('%('):3d} {statement[:130]}")
    if timer.profiler is not None:
        pstats.Stats(timer.profiler).sort_stats(args.profile_sort).print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
