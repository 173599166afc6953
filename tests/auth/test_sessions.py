"""Sessions that can be ended: logout, password changes, sign out everywhere, disabled accounts, remember-me."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from storefront.auth.models import LoginAttempt, User, UserSession
from storefront.auth.signin import DEVICE_COOKIE, REMEMBER_COOKIE
from storefront.catalog import generation
from storefront.clock import utcnow
from storefront.extensions import db
from tests.builders import PASSWORD, ShopClient, make_user

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # many sign-ins; hashing is tested in test_login

NEW_PASSWORD = "a brand new passphrase"


def browser(app, address: str = "127.0.0.1") -> ShopClient:
    """A fresh browser (own cookies) at `address`."""
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = address
    return shop


def signed_in(app, email: str = "owner@example.com", address: str = "127.0.0.1", remember: str = "") -> ShopClient:
    """A browser at `address` signed in to `email` (ticking "keep me signed in" when remember="y")."""
    shop = browser(app, address)
    form = {"email": email, "password": PASSWORD, "next": ""}
    assert shop.post("/login", {**form, "remember": remember} if remember else form).status_code == 303
    return shop


def opens(shop: ShopClient, url: str = "/admin/") -> bool:
    """True when the page opens, False when it sends the browser to the login page."""
    response = shop.client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    return response.status_code == 200


def copy_cookies(source: ShopClient, target: ShopClient, *names: str) -> None:
    """Put `source`'s cookies into `target`, as a thief with a copy of them would."""
    for name in names:
        cookie = source.client.get_cookie(name)
        assert cookie is not None, name
        target.client.set_cookie(name, cookie.value)


@pytest.fixture
def owner(app):
    with app.app_context():
        return make_user("owner@example.com", "owner").id


@pytest.fixture
def seller(app):
    """A seller account (with its profile) and its id."""
    from storefront.sellers.accounts import create_seller

    with app.app_context():
        made, _password = create_seller(
            db.session,
            email="sam@example.com",
            name="Sam",
            phone="",
            password=PASSWORD,
            code="SAM1",
            rate_bp=1000,
            overrides={},
            now=utcnow(),
        )
        db.session.commit()
        return made.user_id


def test_a_copied_session_cookie_stops_working_after_logout(app, owner, seller):
    for email, page in (("owner@example.com", "/admin/"), ("sam@example.com", "/seller/")):
        shop = signed_in(app, email)
        thief = browser(app, "203.0.113.5")
        copy_cookies(shop, thief, "session")
        assert opens(thief, page), "the copy works while the session lives"
        assert shop.post("/logout").status_code == 303
        assert not opens(thief, page), f"{email}: the copied cookie still opens {page} after logout"
        assert not opens(shop, page)


def test_logout_ends_the_remember_me_token_too(app, owner):
    shop = signed_in(app, remember="y")
    thief = browser(app, "203.0.113.5")
    copy_cookies(shop, thief, REMEMBER_COOKIE)
    assert shop.post("/logout").status_code == 303
    assert shop.client.get_cookie(REMEMBER_COOKIE) is None, "the browser is told to drop it"
    assert not opens(thief)


def test_a_password_change_signs_out_every_other_browser(app, owner):
    laptop = signed_in(app)
    phone = signed_in(app, address="198.51.100.7")
    tablet = signed_in(app, address="198.51.100.8", remember="y")
    remembered = browser(app, "198.51.100.9")
    copy_cookies(tablet, remembered, REMEMBER_COOKIE)
    page = laptop.client.get("/account/")
    assert page.status_code == 200 and "Signed in on 3 devices." in page.text
    response = laptop.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert "Other devices signed out: 3." in laptop.client.get("/account/").text, "two sessions and a remember-me token"
    assert opens(laptop), "the browser that changed it stays signed in"
    assert not opens(phone) and not opens(tablet) and not opens(remembered)
    assert browser(app, "192.0.2.1").login(password=PASSWORD).status_code == 401
    assert browser(app, "192.0.2.2").login(password=NEW_PASSWORD).status_code == 303


