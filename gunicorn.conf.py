"""Production defaults for gunicorn; override any of them on the command line."""

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests, a safety net against slow leaks. Each
# replacement starts with an empty page cache (without Redis) and new database connections, so
# not too often: at 10,000, make bench recycled a worker every few seconds (24 in 4 minutes).
# No leak was found: a worker's RSS stayed at 101 MB from 7,000 to 28,000 mixed shopper
# requests, 1,000 distinct search pages among them.
max_requests = 100000
max_requests_jitter = 10000
# The app logs one JSON line per request without personal data (storefront/core/requestlog.py);
# gunicorn's access log would add IP addresses and full URLs (order tokens), so it is off unless asked.
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is imported once, by the master, and the workers are forked from it: a worker starts
# (or is replaced after max_requests) in milliseconds instead of re-importing everything, which
# stalled its connections for a second or more under load, and every worker shares the same
# settings (a SECRET_KEY left unset is then one random key, not one per worker). Database pools
# are emptied in each forked worker (wsgi.py), so no connection is shared across processes.
preload_app = True


def when_ready(server):
    """Start the job worker, then (before the first web worker is forked) warm the app up.

    The job worker runs unless JOBS_EMBEDDED_WORKER=0 (deploy/storefront.service sets it: there
    deploy/storefront-worker.service runs the workers). Warming up compiles the templates and
    loads the languages once, here; only when the app is preloaded (the default above): with
    --no-preload the master must not import it, and each worker loads its own.
    """
    from storefront.jobs import embedded

    embedded.start_for(server)  # its handle lives in that module: this file is re-executed on HUP
    if not server.cfg.preload_app:
        return
    from storefront.core.warmup import warm_up

    try:
        done = warm_up(server.app.wsgi())
    except Exception:  # noqa: BLE001 - a template that fails to compile breaks its page, not the shop
        server.log.exception("warm-up failed; workers compile what they need on first use")
        return
    server.log.info("warmed up: %(templates)s templates, %(locales)s languages", done)


def pre_fork(server, worker):
    """Freeze what the master has built (the app, its templates, SQLAlchemy's mappers) before forking.

    Frozen objects are out of reach of the garbage collector, so a worker's full collection scans
    only what it allocated itself: measured under load, those pauses went from 60-125 ms (the
    whole preloaded heap, every few seconds) to 3-13 ms, which was most of the p99 of cached pages.
    It also stops collections from writing to the shared pages, so the workers share more memory
    with the master (Python's gc.freeze documentation recommends this for fork without exec).
    """
    gc.freeze()


def on_reload(server):
    """After a HUP, start the job worker again only if it is gone (its supervisor was killed)."""
    from storefront.jobs import embedded

    embedded.start_for(server)


def on_exit(server):
    """Stop the job worker with gunicorn (it finishes the job in hand first)."""
    from storefront.jobs import embedded

    embedded.stop()
