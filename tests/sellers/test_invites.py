"""Issue 21 item 5: invite links (once, expiring, revocable), joining from a phone, the owner's approval."""

from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from storefront.auth.models import User
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import invites
from storefront.sellers.models import Seller, SellerClick, SellerInvite
from tests.builders import PASSWORD, ShopClient, make_product, make_user

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile"
JOIN = {
    "email": "rina@example.com",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "name": "Rina Akter",
    "phone": "+880 1711 000111",
    "payout_method": "mobile",
    "payout_provider": "bKash",
    "payout_account_name": "Rina Akter",
    "payout_account_number": "01711000111",
}


def _owner(app) -> ShopClient:
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code == 303
    return owner


def _invite(owner: ShopClient, name: str = "Rina", rate: str = "12.5") -> str:
    """Make an invite through the owner's page; the path of the link shown once."""
    page = owner.post("/admin/sellers/invites", {"name": name, "rate": rate})
    assert page.status_code == 201, page.text
    found = re.search(r'value="http://localhost(/join/[A-Za-z0-9_-]+)"', page.text)
    assert found, page.text
    assert "wa.me/?text=" in page.text and "<svg" in page.text, "WhatsApp link and QR code"
    return found.group(1)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return db.session.scalar(select(func.count(Seller.id))), db.session.scalar(select(func.count(User.id)))


def test_an_invite_works_once_and_makes_a_pending_seller(app):
    owner = _owner(app)
    path = _invite(owner)
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        invite = db.session.scalars(select(SellerInvite)).one()
        assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest(), "only the hash is stored"
        assert token not in {invite.token_hash, invite.name}
        assert invite.expires_at - invite.created_at == timedelta(days=7)

    joiner = ShopClient(app.test_client())
    form = joiner.client.get(path)
    assert form.status_code == 200 and 'accept="image/*"' in form.text and 'capture="user"' in form.text
    assert "no-store" in form.headers["Cache-Control"]
    done = joiner.post(path, JOIN)
    assert done.status_code == 303 and done.headers["Location"].endswith("/seller/profile")
    profile = joiner.client.get("/seller/profile")
    assert profile.status_code == 200 and "data-pending" in profile.text, "signed in, told they wait for approval"
    with app.app_context():
        seller = db.session.scalars(select(Seller)).one()
        assert (seller.active, seller.approved_at, seller.commission_bp) == (False, None, 1250)
        assert (seller.payout_method, seller.payout_provider, seller.payout_account_number) == (
            "mobile",
            "bKash",
            "01711000111",
        )
        invite = db.session.scalars(select(SellerInvite)).one()
        assert invite.used_at is not None and invite.seller_id == seller.id

    again = ShopClient(app.test_client()).post(path, {**JOIN, "email": "other@example.com"})
    assert again.status_code == 410 and "already used" in again.text
    assert ShopClient(app.test_client()).client.get(path).status_code == 410
    assert _counts(app) == (1, 2), "the second use made nothing"


def test_an_expired_invite_is_refused_and_creates_nothing(app):
    owner = _owner(app)
    path = _invite(owner)
    with time_machine.travel(utcnow() + timedelta(days=7, seconds=1), tick=False):
        joiner = ShopClient(app.test_client())
        assert joiner.client.get(path).status_code == 410
        response = joiner.post(path, JOIN)
        assert response.status_code == 410 and "expired" in response.text
    assert _counts(app) == (0, 1)


def test_a_revoked_or_unknown_invite_is_refused(app):
    owner = _owner(app)
    path = _invite(owner)
    with app.app_context():
        invite_id = db.session.scalar(select(SellerInvite.id))
    assert owner.post(f"/admin/sellers/invites/{invite_id}/revoke").status_code == 303
    listing = owner.client.get("/admin/sellers/invites")
    assert 'data-state="revoked"' in listing.text
    joiner = ShopClient(app.test_client())
    assert joiner.post(path, JOIN).status_code == 410
    assert joiner.client.get("/join/" + "x" * 43).status_code == 404
    assert joiner.client.get("/join/" + "y" * 900).status_code == 404
    assert _counts(app) == (0, 1)


def test_bad_join_input_shows_the_form_again_without_the_password(app):
    owner = _owner(app)
    path = _invite(owner)
    joiner = ShopClient(app.test_client())
    cases = [
        {"password": "short", "confirm": "short"},
        {"confirm": "something else entirely"},
        {"email": "not-an-email"},
        {"email": "owner@example.com"},
        {"payout_method": "bank", "payout_account_name": ""},
        {"payout_method": "mobile", "payout_account_number": "12"},
        {"payout_method": "cheque"},
        {"name": ""},
    ]
    for change in cases:
        response = joiner.post(path, {**JOIN, **change})
        assert 400 <= response.status_code < 500, (change, response.status_code)
        assert response.status_code in (409, 422), change
        assert "a long enough password" not in response.text, "passwords are never echoed"
        assert "Rina Akter" in response.text, "what was typed is kept"
    assert _counts(app) == (0, 1)
    with app.app_context():
        assert db.session.scalar(select(SellerInvite.used_at)) is None, "a refused form does not spend the invite"
    assert joiner.post(path, JOIN).status_code == 303