def test_a_wrong_current_password_changes_nothing(app, owner):
    laptop = signed_in(app)
    phone = signed_in(app, address="198.51.100.7")
    response = laptop.post(
        "/account/password", {"current": "not it at all", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 422 and "Your current password is not right." in response.text
    short = laptop.post("/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    differ = laptop.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    assert opens(phone)
    assert browser(app, "192.0.2.1").login().status_code == 303


def test_the_account_page_needs_a_session_and_csrf(app, owner):
    anonymous = browser(app)
    assert anonymous.client.get("/account/").status_code == 302
    assert anonymous.post("/account/sign-out-everywhere").status_code == 302
    shop = signed_in(app)
    forged = shop.client.post(
        "/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert forged.status_code == 400
    assert shop.client.post("/account/sign-out-everywhere").status_code == 400
    assert opens(shop)
    page = shop.client.get("/account/")
    assert page.headers["Cache-Control"] == "no-store"


def test_sign_out_everywhere(app, owner):
    laptop = signed_in(app, remember="y")
    phone = signed_in(app, address="198.51.100.7", remember="y")
    copy = browser(app, "198.51.100.9")
    copy_cookies(phone, copy, REMEMBER_COOKIE)
    response = laptop.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not opens(laptop) and not opens(phone) and not opens(copy)
    with app.app_context():
        assert db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None))) is None


def test_a_seller_password_reset_by_the_owner_signs_the_seller_out(app, owner, seller):
    sam = signed_in(app, "sam@example.com", address="198.51.100.7")
    assert opens(sam, "/seller/")
    boss = signed_in(app)
    form = {"name": "Sam", "phone": "", "rate": "10", "active": "y", "password": NEW_PASSWORD}
    with app.app_context():
        from storefront.sellers.models import Seller

        seller_id = db.session.scalar(select(Seller.id))
    assert boss.post(f"/admin/sellers/{seller_id}", form).status_code == 303
    assert not opens(sam, "/seller/")
    assert opens(boss), "the owner's own session is untouched"
    assert browser(app, "192.0.2.9").login("sam@example.com", NEW_PASSWORD).status_code == 303


def test_create_admin_resetting_a_password_signs_the_account_out(app, owner, runner):
    shop = signed_in(app, remember="y")
    again = browser(app, "198.51.100.9")
    copy_cookies(shop, again, REMEMBER_COOKIE)
    result = runner.invoke(args=["create-admin", "--email", "owner@example.com", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert not opens(shop) and not opens(again)


def test_the_owner_disables_and_enables_staff_and_sellers(app, owner, seller):
    with app.app_context():
        staff_id = make_user("staff@example.com", "staff").id
    staff = signed_in(app, "staff@example.com", address="198.51.100.7", remember="y")
    sam = signed_in(app, "sam@example.com", address="198.51.100.8")
    boss = signed_in(app)
    page = boss.client.get("/admin/accounts/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "staff@example.com" in page.text and "sam@example.com" in page.text
    assert f"/admin/accounts/{owner}/state" not in page.text, "an owner cannot be disabled here"
    for user_id, shop, home in ((staff_id, staff, "/admin/"), (seller, sam, "/seller/")):
        assert boss.post(f"/admin/accounts/{user_id}/state", {"active": "0"}).status_code == 303
        assert not opens(shop, home), "signed out on the next request"
        assert browser(app, "192.0.2.3").login(shop_email(app, user_id)).status_code == 401
    assert "Disabled" in boss.client.get("/admin/accounts/").text
    assert boss.post(f"/admin/accounts/{staff_id}/state", {"active": "1"}).status_code == 303
    assert browser(app, "192.0.2.4").login("staff@example.com").status_code == 303
    assert not opens(staff), "re-enabling does not bring back the ended sessions"


def shop_email(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_the_accounts_screen_refuses_bad_requests(app, owner):
    with app.app_context():
        staff_id = make_user("staff@example.com", "staff").id
    staff = signed_in(app, "staff@example.com", address="198.51.100.7")
    assert staff.client.get("/admin/accounts/").status_code == 403
    assert staff.post(f"/admin/accounts/{owner}/state", {"active": "0"}).status_code == 403
    boss = signed_in(app)
    assert boss.post(f"/admin/accounts/{owner}/state", {"active": "0"}).status_code == 409, "not yourself"
    assert boss.post(f"/admin/accounts/{staff_id}/state", {"active": "maybe"}).status_code == 422
    assert boss.post("/admin/accounts/999/state", {"active": "0"}).status_code == 404
    assert boss.post(f"/admin/accounts/{10**20}/state", {"active": "0"}).status_code == 404
    assert boss.client.post(f"/admin/accounts/{staff_id}/state", data={"active": "0"}).status_code == 400, "CSRF"
    assert opens(staff)
    assert opens(boss)


def test_remember_me_rotates_and_the_old_token_dies(app, owner):
    shop = signed_in(app, remember="y")
    first = shop.client.get_cookie(REMEMBER_COOKIE).value
    again = signed_in(app, remember="y")
    assert again.client.get_cookie(REMEMBER_COOKIE).value != first, "every sign-in gets its own token"
    shop.client.delete_cookie("session")  # the browser was closed
    assert opens(shop), "the remember-me cookie signs the browser back in"
    second = shop.client.get_cookie(REMEMBER_COOKIE).value
    assert second != first, "the token was rotated on use"
    stale = browser(app, "203.0.113.5")
    stale.client.set_cookie(REMEMBER_COOKIE, first)
    assert not opens(stale), "a spent token no longer signs in (dropped after ROTATION_GRACE: see below)"
    shop.client.delete_cookie("session")
    assert opens(shop) and shop.client.get_cookie(REMEMBER_COOKIE).value not in (first, second)


def test_the_old_static_remember_cookie_signs_nobody_in(app, owner):
    from flask_login.utils import _cookie_digest

    with app.test_request_context():
        legacy = f"{owner}|{_cookie_digest(str(owner))}"
    shop = browser(app)
    shop.client.set_cookie(REMEMBER_COOKIE, legacy)
    assert not opens(shop)
    shop.client.set_cookie("remember_token", legacy)
    assert not opens(shop)


def test_remember_me_expires(app, owner):
    import time_machine

    with time_machine.travel("2026-12-01 10:00", tick=False):
        shop = signed_in(app, remember="y")
    shop.client.delete_cookie("session")
    with time_machine.travel("2027-01-05 10:00", tick=False):
        assert not opens(shop), "35 days later the token is dead"


def test_an_idle_session_ends(app, owner):
    import time_machine

    with time_machine.travel("2026-12-01 10:00", tick=False):
        shop = signed_in(app)
    with time_machine.travel("2026-12-10 10:00", tick=False):
        assert opens(shop), "used within 14 days"
    with time_machine.travel("2026-12-23 10:00", tick=False):
        assert opens(shop), "counted from the last use"
    with time_machine.travel("2027-01-07 10:00", tick=False):
        assert not opens(shop), "idle for 15 days"


def test_anonymous_shoppers_pay_no_query_and_sessions_one(app, owner):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert browser(app).client.get("/account/").status_code == 302
        assert statements == [], "an anonymous visitor is not looked up"
        shop = signed_in(app)
        shop.client.get("/account/")  # first use may write last_seen
        statements.clear()
        assert shop.client.get("/admin/accounts/").status_code == 200
        lookups = [s for s in statements if "user_sessions" in s]
        assert len(lookups) == 1, lookups
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_device_cookie_is_signed(app, owner):
    shop = signed_in(app)
    cookie = shop.client.get_cookie(DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only
    for forged in ("x", cookie.value + "x", "e30.forged", "a" * 3000):
        stranger = browser(app, "203.0.113.77")
        stranger.client.set_cookie(DEVICE_COOKIE, forged)
        assert stranger.login(password="wrong password!").status_code == 401


@pytest.mark.parametrize(
    ("locale", "account_title", "accounts_title"),
    [("bn", "আপনার অ্যাকাউন্ট", "অ্যাকাউন্ট"), ("es", "Su cuenta", "Cuentas"), ("zh_Hans", "我的账户", "账户")],
)
def test_the_new_pages_speak_every_language(app, owner, locale, account_title, accounts_title):
    shop = signed_in(app)
    shop.client.set_cookie("locale", locale)
    account = shop.client.get("/account/")
    assert account.status_code == 200 and f"<h1>{account_title}</h1>" in account.text
    accounts = shop.client.get("/admin/accounts/")
    assert accounts.status_code == 200 and f"<h1>{accounts_title}</h1>" in accounts.text


def test_purge_sign_ins_keeps_what_still_works(app, owner, runner):
    import time_machine

    with time_machine.travel("2026-12-01 10:00", tick=False):
        old = signed_in(app)
        assert old.post("/logout").status_code == 303
        browser(app, "192.0.2.7").login(password="wrong password!")
    with time_machine.travel("2026-12-03 10:00", tick=False):
        current = signed_in(app, remember="y")
        result = runner.invoke(args=["purge-sign-ins"])
        assert result.exit_code == 0, result.output
        # The ended session and the stranger's address counter; the owner's counters were reused today.
        assert "Deleted 2 " in result.output, result.output
        assert opens(current)
    with app.app_context():
        kinds = sorted(row.kind for row in db.session.scalars(select(UserSession)))
        keys = sorted(key.split(":")[0] for key in db.session.scalars(select(LoginAttempt.key)))
    assert kinds == ["remember", "session"]
    assert keys == ["acct", "addr"]


def test_a_disabled_account_costs_a_password_check_like_any_other(app, owner, monkeypatch):
    """A refusal without hashing would answer faster and tell a stranger the account exists."""
    from storefront.auth import service

    with app.app_context():
        db.session.get(User, owner).active = False
        db.session.commit()
        checked: list[str] = []
        real = User.check_password
        monkeypatch.setattr(User, "check_password", lambda self, pw: checked.append(pw) or real(self, pw))
        assert service.authenticate(db.session, "owner@example.com", PASSWORD) is None
        assert service.authenticate(db.session, "nobody@example.com", PASSWORD) is None
    assert checked == [PASSWORD, PASSWORD], "a disabled account and an unknown email both cost one hash"


def test_the_current_password_check_is_throttled_like_a_sign_in(app, owner):
    """A borrowed, signed-in browser must not be an unlimited password-guessing oracle."""
    laptop = signed_in(app)
    statuses = [
        laptop.post(
            "/account/password", {"current": f"guess number {n}", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        for n in range(8)
    ]
    assert statuses[:5] == [422] * 5, statuses
    assert 429 in statuses[5:], statuses
    refused = laptop.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
    assert "Too many attempts." in refused.text
    assert browser(app, "192.0.2.5").login(password=NEW_PASSWORD).status_code == 401, "the password did not change"


def _drops_remember_cookie(response) -> bool:
    """True when the response tells the browser to delete its remember-me cookie."""
    return any(
        header.startswith(f"{REMEMBER_COOKIE}=;") or header.startswith(f'{REMEMBER_COOKIE}="";')
        for header in response.headers.getlist("Set-Cookie")
    )


def test_two_tabs_restoring_one_remember_token_at_once(app, owner):
    """One request wins the rotation; the loser must not delete the cookie the winner just replaced."""
    import threading

    shop = signed_in(app, remember="y")
    token = shop.client.get_cookie(REMEMBER_COOKIE).value
    tabs = [browser(app) for _ in range(2)]
    for tab in tabs:
        tab.client.set_cookie(REMEMBER_COOKIE, token)
    barrier = threading.Barrier(len(tabs))
    responses: list = [None] * len(tabs)

    def restore(n: int) -> None:
        barrier.wait()
        responses[n] = tabs[n].client.get("/admin/")

    threads = [threading.Thread(target=restore, args=(n,)) for n in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [200, 302], "one rotation wins"
    assert not any(_drops_remember_cookie(r) for r in responses), "the loser keeps the winner's new cookie alive"
    with app.app_context():
        live = db.session.scalars(
            select(UserSession).where(UserSession.kind == "remember", UserSession.revoked_at.is_(None))
        ).all()
    assert len(live) == 1, "exactly one successor token"


def test_a_long_spent_remember_token_is_dropped(app, owner):
    import time_machine

    with time_machine.travel("2026-12-01 10:00", tick=False):
        shop = signed_in(app, remember="y")
        first = shop.client.get_cookie(REMEMBER_COOKIE).value
        shop.client.delete_cookie("session")
        assert opens(shop)
    with time_machine.travel("2026-12-01 10:05", tick=False):
        stale = browser(app, "203.0.113.5")
        stale.client.set_cookie(REMEMBER_COOKIE, first)
        assert not opens(stale)
        assert stale.client.get_cookie(REMEMBER_COOKIE) is None, "a token spent minutes ago is dropped"


def test_a_forged_remember_cookie_takes_no_write_lock(app, owner):
    """Any stranger can send one: it must cost a read, not SQLite's database-wide write lock."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.upper())

    stranger = browser(app, "203.0.113.66")
    stranger.client.set_cookie(REMEMBER_COOKIE, "forged-token-" + "x" * 30)
    with app.app_context():
        engine = db.engine
        generation.current(engine)  # a running shop has its one catalog generation row already
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert stranger.client.get("/login").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    writes = [s for s in statements if s.startswith(("BEGIN IMMEDIATE", "UPDATE", "INSERT", "DELETE"))]
    assert writes == [], writes
    assert stranger.client.get_cookie(REMEMBER_COOKIE) is None, "and the browser is told to drop it"
