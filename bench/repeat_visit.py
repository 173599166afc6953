"""Bytes over the network when a shopper comes back to a product page (service worker / HTTP cache)."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run import (
    HOST,
    REPO,
    RESULTS_DIR,
    WORKERS,
    BenchError,
    _raise_exit,
    demo_server,
    find_product_slug,
    git_commit,
    http_get,
)

CHROME = Path("/usr/bin/chromium")
CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SW_PATH = "/service-worker.js"
CONTROLLER_TIMEOUT_S = 15.0
POLL_MS = 200
NAV_TIMEOUT_MS = 30_000
# Before the repeat visit: wait until the server has been quiet this long (the worker's
# install and "keep this page" fetches), at most SETTLE_MAX_S.
QUIET_S = 2.0
SETTLE_MAX_S = 20.0
# After the reload's load event: watch at least this long (the browser checks for a new
# service worker a second or two after a navigation), until QUIET_S without traffic.
AFTER_LOAD_MIN_S = 5.0
JSON_PATH = RESULTS_DIR / "repeat_visit.json"

# gunicorn's default access log format: h l u t "r" s b "f" "a"
ACCESS_LINE = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) (?P<target>\S+) [^"]*"'
    r' (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"]*)"'
)


class ServerLog:
    """Follows the bench gunicorn's log: requests that reached the server, whoever sent them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def size(self) -> int:
        """Current size of the log (grows with every request)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def mark(self) -> None:
        """Start of the window: only requests logged after this count."""
        self.offset = self.size()

    def entries(self) -> list[dict[str, Any]]:
        """Access-log entries since mark(): method, path, status, body bytes, referer."""
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            text = log.read().decode("utf-8", "replace")
        found = []
        for line in text.splitlines():
            match = ACCESS_LINE.match(line)
            if match:
                size = match["bytes"]
                found.append(
                    {
                        "method": match["method"],
                        "path": match["target"],
                        "status": int(match["status"]),
                        "body_bytes": None if size == "-" else int(size),
                        "referer": match["referer"],
                    }
                )
        return found


class PageRecorder:
    """Network.* CDP events of the page, by requestId."""

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.last_event = time.monotonic()

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        self.last_event = time.monotonic()
        return self.requests.setdefault(params["requestId"], {"request_id": params["requestId"]})

    def on_request(self, params: dict[str, Any]) -> None:
        rec = self._get(params)
        rec.setdefault("url", params["request"]["url"])
        rec.setdefault("type", params.get("type"))

    def on_response(self, params: dict[str, Any]) -> None:
        rec = self._get(params)
        response = params["response"]
        rec.update(
            url=response["url"],
            type=params.get("type"),
            status=response.get("status"),
            from_service_worker=bool(response.get("fromServiceWorker")),
            service_worker_source=response.get("serviceWorkerResponseSource"),
            from_disk_cache=bool(response.get("fromDiskCache")),
            from_prefetch_cache=bool(response.get("fromPrefetchCache")),
            response_encoded_data_length=response.get("encodedDataLength"),
        )

    def on_served_from_cache(self, params: dict[str, Any]) -> None:
        self._get(params)["from_memory_cache"] = True

    def on_finished(self, params: dict[str, Any]) -> None:
        self._get(params)["encoded_data_length"] = params.get("encodedDataLength")

    def on_failed(self, params: dict[str, Any]) -> None:
        self._get(params)["failed"] = params.get("errorText") or "failed"


def source_of(rec: dict[str, Any]) -> str:
    """Where the page got a response from."""
    if rec.get("failed"):
        return "failed"
    if rec.get("from_service_worker"):
        return "service worker"
    if rec.get("from_memory_cache"):
        return "memory cache"
    if rec.get("from_disk_cache"):
        return "disk cache"
    if rec.get("from_prefetch_cache"):
        return "prefetch cache"
    if "status" not in rec:
        return "no response"
    return "network"


def path_of(url: str) -> str:
    """Path and query of a URL (everything here is on one origin)."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def check_service_worker(base: str) -> dict[str, Any]:
    """Is /service-worker.js served? (404 = the service worker has not landed yet)."""
    status, body = http_get(base + SW_PATH)
    return {"script_status": status, "script_bytes": len(body), "present": 200 <= status < 300}


def wait_for_controller(page: Any) -> float | None:
    """Seconds until navigator.serviceWorker.controller is set, or None after 15 s.

    A Python poll on purpose: page.wait_for_function needs eval, which the shop's CSP forbids.
    """
    start = time.monotonic()
    while True:
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return time.monotonic() - start
        if time.monotonic() - start >= CONTROLLER_TIMEOUT_S:
            return None
        page.wait_for_timeout(POLL_MS)