def test_a_pending_seller_earns_nothing_until_approved_then_the_owner_approves_once(app):
    owner = _owner(app)
    path = _invite(owner)
    with app.app_context():
        make_product("Wool coat", price=5000)
    assert ShopClient(app.test_client()).post(path, JOIN).status_code == 303
    with app.app_context():
        seller = db.session.scalars(select(Seller)).one()
        code, seller_id = seller.code, seller.id
    shopper = app.test_client()
    shopper.get(f"/p/wool-coat?ref={code}", headers={"User-Agent": PHONE})
    assert shopper.get_cookie("ref") is None, "no attribution before approval"
    assert shopper.get(f"/s/{code}").status_code == 404, "no page before approval"
    with app.app_context():
        assert db.session.scalar(select(func.count(SellerClick.id))) == 0

    assert f"/s/{code}" not in _sitemap(app), "no page in the sitemap before approval"
    sitemap_etag = app.test_client().get("/sitemap.xml").headers["ETag"]
    listing = owner.client.get("/admin/sellers/")
    assert "data-pending" in listing.text
    page = owner.client.get(f"/admin/sellers/{seller_id}")
    assert "/approve" in page.text and "bKash" in page.text and "01711000111" in page.text
    # The edit form has no Active box for a pending seller; a hand-made one does not activate them either.
    edited = owner.post(f"/admin/sellers/{seller_id}", {"name": "Rina A", "phone": "", "rate": "12.5", "active": "y"})
    assert edited.status_code == 303
    with app.app_context():
        assert not db.session.get(Seller, seller_id).active, "only Approve activates a pending seller"
    assert owner.post(f"/admin/sellers/{seller_id}/approve").status_code == 303
    with app.app_context():
        seller = db.session.get(Seller, seller_id)
        assert seller.active and seller.approved_at is not None
        first = seller.approved_at
    assert owner.post(f"/admin/sellers/{seller_id}/approve").status_code == 303
    with app.app_context():
        assert db.session.get(Seller, seller_id).approved_at == first, "approved once"
    assert "/approve" not in owner.client.get(f"/admin/sellers/{seller_id}").text

    shopper = app.test_client()
    shopper.get(f"/p/wool-coat?ref={code}", headers={"User-Agent": PHONE})
    assert shopper.get_cookie("ref") is not None, "approved: the link attributes"
    assert shopper.get(f"/s/{code}").status_code == 200, "approved: their page is up"
    assert f"/s/{code}" in _sitemap(app), "approved: in the sitemap"
    again = app.test_client().get("/sitemap.xml", headers={"If-None-Match": sitemap_etag})
    assert again.status_code == 200, "a crawler holding the old sitemap gets the new one"


def _sitemap(app) -> str:
    """The whole sitemap (its index, then each part)."""
    client = app.test_client()
    index = client.get("/sitemap.xml").text
    parts = re.findall(r"<loc>https?://[^/<]+(/sitemap-\d+\.xml)</loc>", index)
    return index + "".join(client.get(part).text for part in parts)


def test_only_the_owner_reaches_invites_and_approval(app):
    with app.app_context():
        make_user("staff@example.com", "staff")
        seller_id = _seller_id()
    staff = ShopClient(app.test_client())
    assert staff.login("staff@example.com").status_code == 303
    assert staff.client.get("/admin/sellers/invites").status_code == 403
    assert staff.post("/admin/sellers/invites", {"name": "x", "rate": "10"}).status_code == 403
    assert staff.post(f"/admin/sellers/{seller_id}/approve").status_code == 403
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get("/admin/sellers/invites").status_code in (302, 303, 401)


def _seller_id() -> int:
    from tests.sellers.builders import make_seller

    return make_seller("ANNA24").id


def test_ten_simultaneous_submits_of_one_invite_make_one_seller(app):
    with app.app_context():
        owner_id = make_user("owner@example.com", "owner").id
        _invite_row, token = invites.create_invite(
            db.session, name="Rina", rate_bp=1000, created_by=owner_id, now=utcnow()
        )
        db.session.commit()
    threads = 10
    barrier = threading.Barrier(threads)

    def one(n: int) -> str:
        with app.app_context():
            joining = invites.Joining(
                email=f"rina{n}@example.com",
                password=PASSWORD,
                name="Rina",
                phone="",
                payout_method="mobile",
                payout_provider="bKash",
                payout_account_name="",
                payout_account_number="01711000111",
            )
            barrier.wait()
            try:
                invites.redeem(db.session, token, joining, utcnow())
                db.session.commit()
                return "made"
            except invites.InviteGone:
                db.session.rollback()
                return "refused"
            except Exception:  # SQLite: a writer that finds the database locked
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(one, range(threads)))
    assert outcomes.count("made") == 1, outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count(Seller.id))) == 1
        assert db.session.scalar(select(SellerInvite.seller_id)) is not None


def test_join_attempts_are_rate_limited_per_address(sqlite_app):
    app = sqlite_app
    app.config["JOIN_RATE_LIMIT"] = "2 per hour"
    owner = _owner(app)
    path = _invite(owner)
    joiner = ShopClient(app.test_client())
    for _ in range(2):
        assert joiner.post(path, {**JOIN, "confirm": "different"}).status_code == 422
    limited = joiner.post(path, JOIN)
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert _counts(app) == (0, 1), "a limited attempt creates nothing"
