"""Configuration from environment variables, with safe defaults for a laptop."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable as a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _int(name: str, default: int) -> int:
    """Read an integer environment variable, falling back to ``default``."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    """Read a number (like 2.5) from the environment, falling back to ``default``."""
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _whole(name: str, default: int) -> int:
    """Read a whole number from the environment; anything else (empty, "5m", "-1") keeps ``default``."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


def static_folder() -> str:
    """The static files' folder: STOREFRONT_STATIC_FOLDER (built or copied assets), else static/.

    Read when the app is built, not in Config: Flask needs it before any setting is loaded.
    """
    return os.environ.get("STOREFRONT_STATIC_FOLDER") or str(ROOT / "static")


class ConfigError(RuntimeError):
    """A combination of settings the shop refuses to start with (the message says what to set)."""


def check_config(config) -> None:
    """Refuse settings that would make the shop wrong about money; ConfigError says what to fix."""
    if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
        # Without it every webhook is refused: a shopper who pays and closes the tab would be
        # told "nothing was charged" when the hold runs out.
        raise ConfigError(
            "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: set the webhook signing secret "
            "(whsec_..., from the Stripe dashboard or `stripe listen`), or unset STRIPE_SECRET_KEY for cash only."
        )
    timeout = config.get("STRIPE_TIMEOUT_SECONDS")
    if not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise ConfigError(f"STRIPE_TIMEOUT_SECONDS must be above 0 and at most 60 seconds, not {timeout!r}.")
    retries = config.get("STRIPE_MAX_NETWORK_RETRIES")
    if not isinstance(retries, int) or not 0 <= retries <= 5:
        raise ConfigError(f"STRIPE_MAX_NETWORK_RETRIES must be a whole number from 0 to 5, not {retries!r}.")
    _check_job_settings(config)
    _check_mail_settings(config)


# The job settings' ranges: a zero interval would keep a worker re-running one periodic job
# and starve the others (hold expiry included); a zero poll would spin a core.
JOB_RANGES = {"JOBS_POLL_SECONDS": (0.05, 60), "JOBS_ROLLUP_SECONDS": (60, 86_400), "JOBS_KEEP_DAYS": (1, 3650)}


def _check_job_settings(config) -> None:
    """Refuse job settings outside their ranges (ConfigError names the setting and the range)."""
    for name, (low, high) in JOB_RANGES.items():
        value = config.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(f"{name} must be from {low} to {high}, not {value!r}.")


SMTP_SECURITY_CHOICES = ("starttls", "ssl", "none")


def _check_mail_settings(config) -> None:
    """Refuse email settings that could only fail (or send in clear by surprise); ConfigError says which."""
    if not config.get("SMTP_HOST"):
        return  # no email: the other settings are not used
    shop_url = urlsplit(str(config.get("SHOP_URL") or ""))
    if shop_url.scheme not in ("http", "https") or not shop_url.netloc:
        # Emails are read elsewhere: their links must carry the shop's own public address.
        raise ConfigError(
            "SMTP_HOST is set but SHOP_URL is not the shop's public address: set SHOP_URL to an absolute "
            f"http(s) URL like https://shop.example.com (emails link to it), not {config.get('SHOP_URL')!r}."
        )
    security = config.get("SMTP_SECURITY")
    if security not in SMTP_SECURITY_CHOICES:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, not {security!r}.")
    port = config.get("SMTP_PORT")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"SMTP_PORT must be a port number from 1 to 65535, not {port!r}.")
    timeout = config.get("SMTP_TIMEOUT_SECONDS")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 60:
        raise ConfigError(f"SMTP_TIMEOUT_SECONDS must be above 0 and at most 60 seconds, not {timeout!r}.")
    sender = config.get("MAIL_FROM") or ""
    if "\r" in sender or "\n" in sender or (sender and "@" not in sender):
        raise ConfigError(f"MAIL_FROM must be one address like 'Shop <shop@example.com>', not {sender!r}.")