REGISTRATION_JS = """navigator.serviceWorker.getRegistration().then((r) => r ? {
  scope: r.scope,
  active: r.active ? r.active.state : null,
  waiting: r.waiting ? r.waiting.state : null,
  installing: r.installing ? r.installing.state : null,
} : null)"""


def settle(page: Any, activity: list[Any], min_s: float) -> float:
    """Wait >= min_s, then until QUIET_S pass without new traffic (max SETTLE_MAX_S); seconds waited.

    activity: callables returning a value that changes with traffic (log size, event time).
    """
    start = time.monotonic()
    last = [probe() for probe in activity]
    quiet_since = start
    while True:
        page.wait_for_timeout(250)
        now = time.monotonic()
        current = [probe() for probe in activity]
        if current != last:
            last, quiet_since = current, now
        if (now - start >= min_s and now - quiet_since >= QUIET_S) or now - start >= SETTLE_MAX_S:
            return now - start


def sw_fetch_row(request: Any, failed: bool) -> dict[str, Any]:
    """One network request the service worker made (Playwright reports them context-wide)."""
    response = None if failed else request.response()
    sizes = request.sizes() if response else {}
    # responseHeadersSize + responseBodySize = the encodedDataLength of the transfer
    # (0 when the worker's fetch was answered by the HTTP cache).
    transferred = max(0, sizes.get("responseHeadersSize", 0) + sizes.get("responseBodySize", 0))
    return {
        "url": request.url,
        "path": path_of(request.url),
        "status": response.status if response else None,
        "bytes": transferred,
        "failed": request.failure if failed else None,
    }


def launch(playwright: Any, profile: Path) -> Any:
    """Chromium with a persistent profile, service workers allowed."""
    try:
        return playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROME),
            args=CHROME_ARGS,
            service_workers="allow",
            timeout=NAV_TIMEOUT_MS,
        )
    except Exception as exc:  # noqa: BLE001 - any launch failure is a setup failure
        raise BenchError(f"could not launch {CHROME} with Playwright: {exc}") from exc


def visit(base: str, product: str, sw: dict[str, Any], server_log: ServerLog, profile: Path) -> dict[str, Any]:
    """First visit (home, product), wait for the worker, then record a reload of the product page."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch(playwright, profile)
        try:
            context.set_default_timeout(NAV_TIMEOUT_MS)
            page = context.pages[0] if context.pages else context.new_page()
            try:
                for path in ("/", product):
                    response = page.goto(base + path, wait_until="load")
                    if response is None or not response.ok:
                        raise BenchError(f"first visit: GET {path} answered {response.status if response else '-'}")
                    if path == "/":
                        sw["registration_after_home"] = page.evaluate(REGISTRATION_JS)
                sw["controller_after_s"] = wait_for_controller(page) if sw["present"] else None
                sw["registration"] = page.evaluate(REGISTRATION_JS)
                sw["settle_before_s"] = settle(page, [server_log.size], 0.0)
                return record_reload(context, page, server_log)
            except PlaywrightError as exc:
                raise BenchError(f"browser step failed: {exc}") from exc
        finally:
            context.close()


def record_reload(context: Any, page: Any, server_log: ServerLog) -> dict[str, Any]:
    """Reload the page (the repeat visit) with CDP Network events and the worker's fetches recorded."""
    recorder = PageRecorder()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.requestWillBeSent", recorder.on_request)
    cdp.on("Network.responseReceived", recorder.on_response)
    cdp.on("Network.requestServedFromCache", recorder.on_served_from_cache)
    cdp.on("Network.loadingFinished", recorder.on_finished)
    cdp.on("Network.loadingFailed", recorder.on_failed)
    finished: list[Any] = []
    failed: list[Any] = []

    def on_finished(request: Any) -> None:
        if request.service_worker is not None:
            finished.append(request)

    def on_failed(request: Any) -> None:
        if request.service_worker is not None:
            failed.append(request)

    context.on("requestfinished", on_finished)
    context.on("requestfailed", on_failed)
    server_log.mark()
    started = time.monotonic()
    response = page.reload(wait_until="load")
    load_s = time.monotonic() - started
    watched = settle(page, [server_log.size, lambda: recorder.last_event, lambda: len(finished)], AFTER_LOAD_MIN_S)
    context.remove_listener("requestfinished", on_finished)
    context.remove_listener("requestfailed", on_failed)
    cdp.detach()
    if response is None or not response.ok:
        raise BenchError(f"repeat visit: reload answered {response.status if response else '-'}")
    page_rows = []
    for rec in recorder.requests.values():
        rec["path"] = path_of(rec.get("url", ""))
        rec["source"] = source_of(rec)
        page_rows.append(rec)
    return {
        "load_s": load_s,
        "watched_s": watched,
        "page": page_rows,
        "service_worker_fetches": [sw_fetch_row(r, False) for r in finished] + [sw_fetch_row(r, True) for r in failed],
        "server": server_log.entries(),
    }


