"""One structured log line per request: method, route, status, latency, size. No personal data.

The route is the URL rule (`/o/<token>`), never the path, so order tokens, search words and
query strings stay out of the logs; no IP address, user agent, cookie or account is written.
Lines are JSON on the `storefront.request` logger (stderr by default, one object per line), easy
to ship to any log store and to sum up with jq.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from flask import Flask, g, request

log = logging.getLogger("storefront.request")


def init_app(app: Flask) -> None:
    """Time every request and log it when the response leaves (if REQUEST_LOG is on)."""
    if not app.config.get("REQUEST_LOG"):
        return
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.pop("request_started", None)
        if started is not None:
            log.info(json.dumps(request_line(response, time.perf_counter() - started), separators=(",", ":")))
        return response


def request_line(response, seconds: float) -> dict:
    """The fields logged for one request."""
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    return {
        "ts": round(time.time(), 3),
        "method": request.method,
        "route": rule,
        "endpoint": request.endpoint or "",
        "status": response.status_code,
        "ms": round(seconds * 1000, 2),
        "bytes": response.calculate_content_length() or 0,
        "pid": os.getpid(),
    }
