"""Every response's security headers: each exactly once, a view's own value kept, HSTS over HTTPS only.

core.security adds them in one pass over the headers already set (werkzeug's `setdefault` scanned
them all per header); these tests fail if a header goes missing, comes twice or overrides a view's.
"""

from __future__ import annotations

from flask import Response

from storefront.core.security import CSP

DEFAULTS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), payment=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _route(app, path: str, view) -> None:
    """A view of the test's own, registered before the app serves its first request."""
    app.add_url_rule(path, endpoint=path.strip("/").replace("/", "_"), view_func=view)


def test_every_header_once_with_its_default(sqlite_app):
    response = sqlite_app.test_client().get("/robots.txt")
    assert response.status_code == 200
    for name, value in DEFAULTS.items():
        assert response.headers.getlist(name) == [value], name
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https(sqlite_app):
    response = sqlite_app.test_client().get("/robots.txt", base_url="https://localhost")
    assert response.headers.getlist("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]


def test_a_views_own_headers_are_kept_and_not_doubled(sqlite_app):
    def framed():
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN", "referrer-policy": "same-origin"})

    _route(sqlite_app, "/__framed", framed)
    response = sqlite_app.test_client().get("/__framed")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Referrer-Policy") == ["same-origin"]  # names compare case-blind
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_the_configured_policy_replaces_the_built_in_one(sqlite_app):
    sqlite_app.config["CONTENT_SECURITY_POLICY"] = "default-src 'none'"
    response = sqlite_app.test_client().get("/robots.txt")
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]


def test_plain_views_are_asked_once_whether_they_are_coroutines(sqlite_app, monkeypatch):
    import storefront

    asked: list[object] = []
    real = storefront.iscoroutinefunction

    def counting(func):
        asked.append(func)
        return real(func)

    monkeypatch.setattr(storefront, "iscoroutinefunction", counting)

    def plain():
        return "plain"

    _route(sqlite_app, "/__plain", plain)
    client = sqlite_app.test_client()
    assert [client.get("/__plain").get_data(as_text=True) for _ in range(3)] == ["plain"] * 3
    assert asked.count(plain) == 1
    assert sqlite_app.ensure_sync(plain) is plain


def test_a_coroutine_view_is_still_handed_to_flask(sqlite_app, monkeypatch):
    handed: list[object] = []
    monkeypatch.setattr(type(sqlite_app), "async_to_sync", lambda self, func: handed.append(func) or (lambda: "ran"))

    async def later():
        return "later"

    assert sqlite_app.ensure_sync(later)() == "ran"
    assert sqlite_app.ensure_sync(later)() == "ran"  # never remembered as plain
    assert handed == [later, later]
