"""Lighthouse 12 scores and metrics of the demo shop's main pages (mobile, simulated throttling)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
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
    find_slug,
    git_commit,
    run_checked,
)

NODE_DIR = REPO / "bench" / ".node"
LIGHTHOUSE = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_SPEC = "lighthouse@12"
CHROME = Path("/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
    " --disable-component-update --disable-sync --no-first-run"
)
PAGE_TIMEOUT_S = 120
NPM_TIMEOUT_S = 600
JSON_PATH = RESULTS_DIR / "lighthouse.json"
REPORTS_DIR = RESULTS_DIR / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Not pass/fail audits: they never count as failing.
NOT_SCORED = {"notApplicable", "informative", "manual"}
# (key in our JSON, Lighthouse audit id)
METRICS = (
    ("fcp_ms", "first-contentful-paint"),
    ("lcp_ms", "largest-contentful-paint"),
    ("tbt_ms", "total-blocking-time"),
    ("cls", "cumulative-layout-shift"),
    ("speed_index_ms", "speed-index"),
    ("total_byte_weight", "total-byte-weight"),
)


def ensure_lighthouse() -> str:
    """Path of the local Lighthouse CLI; npm-installs lighthouse@12 into bench/.node if missing."""
    if not LIGHTHOUSE.exists():
        npm = shutil.which("npm")
        if not npm:
            raise BenchError(f"{LIGHTHOUSE} is missing and npm is not on PATH (Node 20 + npm needed)")
        print(f"Installing {LIGHTHOUSE_SPEC} into {NODE_DIR.relative_to(REPO)} (npm) ...", flush=True)
        run_checked([npm, "install", "--prefix", str(NODE_DIR), LIGHTHOUSE_SPEC], None, NPM_TIMEOUT_S)
        if not LIGHTHOUSE.exists():
            raise BenchError(f"npm install succeeded but {LIGHTHOUSE} is still missing")
    version = run_checked([str(LIGHTHOUSE), "--version"], None, 60).strip()
    if not version.startswith("12."):
        raise BenchError(f"expected Lighthouse 12, found {version} at {LIGHTHOUSE}")
    return version


def ensure_chrome() -> None:
    """Lighthouse drives the Debian Chromium at /usr/bin/chromium."""
    if not os.access(CHROME, os.X_OK):
        raise BenchError(f"{CHROME} is missing (apt-get install -y chromium)")


def kill_chrome_in(profile_root: Path) -> None:
    """Kill Chromium processes whose --user-data-dir lies under profile_root.

    chrome-launcher starts Chromium detached (its own process group), so killing Lighthouse
    on a timeout would leave it running; profile_root is this run's private temp dir, so only
    the browsers this script started match.
    """
    marker = f"--user-data-dir={profile_root}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


def run_lighthouse(url: str, out_path: Path, work: Path) -> str | None:
    """Run Lighthouse on one URL (bounded by PAGE_TIMEOUT_S); return an error text or None."""
    profile_root = work / "chrome"
    profile_root.mkdir(exist_ok=True)
    env = dict(os.environ, CHROME_PATH=str(CHROME), TMPDIR=str(profile_root))
    cmd = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={out_path}",
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    log_path = work / "lighthouse.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        returncode = proc.wait(timeout=PAGE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"timed out after {PAGE_TIMEOUT_S}s"
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        kill_chrome_in(profile_root)
    if returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        return f"lighthouse exited with {returncode}:\n{tail}"
    if not out_path.exists():
        return "lighthouse wrote no report"
    return None


def failing_audits(report: dict[str, Any], category: dict[str, Any]) -> list[dict[str, Any]]:
    """Audits of a category that scored < 1 (pass/fail audits only)."""
    failing = []
    for ref in category.get("auditRefs", []):
        audit = report["audits"].get(ref["id"], {})
        score = audit.get("score")
        if audit.get("scoreDisplayMode") in NOT_SCORED or score is None or score >= 1:
            continue
        failing.append(
            {
                "id": ref["id"],
                "title": audit.get("title", ""),
                "score": score,
                "weight": ref.get("weight", 0),
                "display_value": audit.get("displayValue"),
            }
        )
    return failing


def errored_audits(report: dict[str, Any]) -> list[dict[str, str]]:
    """Audits Lighthouse could not compute (scoreDisplayMode 'error')."""
    return [
        {"id": audit_id, "message": audit.get("errorMessage", "")}
        for audit_id, audit in report["audits"].items()
        if audit.get("scoreDisplayMode") == "error"
    ]


def summarize_report(report: dict[str, Any]) -> dict[str, Any]:
    """Scores x100, key metrics and failing audits of one Lighthouse JSON report."""
    categories = report.get("categories", {})
    scores: dict[str, int | None] = {}
    failing: dict[str, list[dict[str, Any]]] = {}
    for cat_id in CATEGORIES:
        category = categories.get(cat_id, {})
        score = category.get("score")
        scores[cat_id] = None if score is None else round(score * 100)
        if score is not None and score < 1:
            failing[cat_id] = failing_audits(report, category)
    metrics = {key: report["audits"].get(audit_id, {}).get("numericValue") for key, audit_id in METRICS}
    runtime_error = report.get("runtimeError")
    return {
        "final_url": report.get("finalDisplayedUrl"),
        "scores": scores,
        "metrics": metrics,
        "failing_audits": failing,
        "errored_audits": errored_audits(report),
        "run_warnings": report.get("runWarnings", []),
        "runtime_error": runtime_error.get("message") if runtime_error else None,
    }


def audit_page(name: str, base: str, path: str, work: Path) -> dict[str, Any]:
    """Run Lighthouse on one page and summarize it; errors are recorded, not raised."""
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    out_path = REPORTS_DIR / f"{name}.report.json"
    out_path.unlink(missing_ok=True)
    print(f"  lighthouse {name:<9} {path} ...", end=" ", flush=True)
    row: dict[str, Any] = {"name": name, "path": path, "report": str(out_path.relative_to(REPO))}
    error = run_lighthouse(base + path, out_path, work)
    # On a runtime error (e.g. the page answered 500) Lighthouse exits 1 but still writes
    # the report, whose runtimeError says why: use it.
    if out_path.exists() and (error is None or error.startswith("lighthouse exited")):
        report = json.loads(out_path.read_text())
        row.update(summarize_report(report))
        row["settings"] = {
            "lighthouse": report.get("lighthouseVersion"),
            "user_agent": report.get("environment", {}).get("hostUserAgent"),
            "benchmark_index": report.get("environment", {}).get("benchmarkIndex"),
            "form_factor": report.get("configSettings", {}).get("formFactor"),
            "throttling": report.get("configSettings", {}).get("throttlingMethod"),
        }
        error = row["runtime_error"] or error
    row["error"] = error
    print("failed" if error else "done", flush=True)
    return row


def chrome_version() -> str | None:
    """Full Chromium version ('156.0.8078.79'); the user agent only says '156.0.0.0'."""
    try:
        output = run_checked([str(CHROME), "--version"], None, 60)
    except BenchError:
        return None
    match = re.search(r"(\d+\.\d+\.\d+\.\d+)", output)
    return match.group(1) if match else None


def benchmark_index(pages: list[dict[str, Any]]) -> int | None:
    """Lowest CPU benchmark index Lighthouse measured (it warns below about 1000)."""
    values = [page["settings"]["benchmark_index"] for page in pages if page.get("settings")]
    present = [v for v in values if v is not None]
    return min(present) if present else None


def measure(base: str, work: Path) -> list[dict[str, Any]]:
    """Pick the pages from the home page and audit them one after the other."""
    pages = {
        "home": "/",
        "category": f"/c/{find_slug(base, 'c')}",
        "product": f"/p/{find_product_slug(base)}",
        "cart": "/cart",
    }
    print(f"Auditing {base}: {', '.join(pages.values())}", flush=True)
    return [audit_page(name, base, path, work) for name, path in pages.items()]


def fmt(value: float | None, spec: str) -> str:
    """Format a number, or '-' when missing."""
    return "-" if value is None else format(value, spec)


ROW = "  {:<9} {:<28} {:>4} {:>4} {:>4} {:>4}  {:>6} {:>6} {:>6} {:>6} {:>6} {:>9}"


def print_report(result: dict[str, Any]) -> None:
    """Print the scores/metrics table and, per page, the failing audits."""
    print("\n=== Lighthouse ===")
    print(f"  when: {result['timestamp']}   commit: {result['commit'] or '-'}")
    print(
        f"  Lighthouse {result['lighthouse']}, Chromium {result['chromium'] or '?'} ({CHROME}),"
        " mobile form factor, simulated throttling (Lighthouse defaults)"
    )
    print(f"  CPU benchmark index (lowest of the runs): {fmt(result['benchmark_index'], '.0f')}")
    print(f"  server: gunicorn -c gunicorn.conf.py, {WORKERS} workers on {HOST}; db: fresh SQLite + seed-demo")
    columns = ("page", "path", "perf", "a11y", "bp", "seo", "FCP ms", "LCP ms", "TBT ms", "CLS", "SI ms", "bytes")
    header = ROW.format(*columns)
    print("\n" + header)
    print("  " + "-" * (len(header) - 2))
    for page in result["pages"]:
        if page["error"]:
            print(f"  {page['name']:<9} {page['path']:<28} ERROR (see below)")
            continue
        scores, metrics = page["scores"], page["metrics"]
        print(
            ROW.format(
                page["name"],
                page["path"],
                *(fmt(scores[c], "d") for c in CATEGORIES),
                fmt(metrics["fcp_ms"], ".0f"),
                fmt(metrics["lcp_ms"], ".0f"),
                fmt(metrics["tbt_ms"], ".0f"),
                fmt(metrics["cls"], ".3f"),
                fmt(metrics["speed_index_ms"], ".0f"),
                fmt(metrics["total_byte_weight"], ".0f"),
            )
        )
    print("  scores x100: perf=performance a11y=accessibility bp=best-practices seo=seo;")
    print("  metrics are Lighthouse's simulated mobile (slow 4G, 4x CPU) estimates; bytes = total byte weight")
    print_failures(result["pages"])
    print(f"\nJSON written to {result['json_path']}; full reports in {REPORTS_DIR.relative_to(REPO)}/")


def print_failures(pages: list[dict[str, Any]]) -> None:
    """Per page and category below 100: the failing audits; then warnings and errors."""
    print("\nFailing audits (categories below 100; score < 1, pass/fail audits only)")
    any_failure = False
    for page in pages:
        for cat_id, audits in (page.get("failing_audits") or {}).items():
            any_failure = True
            print(f"  {page['name']} {page['path']} - {cat_id} {page['scores'][cat_id]}:")
            for audit in audits:
                value = f" ({audit['display_value']})" if audit.get("display_value") else ""
                weight = f" [weight {audit['weight']:.3g}]" if audit["weight"] else ""
                print(f"    {audit['score']:.2f}  {audit['id']}: {audit['title']}{value}{weight}")
            if not audits:
                print("    (no single failing audit; the score comes from weighted metric scores)")
    if not any_failure:
        audited = [page for page in pages if not page["error"]]
        print("  none: every category scored 100 on every audited page" if audited else "  (no page audited)")
    for page in pages:
        for warning in page.get("run_warnings") or []:
            print(f"  warning on {page['path']}: {warning}")
        for audit in page.get("errored_audits") or []:
            print(f"  audit error on {page['path']}: {audit['id']}: {audit['message']}")
        if page["error"]:
            print(f"  ERROR on {page['path']}: {page['error']}")
    if any(page["error"] for page in pages):
        print(f"  (gunicorn's log of this run: {(REPORTS_DIR / 'gunicorn.log').relative_to(REPO)})")


def keep_server_log(work: Path) -> None:
    """Copy gunicorn's log (tracebacks of any 5xx) next to the reports before the temp dir goes."""
    log_path = work / "gunicorn.log"
    if log_path.exists():
        REPORTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, REPORTS_DIR / "gunicorn.log")


def write_json(result: dict[str, Any]) -> None:
    """Write the result to bench/results/lighthouse.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    JSON_PATH.write_text(json.dumps(result, indent=2) + "\n")


def main() -> int:
    """Entry point: 0, or 1 on setup failure or when a page could not be audited."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    try:
        ensure_chrome()
        version = ensure_lighthouse()
        with tempfile.TemporaryDirectory(prefix="shop-lighthouse-") as tmp:
            work = Path(tmp)
            try:
                with demo_server(work) as base:
                    pages = measure(base, work)
            finally:
                keep_server_log(work)
    except BenchError as exc:
        print(f"\nlighthouse bench failed: {exc}", file=sys.stderr)
        return 1
    result = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "lighthouse": version,
        "chromium": chrome_version(),
        "benchmark_index": benchmark_index(pages),
        "chrome_flags": CHROME_FLAGS,
        "gunicorn_workers": WORKERS,
        "pages": pages,
        "json_path": str(JSON_PATH.relative_to(REPO)),
    }
    write_json(result)
    print_report(result)
    failed = [page["path"] for page in pages if page["error"]]
    if failed:
        print(f"\nERROR: no Lighthouse result for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