class Config:
    """Production-ish defaults; every value can be overridden from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or ""  # filled by create_app
    # No pool_pre_ping (a round trip per checkout): core/pool.py drops connections the server closed.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # "pgbouncer": PostgreSQL is reached through PgBouncer in transaction mode (deploy/cluster/), where
    # a server connection serves another client after each transaction: psycopg then prepares no
    # statements (a prepared one would be missing on the next transaction's server connection).
    DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
    # Reports on a read replica (core/replica.py, README "Reports on a read replica (issue 22)"):
    # report pages, CSV exports, feeds and segment counts read from this standby; "" = the primary.
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
    REPLICA_CONNECT_TIMEOUT = _whole("REPLICA_CONNECT_TIMEOUT", 3)  # seconds before falling back to the primary
    REPLICA_LAG_NOTICE_SECONDS = _whole("REPLICA_LAG_NOTICE_SECONDS", 10)  # older figures say how old
    SHOP_NAME = os.environ.get("SHOP_NAME", "Storefront")
    SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "USD").upper()
    SHOP_LOCALE = os.environ.get("SHOP_LOCALE", "en")
    SHOP_COUNTRY = os.environ.get("SHOP_COUNTRY", "US").upper()  # checkout default
    SHOP_TIMEZONE = os.environ.get("SHOP_TIMEZONE", "UTC")
    SHOP_SHORT_NAME = os.environ.get("SHOP_SHORT_NAME", "")  # home-screen label; default: the name
    SHOP_LOGO = os.environ.get("SHOP_LOGO", "")  # a square image file for the app icons
    THEME_COLOR = os.environ.get("THEME_COLOR", "#1f4e5f")
    BACKGROUND_COLOR = os.environ.get("BACKGROUND_COLOR", "#ffffff")
    # The brand's defaults until the owner saves Admin > Brand (stored in the database from then on):
    # the announcement bar's colour (SHOP_NAME, THEME_COLOR ... above are the others).
    BRAND_ACCENT_COLOR = os.environ.get("BRAND_ACCENT_COLOR", "#e3eff1")
    # The shop's own words come in these languages (catalogues in storefront/translations/);
    # a shopper's choice or Accept-Language picks one, else SHOP_LOCALE.
    SUPPORTED_LOCALES = _list("SUPPORTED_LOCALES", "en,bn,es,zh_Hans")
    LOCALE_COOKIE_NAME = "locale"
    BABEL_DEFAULT_LOCALE = SHOP_LOCALE
    BABEL_DEFAULT_TIMEZONE = SHOP_TIMEZONE
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = REDIS_URL or "swept-memory://"  # beacon; per process without Redis (core/ratelimit.py)
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "storefront")  # shops sharing one Redis
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down or hanging (issue 22): each Redis call waits at most REDIS_TIMEOUT_S; limits then
    # count in each worker's memory until Redis answers again (Flask-Limiter looks again after 1, 2,
    # 4 ... 32 s), and the page cache is skipped for a few seconds (core.pagecache). Never a refusal.
    REDIS_TIMEOUT_S = _float("REDIS_TIMEOUT_S", 0.5)
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Shopper page cache (core.pagecache): "" picks RedisCache when REDIS_URL is set (shared by
    # every worker and server), else SimpleCache (each worker's memory, CACHE_THRESHOLD pages).
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "")
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX") or f"{RATELIMIT_KEY_PREFIX}:cache:"
    CACHE_DEFAULT_TIMEOUT = _int("CACHE_DEFAULT_TIMEOUT", 600)  # changes invalidate at once; this bounds memory
    CACHE_THRESHOLD = _int("CACHE_THRESHOLD", 500)
    # Bounds (core.pagestore), so a flood of odd URLs cannot grow memory: at most this many
    # cached pages in Redis (LRU), none over CACHE_MAX_PAGE_BYTES. Search pages have their own
    # cap (in Redis; per worker without it) and life, and only a search worth it is cached:
    # with results, a short query, one of its first pages.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")  # default REDIS_URL; see README "Redis"
    CACHE_MAX_PAGES = _int("CACHE_MAX_PAGES", 2000)
    CACHE_MAX_PAGE_BYTES = _int("CACHE_MAX_PAGE_BYTES", 256 * 1024)
    SEARCH_CACHE_MAX_KEYS = _int("SEARCH_CACHE_MAX_KEYS", 200)
    SEARCH_CACHE_TIMEOUT = _int("SEARCH_CACHE_TIMEOUT", 120)
    SEARCH_CACHE_MAX_QUERY_CHARS = _int("SEARCH_CACHE_MAX_QUERY_CHARS", 40)
    SEARCH_CACHE_MAX_PAGE = _int("SEARCH_CACHE_MAX_PAGE", 3)
    CACHE_REDIS_TIMEOUT_S = REDIS_TIMEOUT_S
    # Login attempts per address, counted in the database (auth/throttle.py): shared by every worker
    # and server with or without Redis. Each account also backs off after 5 failures in a row.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour")
    # Uploads: the request cap is above the per-photo cap so an oversized photo is answered
    # by the form (with its message) rather than by a bare 413.
    MAX_PHOTO_BYTES = _int("MAX_PHOTO_BYTES", 8 * 1024 * 1024)
    MAX_PHOTO_PIXELS = _int("MAX_PHOTO_PIXELS", 40_000_000)
    MAX_CONTENT_LENGTH = MAX_PHOTO_BYTES * 2
    # One short video per product (catalog/video.py). Its upload route alone raises the request
    # cap to twice this, by the same rule as photos (admin/views.py UPLOAD_BODY_CAPS), not every route's.
    PRODUCT_VIDEO_MAX_BYTES = _int("PRODUCT_VIDEO_MAX_BYTES", 20 * 1024 * 1024)
    # One photo upload request (several photos chosen at once on a phone); owners only.
    MAX_PHOTO_UPLOAD_BYTES = _int("MAX_PHOTO_UPLOAD_BYTES", 48 * 1024 * 1024)
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT", "")  # default: instance/media
    MAX_LINE_QUANTITY = _int("MAX_LINE_QUANTITY", 20)
    MAX_CART_LINES = _int("MAX_CART_LINES", 50)
    PAGE_SIZE = _int("PAGE_SIZE", 12)
    SHIPPING_FLAT_FEE = _int("SHIPPING_FLAT_FEE", 500)  # minor units, delivery only
    # Hoarding limits (orders/limit_rules.py): the defaults until the owner saves their own on
    # Admin > Order limits. 0 switches a limit off. Units per order apply to every order; the
    # open-order counts to cash orders placed and not yet confirmed by staff; those are
    # cancelled (stock back) by the expire-holds sweep after ORDER_RELEASE_AFTER_HOURS.
    ORDER_MAX_UNITS = _int("ORDER_MAX_UNITS", 30)
    ORDER_MAX_OPEN_PER_PHONE = _int("ORDER_MAX_OPEN_PER_PHONE", 3)
    ORDER_MAX_OPEN_PER_ADDRESS = _int("ORDER_MAX_OPEN_PER_ADDRESS", 3)
    ORDER_RELEASE_AFTER_HOURS = _int("ORDER_RELEASE_AFTER_HOURS", 48)
    # The shop's country calling code (e.g. "1", "44", "880"): turns customers' local phone
    # numbers into WhatsApp links on the admin order page ("" shows links for +numbers only).
    SHOP_CALLING_CODE = os.environ.get("SHOP_CALLING_CODE", "")
    CART_COOKIE_NAME = "cart"
    CART_COOKIE_MAX_AGE = 90 * 24 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    FORCE_SECURE_COOKIES = os.environ.get("FORCE_SECURE_COOKIES", "") == "1"
    TRUST_PROXY = _int("TRUST_PROXY", 0)  # number of reverse proxies in front (X-Forwarded-*)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: phones keep tabs for days
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    REQUEST_LOG = os.environ.get("REQUEST_LOG", "1") == "1"  # one JSON line per request (no personal data)
    # Card payments (Stripe Checkout) are offered only when a secret key is set; the app refuses
    # to start with a key but no webhook secret (check_config).
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # Each Stripe request waits at most STRIPE_TIMEOUT_SECONDS; creating a page and refunding are
    # retried this many times more (the webhook and the return page never retry). Keep
    # (retries + 1) x timeout under gunicorn's 30 s worker timeout: 2 x 10 s + backoff.
    STRIPE_TIMEOUT_SECONDS = _float("STRIPE_TIMEOUT_SECONDS", 10.0)
    STRIPE_MAX_NETWORK_RETRIES = _int("STRIPE_MAX_NETWORK_RETRIES", 1)
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # default: Stripe's; a mock's URL in tests
    # Sellers: a seller link counts for this many days (last touch wins); commission is approved
    # this many days after delivery/collection (returns are still possible before).
    SELLER_ATTRIBUTION_DAYS = _int("SELLER_ATTRIBUTION_DAYS", 30)
    SELLER_RETURN_WINDOW_DAYS = _int("SELLER_RETURN_WINDOW_DAYS", 14)
    SELLER_COOKIE_NAME = "ref"
    # Owner reports (reports/views.py): a report page first rolls up today again when its rollup
    # is older than this, and catches up at most this many days (more is `flask rollup`'s job).
    REPORTS_REFRESH_SECONDS = _whole("REPORTS_REFRESH_SECONDS", 300)
    REPORTS_CATCHUP_DAYS = _whole("REPORTS_CATCHUP_DAYS", 14)
    # Tracker beacon (POST /e) requests per address; the load benchmark raises it (bench/events.py).
    EVENTS_RATE_LIMIT = os.environ.get("EVENTS_RATE_LIMIT") or "120 per minute"

    # Notifications (storefront/notify, README "Notifications"). Links in pushes and emails sent by
    # the job worker point at SHOP_URL (the shop's public address, e.g. https://shop.example.com);
    # without it, at the address the causing request came to. The send log keeps message texts
    # NOTIFY_BODY_KEEP_DAYS, its rows NOTIFY_LOG_KEEP_DAYS. Sellers get WhatsApp buttons to their
    # own customers only when SELLERS_MAY_MESSAGE_CUSTOMERS=1. PUSH_ALLOW_HTTP_ENDPOINTS accepts
    # loopback http:// push services (tests and benchmarks only; browsers' services are https).
    SHOP_URL = os.environ.get("SHOP_URL", "")
    NOTIFY_BODY_KEEP_DAYS = _int("NOTIFY_BODY_KEEP_DAYS", 14)
    NOTIFY_LOG_KEEP_DAYS = _int("NOTIFY_LOG_KEEP_DAYS", 180)
    SELLERS_MAY_MESSAGE_CUSTOMERS = os.environ.get("SELLERS_MAY_MESSAGE_CUSTOMERS", "") == "1"
    PUSH_ALLOW_HTTP_ENDPOINTS = os.environ.get("PUSH_ALLOW_HTTP_ENDPOINTS", "") == "1"
    PUSH_SERVICE_HOSTS = os.environ.get("PUSH_SERVICE_HOSTS", "")  # more push services' host suffixes, comma-separated

    # Background jobs (storefront/jobs, README "Background jobs"): gunicorn starts one worker
    # process beside the web workers unless JOBS_EMBEDDED_WORKER=0 (production runs
    # deploy/storefront-worker.service instead). An idle worker looks for work every
    # JOBS_POLL_SECONDS; the report rollups catch up every JOBS_ROLLUP_SECONDS; finished jobs
    # (and the idempotency keys they hold) are kept JOBS_KEEP_DAYS.
    JOBS_EMBEDDED_WORKER = os.environ.get("JOBS_EMBEDDED_WORKER", "1") == "1"
    JOBS_POLL_SECONDS = _float("JOBS_POLL_SECONDS", 1.0)
    # A minute: a run folds in only the open day's new events (analytics/open_day.py), so the
    # reports lag about a minute plus the run even at 10,000 events/s (README, issue 22).
    JOBS_ROLLUP_SECONDS = _int("JOBS_ROLLUP_SECONDS", 60)
    JOBS_KEEP_DAYS = _int("JOBS_KEEP_DAYS", 30)

    # Email (storefront/notify/mail.py); without SMTP_HOST the shop sends no email. SMTP_SECURITY:
    # "starttls" (port 587; never falls back to plain text), "ssl" (implicit TLS, port 465) or
    # "none" (a relay on this machine only). Certificates are checked against the system's.
    # MAIL_FROM: the From address ("Shop <shop@example.com>" or a bare address, named after the
    # shop); default: the shop's email from Admin > Brand. Each step waits SMTP_TIMEOUT_SECONDS.
    SMTP_HOST = os.environ.get("SMTP_HOST", "").strip()
    SMTP_PORT = _int("SMTP_PORT", 587)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "starttls").strip().lower()
    MAIL_FROM = os.environ.get("MAIL_FROM", "").strip()
    SMTP_TIMEOUT_SECONDS = _float("SMTP_TIMEOUT_SECONDS", 10.0)

    # Compression (storefront/core/compression.py, static_assets.py): pages and JSON are sent
    # brotli/gzip-encoded when the client accepts it (COMPRESS_RESPONSES=0 leaves it to a proxy);
    # static files from pre-compressed variants kept here (default: instance/static-compressed).
    COMPRESS_RESPONSES = os.environ.get("COMPRESS_RESPONSES", "1") == "1"
    COMPRESS_MIN_BYTES = _int("COMPRESS_MIN_BYTES", 500)
    STATIC_COMPRESSED_DIR = os.environ.get("STATIC_COMPRESSED_DIR", "")

    # Web Push (storefront/notify/webpush.py): the shop's VAPID key signs every push, and browsers
    # tie their subscriptions to it, so it is made once and kept (a new key ends every subscription).
    # VAPID_PRIVATE_KEY (PEM, or the raw 32-byte key in base64url) wins; else the PEM file at
    # VAPID_PRIVATE_KEY_FILE (default: instance/vapid-private.pem), created on first use, mode 0600
    # (`flask notify vapid-keys` creates it and prints the public key). VAPID_SUBJECT is how push
    # services reach the owner (default: mailto:SHOP_EMAIL, else the shop's https SHOP_URL); each
    # push waits at most PUSH_TIMEOUT_SECONDS for the push service.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
    VAPID_PRIVATE_KEY_FILE = os.environ.get("VAPID_PRIVATE_KEY_FILE", "")
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "")
    PUSH_TIMEOUT_SECONDS = _float("PUSH_TIMEOUT_SECONDS", 10.0)

    # Product feeds (storefront/feeds, README "Product feeds"): a finished feed is kept as a file in
    # FEEDS_CACHE_DIR (default: instance/feeds) until the catalog changes; each feed link may be
    # fetched FEEDS_RATE_LIMIT times (Google fetches daily, Meta at most hourly).
    FEEDS_CACHE_DIR = os.environ.get("FEEDS_CACHE_DIR", "")
    FEEDS_RATE_LIMIT = os.environ.get("FEEDS_RATE_LIMIT") or "60 per hour"


class TestConfig(Config):
    """Settings for the test suite: a fixed secret and a strict login limit."""

    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    LOGIN_RATE_LIMIT = "5 per minute"
    RATELIMIT_STORAGE_URI = "swept-memory://"
    CACHE_TYPE = "SimpleCache"  # the Redis tests configure Redis themselves
    REQUEST_LOG = False  # tests that need it turn it on
    STRIPE_SECRET_KEY = ""  # card payment tests configure a fake Stripe themselves
    STRIPE_WEBHOOK_SECRET = ""
    SHOP_TIMEZONE = BABEL_DEFAULT_TIMEZONE = "UTC"  # not the developer's SHOP_TIMEZONE: tests pin zones themselves
    JOBS_EMBEDDED_WORKER = False  # tests run jobs themselves (jobs.run_due) at the instant they choose
    SMTP_HOST = ""  # no email unless a test starts its own SMTP server (tests/notify/smtp_server.py)
    SHOP_URL = "http://localhost"  # the test client's own address (check_config wants one when email is on)
    # A fixed Web Push key (tests only: never written to instance/), and the local push service's http:// endpoints.
    VAPID_PRIVATE_KEY = "kF9W4wAEh5xYPpC6MiCkIfA78YL1mfNJqqGTbKY9jxY"  # noqa: S105 - tests only
    PUSH_ALLOW_HTTP_ENDPOINTS = True
