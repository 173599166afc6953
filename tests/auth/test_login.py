"""Signing in and out of the admin: messages, safe `next=`, rate limit, CSRF, hashing, inactive accounts."""

from __future__ import annotations

import functools
import re

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from storefront.auth import models as auth_models
from storefront.auth.models import User
from storefront.extensions import db
from tests.builders import PASSWORD, ShopClient, make_user

WRONG = "Wrong email or password."


@pytest.fixture
def owner(app, monkeypatch):
    """The owner's account id. Its hash takes one round so the many sign-ins here stay fast;
    test_password_is_stored_hashed signs in with the real hash."""
    monkeypatch.setattr(
        auth_models, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    )
    with app.app_context():
        return make_user("owner@example.com", "owner").id


def is_signed_in(shop: ShopClient) -> bool:
    """True when /admin/ opens, False when it redirects to the login page."""
    response = shop.client.get("/admin/")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login?next=")
    return response.status_code == 200


def test_login_page_opens(shop):
    page = shop.client.get("/login?next=/admin/orders")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert 'name="next" type="hidden" value="/admin/orders"' in page.text


def test_wrong_credentials_get_401_and_stay_anonymous(shop, owner):
    for email, password in [
        ("owner@example.com", "not the password"),
        ("nobody@example.com", PASSWORD),
        ("owner@example.com", PASSWORD.upper()),
    ]:
        response = shop.login(email, password)
        assert response.status_code == 401, (email, password)
        assert WRONG in response.text
        assert f'value="{email}"' in response.text, "the email is kept"
        assert PASSWORD not in response.text and password not in response.text, "passwords are never echoed"
        assert not is_signed_in(shop)


def test_empty_form_is_422_with_messages(shop, owner):
    response = shop.login("", "")
    assert response.status_code == 422
    assert "Please give your email." in response.text and "Please give your password." in response.text
    assert not is_signed_in(shop)


def test_right_password_signs_in_and_goes_to_the_dashboard(shop, owner):
    response = shop.login()
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert is_signed_in(shop)


def test_email_is_matched_case_insensitively(shop, owner):
    assert shop.login("  Owner@Example.COM ").status_code == 303
    assert is_signed_in(shop)


def test_right_password_goes_back_to_a_safe_next(shop, owner):
    response = shop.login(next_url="/admin/orders?status=placed")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/orders?status=placed"


def test_next_from_the_redirect_survives_the_login_form(shop, owner):
    bounce = shop.client.get("/admin/stock?low=1")
    assert bounce.status_code == 302
    form = shop.client.get(bounce.headers["Location"])
    assert 'value="/admin/stock?low=1"' in form.text
    assert shop.login(next_url="/admin/stock?low=1").headers["Location"] == "/admin/stock?low=1"


EVIL_NEXT = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "https:evil.example",
    "///evil.example",
    "/\t/evil.example",
    " //evil.example",
    "\\\\evil.example",
]


def _assert_local(location: str) -> None:
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and "evil" not in location, location


def test_unsafe_next_never_leaves_the_site(shop, owner):
    for number, target in enumerate(EVIL_NEXT):
        shop.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number}"  # stay under the login rate limit
        response = shop.login(next_url=target)
        assert response.status_code == 303, target
        _assert_local(response.headers["Location"])
        assert response.headers["Location"] == "/admin/", target
        # Already signed in, a GET of the login page redirects at once: same check.
        again = shop.client.get("/login", query_string={"next": target})
        assert again.status_code == 302, target
        _assert_local(again.headers["Location"])


def test_unsafe_next_is_not_trusted_when_it_arrives_by_query_string(shop, owner):
    page = shop.client.get("/login", query_string={"next": "//evil.example"})
    assert page.status_code == 200
    # A tampered hidden field is checked again when the form comes back.
    response = shop.login(next_url="//evil.example")
    _assert_local(response.headers["Location"])


