"""Security headers on every response, secure cookies over HTTPS, and safe `next=` redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


def build_csp(form_action: tuple[str, ...] = ("'self'",)) -> str:
    """The Content-Security-Policy; `form_action` adds the payment page a checkout form may lead to."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action " + " ".join(form_action),
            "frame-ancestors 'none'",
        ]
    )


CSP = build_csp()


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions, plus the one place that finishes every response's cookies."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("FORCE_SECURE_COOKIES") or request.is_secure)

    def save_session(self, app: Flask, session, response) -> None:
        """Save as usual, then finish the cookies: Flask saves the session after every
        after_request hook (Flask-Login's remember-me cookie included), so here every cookie the
        response sets is known: all become Secure over HTTPS, and the response private."""
        super().save_session(app, session, response)
        if response.cache_control.immutable and not session.modified:
            # Flask-Login peeks at the session after every request, so Flask adds `Vary: Cookie`,
            # but a file whose URL fixes its content does not depend on cookies: without this,
            # a new cart cookie would make browsers fetch the year-long-cached CSS and JS again.
            response.vary.discard("cookie")  # lower case: HeaderSet.remove matches its list case-sensitively
        if request.is_secure:
            _secure_cookies(response)
        _private_if_setting_cookies(response)


def is_safe_next(target: str | None) -> bool:
    """True only for a path on this site: '/admin', not 'https://evil', '//evil' or '/\\evil'."""
    if not target or not target.startswith("/") or len(target) > 2000:
        return False
    if target.startswith(("//", "/\\")) or "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a safe local path, else `fallback`."""
    return target if is_safe_next(target) else fallback


PRIVATE = "private_blueprints"
PRIVATE_ENDPOINTS = "private_endpoints"  # endpoint -> (private, secret URL), filled as requests come


def private_blueprint(bp: Blueprint, secret_urls: bool = False) -> None:
    """Declare every page of `bp` personal: never stored by a shared cache or the service worker.

    The service worker keeps nothing marked `no-store`, so this one declaration is what keeps an
    admin page, a cart or an order off a shared phone's offline copies. `secret_urls` is for pages
    whose link is the key (order pages): their address must not leak as a referrer or be indexed.
    """
    bp.record_once(lambda state: state.app.extensions.setdefault(PRIVATE, {}).__setitem__(bp.name, secret_urls))


def private(view):
    """Declare one view personal (see private_blueprint) in a blueprint whose other pages are public."""
    view.private = True
    return view


def _mark_private(response) -> None:
    """The one place that writes the private-page headers, for the pages declared private."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched (a 404 or 405): nothing was declared
        return
    app = current_app._get_current_object()
    marks = app.extensions.setdefault(PRIVATE_ENDPOINTS, {})  # worked out once per endpoint: every response asks
    mark = marks.get(endpoint)
    if mark is None:
        mark = marks[endpoint] = _privacy_of(app, endpoint, request.blueprints)
    private, secret_url = mark
    if private:
        response.headers["Cache-Control"] = "no-store"
    if secret_url:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"


def _privacy_of(app: Flask, endpoint: str, blueprints: list[str]) -> tuple[bool, bool]:
    """(private, secret URL) for one endpoint, from its blueprints' declarations and its own."""
    declared = app.extensions.get(PRIVATE, {})
    marked = [name for name in blueprints if name in declared]
    view = app.view_functions.get(endpoint)
    return bool(marked) or getattr(view, "private", False), any(declared[name] for name in marked)


# The headers every response carries unless a view set its own (CSP comes from the settings).
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), payment=(), geolocation=(self)"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _add_headers(response):
    """Headers every response carries; HSTS only when served over HTTPS.

    The names already set are read in one pass: werkzeug's `setdefault` scans every header per
    call (seven scans on every response, cached pages included, cost more than this whole hook).
    """
    _mark_private(response)
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    wanted = [("Content-Security-Policy", current_app.config.get("CONTENT_SECURITY_POLICY") or CSP), *_ALWAYS]
    if request.is_secure:
        wanted.append(_HSTS)
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


def _private_if_setting_cookies(response) -> None:
    """A response that sets a cookie is for one browser only: say so in Cache-Control.

    Shared caches must not keep it, and the service worker (which cannot see Set-Cookie
    headers) learns from `private` that it must not store the page either.
    """
    if "Set-Cookie" not in response.headers:
        return
    directives = response.headers.get("Cache-Control", "")
    if "no-store" not in directives and "private" not in directives:
        response.headers["Cache-Control"] = f"private, {directives}" if directives else "private"


def _secure_cookies(response) -> None:
    """Over HTTPS every cookie (session, remember-me, cart) is Secure, whoever set it."""
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies:
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        if not any(part.strip().lower() == "secure" for part in cookie.split(";")):
            cookie += "; Secure"
        response.headers.add("Set-Cookie", cookie)


def _refuse_nul_bytes():
    """No text in the shop may hold a NUL byte (PostgreSQL cannot store one): refuse it early."""
    # Every value of every name (a repeated name's later values too), and the names themselves.
    values = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values.extend(text for pair in request.form.items(multi=True) for text in pair)
    if any("\x00" in value for value in values):
        abort(400, description="nul")
    return None


def accepts_json(view):
    """Mark a view that reads a JSON body itself (the beacon, webhooks); every other view refuses one."""
    view.accepts_json = True
    return view


def _refuse_unexpected_json():
    """A JSON body only where a view asked for one (415 elsewhere).

    The shop's forms (Flask-WTF) read a JSON body as their fields when no form was sent, and a
    list, a string or a nested object there is no form at all: it would crash the form, not be
    refused by it. The shop's own scripts post forms; only the beacon and webhooks send JSON.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and not getattr(view, "accepts_json", False):
        abort(415)
    return None


def init_app(app: Flask) -> None:
    """Install the proxy fix (when configured), the session interface and the headers."""
    if app.config.get("TRUST_PROXY"):
        hops = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.session_interface = SessionInterface()
    app.before_request(_refuse_nul_bytes)
    app.before_request(_refuse_unexpected_json)
    app.after_request(_add_headers)
