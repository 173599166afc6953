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
from functools import lru_cache

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
        if started is not None and log.isEnabledFor(logging.INFO):
            log.info(request_json(response, time.perf_counter() - started))
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


@lru_cache(maxsize=1024)
def _quoted(text: str) -> str:
    """A JSON string; methods, routes and endpoints are a small fixed set, so each is encoded once."""
    return json.dumps(text)


def request_json(response, seconds: float) -> str:
    """request_line() as one compact JSON object, without a json.dumps of the whole dict per request."""
    rule = request.url_rule
    return (
        f'{{"ts":{time.time():.3f},"method":{_quoted(request.method)},'
        f'"route":{_quoted(rule.rule if rule is not None else "<unmatched>")},'
        f'"endpoint":{_quoted(request.endpoint or "")},"status":{int(response.status_code)},'
        f'"ms":{seconds * 1000:.2f},"bytes":{int(response.calculate_content_length() or 0)},"pid":{os.getpid()}}}'
    )