def test_next_cannot_inject_markup_into_the_login_page(shop):
    page = shop.client.get("/login", query_string={"next": '/admin/"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, "kept in the hidden field, escaped"


def test_sixth_attempt_in_a_minute_is_refused_even_with_the_right_password(shop, owner, app):
    phone = ShopClient(app.test_client())  # the owner's phone, signed in earlier: a known device
    phone.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert phone.login().status_code == 303
    assert phone.post("/logout").status_code == 303
    for _ in range(5):
        assert shop.login(password="wrong password!").status_code == 401
    response = shop.login()
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert int(response.headers["Retry-After"]) > 0
    assert not is_signed_in(shop)
    spoofed = shop.post(
        "/login",
        {"email": "owner@example.com", "password": PASSWORD, "next": ""},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert spoofed.status_code == 429, "X-Forwarded-For is not trusted without TRUST_PROXY"
    # The account backs off for devices it does not know, from any address...
    stranger = ShopClient(app.test_client())
    stranger.client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    assert stranger.login().status_code == 429
    # ... but the owner's own phone still signs in.
    assert phone.login().status_code == 303


def test_logout_needs_post_with_csrf(shop, owner):
    assert shop.login().status_code == 303
    assert shop.client.get("/logout").status_code == 405
    assert is_signed_in(shop)
    forged = shop.client.post("/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert shop.client.post("/logout").status_code == 400
    assert is_signed_in(shop)
    response = shop.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "You are signed out." in shop.client.get("/login").text
    assert not is_signed_in(shop)


def test_login_with_forged_csrf_is_400_and_not_signed_in(shop, owner):
    shop.csrf()  # the browser has a session with a real token, but does not send it
    for token in ("forged", "", None, shop.csrf() + "x"):
        data = {"email": "owner@example.com", "password": PASSWORD, "next": ""}
        if token is not None:
            data["csrf_token"] = token
        response = shop.client.post("/login", data=data)
        assert response.status_code == 400, token
        assert "This form has expired or was not sent by this site." in response.text
        assert not is_signed_in(shop)


def test_token_from_another_browser_is_refused(shop, owner, app):
    stranger = ShopClient(app.test_client())
    response = shop.client.post(
        "/login", data={"email": "owner@example.com", "password": PASSWORD, "next": "", "csrf_token": stranger.csrf()}
    )
    assert response.status_code == 400
    assert not is_signed_in(shop)


def test_password_is_stored_hashed(app, shop):
    with app.app_context():
        stored = make_user("owner@example.com", "owner").password_hash
        other = make_user("staff@example.com", "staff").password_hash
    assert stored != PASSWORD and PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))
    assert other != stored, "each hash has its own salt"
    assert shop.login(password=PASSWORD + "!").status_code == 401
    assert shop.login().status_code == 303, "the real hash is checked at sign-in"
    assert is_signed_in(shop)


def test_inactive_user_cannot_sign_in(shop, app, owner):
    with app.app_context():
        db.session.get(User, owner).active = False
        db.session.commit()
    response = shop.login()
    assert response.status_code == 401
    assert WRONG in response.text
    assert not is_signed_in(shop)


def test_deactivated_user_loses_an_open_session(shop, app, owner):
    assert shop.login().status_code == 303
    assert is_signed_in(shop)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "owner@example.com")).one()
        user.active = False
        db.session.commit()
    assert not is_signed_in(shop)


def test_session_cookie_is_secure_over_https(app, owner):
    client = app.test_client()
    https = {"base_url": "https://shop.example", "headers": {"Referer": "https://shop.example/login"}}
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login", **https).text).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "owner@example.com", "password": PASSWORD}, **https
    )
    assert response.status_code == 303
    (session,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "; Secure" in session and "; HttpOnly" in session and "SameSite=Lax" in session


def test_remember_me_cookie_is_secure_over_https(app, owner):
    client = app.test_client()
    https = {"base_url": "https://shop.example", "headers": {"Referer": "https://shop.example/login"}}
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login", **https).text).group(1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "owner@example.com", "password": PASSWORD, "remember": "y"},
        **https,
    )
    assert response.status_code == 303
    (remember,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert "; HttpOnly" in remember
    assert "; Secure" in remember