def network_transfers(visit_data: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything that crossed the network on the repeat visit, each once.

    The page's own network responses (CDP) and the worker's network fetches (Playwright) carry
    the bytes the browser received (headers + body). Requests that reached the server but that
    neither saw (e.g. the browser's check for a new service-worker.js) come from the access log,
    with the body bytes gunicorn logged.
    """
    transfers = [
        {"path": rec["path"], "status": rec.get("status"), "by": "page", "bytes": rec.get("encoded_data_length") or 0}
        for rec in visit_data["page"]
        if rec["source"] == "network"
    ]
    transfers += [
        {"path": row["path"], "status": row["status"], "by": "service worker", "bytes": row["bytes"]}
        for row in visit_data["service_worker_fetches"]
        if row["bytes"] > 0
    ]
    unmatched = list(transfers)
    for entry in visit_data["server"]:
        match = next((t for t in unmatched if t["path"] == entry["path"]), None)
        if match is not None:
            unmatched.remove(match)
            continue
        is_sw = entry["path"] == SW_PATH
        transfers.append(
            {
                "path": entry["path"],
                "status": entry["status"],
                "by": "browser: worker update check" if is_sw else "server log only",
                "bytes": entry["body_bytes"] or 0,
                "body_only": True,
            }
        )
    return transfers


def verdict(transfers: list[dict[str, Any]], product: str) -> dict[str, Any]:
    """The goal: the repeat visit costs the product page's HTML and nothing else."""
    html = next((t for t in transfers if t["path"] == product), None)
    extra = [t for t in transfers if t is not html]
    return {
        "goal": "bytes on a repeat visit = the HTML only",
        "met": not extra,
        "html_bytes": html["bytes"] if html else 0,
        "extra_bytes": sum(t["bytes"] for t in extra),
        "extra": extra,
        "total_bytes": sum(t["bytes"] for t in transfers),
    }


def measure(base: str, work: Path) -> dict[str, Any]:
    """Find the product page, check the worker, drive the browser."""
    product = f"/p/{find_product_slug(base)}"
    sw = check_service_worker(base)
    print(f"Repeat visit of {base}{product}  ({SW_PATH}: HTTP {sw['script_status']})", flush=True)
    if not sw["present"]:
        print(f"  no service worker yet ({SW_PATH} answered {sw['script_status']}): measuring the HTTP cache")
    server_log = ServerLog(work / "gunicorn.log")
    data = visit(base, product, sw, server_log, work / "profile")
    transfers = network_transfers(data)
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "page": product,
        "service_worker": sw,
        "repeat_visit": data,
        "network": transfers,
        "verdict": verdict(transfers, product),
    }


def fmt_bytes(value: int | None) -> str:
    """Bytes with thousands separators, or '-'."""
    return "-" if value is None else f"{value:,}"


PAGE_ROW = "  {:<52} {:<11} {:>6} {:<30} {:>10}"
NET_ROW = "  {:<52} {:>6} {:<32} {:>10}"


def describe_sw(sw: dict[str, Any], document_from_sw: bool) -> list[str]:
    """Lines on the service worker: served? controlling the first visit? serving the repeat visit?"""
    if not sw["present"]:
        return [
            f"NOT PRESENT: {SW_PATH} answered HTTP {sw['script_status']} - no service worker yet.",
            "The repeat visit below shows what the HTTP cache alone saves.",
        ]
    reg = sw.get("registration") or {}
    state = f"scope {reg.get('scope')}, active worker: {reg.get('active')}" if reg else "no registration"
    lines = [f"{SW_PATH} served (HTTP {sw['script_status']}, {sw['script_bytes']:,} B); {state}"]
    home = sw.get("registration_after_home") or {}
    lines.append(f"after the home page loaded: active worker {home.get('active')}, installing {home.get('installing')}")
    if sw.get("controller_after_s") is None:
        lines.append(
            f"navigator.serviceWorker.controller still null {CONTROLLER_TIMEOUT_S:.0f} s after the product page"
            " loaded (that load was not controlled and the worker did not claim it)"
        )
    else:
        lines.append(f"controls the product page {sw['controller_after_s']:.1f} s after it loaded")
    served = "was" if document_from_sw else "was NOT"
    lines.append(f"the repeat visit's document {served} answered by the service worker")
    return lines


def print_report(result: dict[str, Any]) -> None:
    """Print what the page got from where, what crossed the network, and the goal."""
    data, sw, goal = result["repeat_visit"], result["service_worker"], result["verdict"]
    print(f"\n=== Repeat visit of {result['page']} ===")
    print(f"  when: {result['timestamp']}   commit: {result['commit'] or '-'}")
    print(f"  browser: {CHROME} (Playwright, persistent profile); server: gunicorn, {WORKERS} workers on {HOST}")
    document = next((r for r in data["page"] if r.get("type") == "Document"), {})
    for index, line in enumerate(describe_sw(sw, bool(document.get("from_service_worker")))):
        print(f"  {'service worker:' if index == 0 else ' ' * 15} {line}")
    print(
        f"  repeat visit = page.reload(): load event after {data['load_s']:.2f} s,"
        f" traffic watched {data['watched_s']:.1f} s"
    )

    print("\nResponses the page received (CDP Network.responseReceived / loadingFinished)")
    header = PAGE_ROW.format("url", "type", "status", "source", "bytes")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for rec in data["page"]:
        source = rec["source"]
        if source == "service worker" and rec.get("service_worker_source"):
            source += f" ({rec['service_worker_source']})"
        elif source == "failed":
            source += f" ({rec['failed']})"
        print(
            PAGE_ROW.format(
                rec["path"][:52],
                rec.get("type") or "-",
                rec.get("status") or "-",
                source,
                fmt_bytes(rec.get("encoded_data_length")),
            )
        )
    print("  bytes = loadingFinished encodedDataLength (headers + body received by the page; 0 when served")
    print("  by the service worker or a cache - a worker's own network fetch is listed below instead)")

    print("\nFetched over the network on the repeat visit (page, service worker, and server access log)")
    header = NET_ROW.format("url", "status", "by", "bytes")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in result["network"]:
        mark = " *" if row.get("body_only") else ""
        print(NET_ROW.format(row["path"][:52], row["status"] or "-", row["by"], fmt_bytes(row["bytes"]) + mark))
    if not result["network"]:
        print("  (nothing: every response came from the service worker or a cache)")
    print("  " + "-" * (len(header) - 2))
    print(NET_ROW.format("total", "", "", fmt_bytes(goal["total_bytes"])))
    if any(row.get("body_only") for row in result["network"]):
        print("  * body bytes from gunicorn's access log (headers not included; the page and worker did not see it)")

    served = [r for r in data["page"] if r["source"] in ("service worker", "disk cache", "memory cache")]
    by_source: dict[str, int] = {}
    for rec in served:
        by_source[rec["source"]] = by_source.get(rec["source"], 0) + 1
    summary = ", ".join(f"{n} from the {src}" for src, n in by_source.items()) or "none"
    print(f"\n  responses not fetched by the page itself: {summary}")
    print(f'\nGoal "{goal["goal"]}": {"MET" if goal["met"] else "NOT MET"}')
    print(
        f"  HTML {fmt_bytes(goal['html_bytes'])} B + other {fmt_bytes(goal['extra_bytes'])} B"
        f" = {fmt_bytes(goal['total_bytes'])} B over the network"
    )
    for row in goal["extra"]:
        print(f"  extra: {row['path']} ({row['by']}, HTTP {row['status']}, {fmt_bytes(row['bytes'])} B)")
    print(f"\nJSON written to {result['json_path']}")


def write_json(result: dict[str, Any]) -> None:
    """Write the result to bench/results/repeat_visit.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    JSON_PATH.write_text(json.dumps(result, indent=2, default=str) + "\n")


def main() -> int:
    """Entry point: 0, or 1 on setup failure (server, browser, page loads)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    # The server view comes from gunicorn's access log: make sure it goes to the bench log.
    os.environ["ACCESS_LOG"] = "-"
    try:
        if not os.access(CHROME, os.X_OK):
            raise BenchError(f"{CHROME} is missing (apt-get install -y chromium)")
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:
            raise BenchError("the playwright package is missing from .venv (pip install playwright)") from exc
        with tempfile.TemporaryDirectory(prefix="shop-repeat-") as tmp, demo_server(Path(tmp)) as base:
            result = measure(base, Path(tmp))
    except BenchError as exc:
        print(f"\nrepeat-visit bench failed: {exc}", file=sys.stderr)
        return 1
    result["json_path"] = str(JSON_PATH.relative_to(REPO))
    write_json(result)
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
