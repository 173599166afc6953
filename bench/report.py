"""The `make bench` report: per-route summaries, the issue's goals beside the figures, one printed table."""

from __future__ import annotations

import platform
from typing import Any

from run import WRK_CONNECTIONS, WRK_THREADS, median_of, summarize

PAGE_WEIGHT_GOAL = 30_000  # bytes, HTML + CSS + JS compressed, first visit
RATIO_GOAL, P99_GOAL_MS = 0.60, 25.0
EVENTS_GOAL, ORDERS_GOAL = 10_000, 100


def summarize_database(rounds: list[dict[str, Any]], plan: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Medians per route (run.summarize), plus events/s and the checkout figures."""
    routes = summarize(rounds, {name: route["path"] for name, route in plan.items()})
    events = routes["events"]
    for key in ("events_s", "stored_events_s"):
        events[key] = median_of([run[key] for run in events["runs"]])
    checkout = routes["checkout"]
    runs = checkout["runs"]
    checkout["orders_s"] = checkout["req_s"]
    checkout["http_req_s"] = median_of([run["http_req_s"] for run in runs])
    # The flow's HTTP requests against the baseline's: comparable with the other routes' ratios.
    baselines = [r["baseline"]["req_s"] for r in rounds]
    checkout["ratio_to_baseline"] = median_of([run["http_req_s"] / b for run, b in zip(runs, baselines) if b])
    checkout["orders"] = sum(run["orders"] for run in runs)
    checkout["server_errors"] = sum(run["server_errors"] for run in runs)
    checkout["failed_checkouts"] = sum(sum(run["failed_checkouts"].values()) for run in runs)
    checkout["reconnects"] = sum(run["reconnects"] for run in runs)
    for run in runs:
        run.pop("order_tokens", None)  # thousands of tokens: reconciled, not kept in the JSON
    return {"routes": routes}


def route_goal(name: str, row: dict[str, Any], db: str) -> tuple[str, bool | None]:
    """The issue's goal for a route, and whether this run met it (None: no goal)."""
    if name in ("category", "product", "home", "search"):
        met = (row["ratio_to_baseline"] or 0) >= RATIO_GOAL and (row["p99_ms"] or 1e9) <= P99_GOAL_MS
        label = f">={RATIO_GOAL:.0%} base, p99<={P99_GOAL_MS:.0f}ms" + (
            " (cached)" if name in ("home", "search") else ""
        )
        return label, met
    if name == "events":
        return f">={EVENTS_GOAL:,} events/s", (row["events_s"] or 0) >= EVENTS_GOAL
    if name == "checkout":
        return f">={ORDERS_GOAL} orders/s" + (" (PG goal)" if db != "postgresql" else ""), (
            row["orders_s"] or 0
        ) >= ORDERS_GOAL
    return "-", None


def fmt(value: float | None, spec: str) -> str:
    """Format a number, or '-' when missing."""
    return "-" if value is None else format(value, spec)


def rate_cell(name: str, row: dict[str, Any]) -> str:
    """The throughput in the route's own unit."""
    if name == "events":
        return f"{fmt(row['events_s'], ',.0f')} ev/s"
    if name == "checkout":
        return f"{fmt(row['orders_s'], ',.1f')} ord/s"
    return f"{fmt(row['req_s'], ',.0f')} req/s"


ROW = "  {:<10} {:<9} {:<30} {:>15} {:>8} {:>8} {:>6} {:>6}  {:<32} {}"


def verdict(met: bool | None) -> str:
    """MET / MISSED / blank."""
    return "" if met is None else ("MET" if met else "MISSED")


def print_routes(result: dict[str, Any]) -> None:
    """The throughput/latency table of every database."""
    print(
        f"\nRoutes under load: median of {result['runs']} interleaved runs x {result['duration_s']} s;"
        f" wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}; checkout: {result['checkout_clients']} clients"
    )
    header = ROW.format("db", "route", "path", "throughput", "p50 ms", "p99 ms", "ratio", "errors", "goal", "")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for db, data in result["databases"].items():
        for name, row in data["routes"].items():
            goal, met = route_goal(name, row, db)
            errors = row["non_2xx"] + row["socket_errors"]
            cells = (rate_cell(name, row), fmt(row["p50_ms"], ".1f"), fmt(row["p99_ms"], ".1f"))
            path = row["path"] if len(row["path"]) <= 30 else row["path"][:27] + "..."
            ratio = fmt(row["ratio_to_baseline"], ".2f")
            print(ROW.format(db, name, path, *cells, ratio, errors, goal, verdict(met)))
        print_error_detail(db, data["routes"])
        print_server_times(db, data.get("server_ms") or {})
        print()
    print("  ratio: route req/s / baseline req/s in the same run (median); events: batches/s / baseline;")
    print("         checkout: the flow's HTTP requests/s / baseline req/s")
    print("  checkout p50/p99: one complete checkout = 5 requests (product, add, form, place order, order page)")
    print("  errors: non-2xx/3xx answers + socket errors, summed over runs; socket timeout = a request slower than")
    print("         wrk's 2 s (left out of p50/p99), read = kept-alive connections dropped by a worker recycle")


def print_server_times(db: str, times: dict[str, Any]) -> None:
    """The app's own time per route from the request log: the rest of wrk's latency is waiting."""
    if times:
        cells = ", ".join(f"{name} {t['p50_ms']:.1f}/{t['p99_ms']:.1f}" for name, t in times.items())
        print(f"    {db} time in the app (request log, p50/p99 ms, all runs): {cells}")


def print_error_detail(db: str, routes: dict[str, Any]) -> None:
    """For routes with errors: non-2xx/3xx and socket errors by kind (timeout = slower than wrk's 2 s)."""
    for name, row in routes.items():
        kinds = ", ".join(f"{kind} {n}" for kind, n in row["socket_errors_by_kind"].items() if n)
        if kinds or row["non_2xx"]:
            print(f"    {db} {name} errors: non-2xx/3xx {row['non_2xx']}; socket: {kinds or '0'}")


def print_checkout_detail(result: dict[str, Any]) -> None:
    """Checkout counts and the reconciliation of every database."""
    print("\nReconciliation (what the load tools saw accepted vs what the database holds)")
    for db, data in result["databases"].items():
        rec, checkout = data["reconcile"], data["routes"]["checkout"]
        print(
            f"  {db:<10} orders seen {rec['orders_seen']:,} / new in db {rec['orders_new_in_db']:,}"
            f" / found by token {rec['orders_seen_found_in_db']:,}; units ordered {rec['units_ordered']:,}"
            f" = stock taken {rec['stock_taken']:,}; lowest stock {rec['min_on_hand']} (available"
            f" {rec['min_available']}); events accepted {rec['events_accepted']:,} / stored {rec['events_stored']:,};"
            f" 5xx logged {rec['server_5xx_logged']}; failed checkouts {checkout['failed_checkouts']}"
            f" -> {'OK' if rec['ok'] else 'FAILED: ' + ', '.join(k for k, v in rec['checks'].items() if not v)}"
        )


def print_weight(result: dict[str, Any]) -> None:
    """Page weight of the shopper pages (from the first database measured)."""
    db, data = next(iter(result["databases"].items()))
    print(f"\nPage weight on a first visit (bytes; served by the {db} run; gzip -6 / brotli -q11)")
    row = "  {:<9} {:<24} {:>14} {:>14} {:>14} {:>15} {:>8} {:>22}  {}"
    header = row.format("page", "path", "HTML gz/br", "CSS gz/br", "JS gz/br", "total gz/br", "raw", "photos", "goal")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, page in data["page_weight"].items():
        kinds = page["by_kind"]
        cells = [f"{kinds[k]['gzip']:,}/{kinds[k]['brotli']:,}" for k in ("html", "css", "js")]
        total = page["total"]
        photos = f"{page['photos']['count']}: {page['photos']['bytes']:,}"
        photos += f" ({page['photos']['missing']} missing)" if page["photos"]["missing"] else ""
        met = total["gzip"] <= PAGE_WEIGHT_GOAL and not page["third_party"]
        goal = f"<={PAGE_WEIGHT_GOAL:,} gz, no 3rd party {verdict(met)}"
        path = page["page"] if len(page["page"]) <= 24 else page["page"][:21] + "..."
        print(
            row.format(name, path, *cells, f"{total['gzip']:,}/{total['brotli']:,}", f"{total['raw']:,}", photos, goal)
        )
        for ref in page["third_party"]:
            print(f"    THIRD PARTY {ref['kind']}: {ref['url']}")
    print("  photos: <img src> renditions the page references (count: bytes), not in the total")


def print_header(result: dict[str, Any]) -> None:
    """When, what, where, with how much data."""
    print("\n=== make bench: storefront under load ===")
    print(f"  when: {result['timestamp']}   commit: {result['commit'] or '-'}   wall time: {result['wall_time_s']} s")
    print(
        f"  machine: {result['cpu_cores']} CPU cores, {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}; gunicorn -c gunicorn.conf.py --workers {result['gunicorn_workers']}"
    )
    for db, data in result["databases"].items():
        rows = data["prepare"]["rows"]
        timings = ", ".join(f"{k[:-2]} {v:.0f} s" for k, v in data["prepare"]["timings_s"].items())
        print(
            f"  {db}: {rows['products']:,} products, {rows['variants']:,} variants, {rows['events']:,} events,"
            f" {rows['orders']:,} orders before the load; setup {timings or '-'};"
            f" worker recycles {data['gunicorn_worker_recycles']}"
        )
    if result["quick"]:
        print("  QUICK run: demo shop only, short runs; figures are for development, not for the issue's goals")


def print_report(result: dict[str, Any]) -> int:
    """Print everything; the exit code: 1 if a reconciliation failed or a route answered errors."""
    print_header(result)
    print_routes(result)
    print_checkout_detail(result)
    print_weight(result)
    print("\nJSON: " + ", ".join(result["json_paths"]))
    bad = []
    for db, data in result["databases"].items():
        if not data["reconcile"]["ok"]:
            bad.append(f"{db}: reconciliation failed")
        bad += [f"{db} {name}: non-2xx/3xx" for name, row in data["routes"].items() if row["non_2xx"]]
    for line in bad:
        print(f"WARNING: {line}")
    return 1 if bad else 0
