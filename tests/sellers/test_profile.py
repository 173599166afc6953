"""Issue 21 item 5: the seller's own profile at /seller/profile (validation, photo, payout details)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storefront.catalog import generation
from storefront.catalog.images import render_demo_photo
from storefront.extensions import db
from storefront.sellers.models import Seller
from tests.builders import PASSWORD, ShopClient, make_user
from tests.sellers.builders import make_seller

GOOD = {
    "name": "Anna Rahman",
    "bio": "Handmade scarves and winter coats.\nAsk me anything!",
    "whatsapp": "+880 1711 222333",
    "show_contact": "y",
    "payout_method": "bank",
    "payout_provider": "City Bank",
    "payout_account_name": "Anna Rahman",
    "payout_account_number": "1234 5678 9012",
}


def _seller(app, code: str = "ANNA24") -> tuple[ShopClient, int]:
    with app.app_context():
        seller_id = make_seller(code, email=f"{code.lower()}@sellers.example").id
    client = ShopClient(app.test_client())
    assert client.login(f"{code.lower()}@sellers.example").status_code == 303
    return client, seller_id


def _generation(app) -> str | None:
    with app.app_context():
        return generation.current(db.engine)


def test_a_seller_saves_their_profile_and_the_cached_pages_move_on(app):
    client, seller_id = _seller(app)
    page = client.client.get("/seller/profile")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    assert 'accept="image/*"' in page.text and 'for="whatsapp"' in page.text
    before = _generation(app)
    assert before is not None
    response = client.post("/seller/profile", GOOD)
    assert response.status_code == 303, response.text
    with app.app_context():
        seller = db.session.get(Seller, seller_id)
        assert seller.user.name == "Anna Rahman"
        assert seller.bio == GOOD["bio"] and seller.whatsapp == "+880 1711 222333" and seller.show_contact
        assert (seller.payout_method, seller.payout_provider, seller.payout_account_name) == (
            "bank",
            "City Bank",
            "Anna Rahman",
        )
        assert seller.payout_account_number == "1234 5678 9012" and seller.profile_updated_at is not None
    assert _generation(app) != before, "the seller page is cached: a change bumps the catalog generation"


def test_refused_profile_input_keeps_what_was_typed_and_changes_nothing(app):
    client, seller_id = _seller(app)
    cases = [
        ({"bio": "x" * 301}, "bio"),
        ({"whatsapp": "12"}, "whatsapp"),
        ({"payout_method": "bank", "payout_account_name": ""}, "account"),
        ({"payout_method": "bank", "payout_account_number": ""}, "account"),
        ({"payout_method": "mobile", "payout_provider": "bKash", "payout_account_number": "12ab"}, "mobile"),
        ({"payout_method": "mobile", "payout_provider": ""}, "mobile"),
        ({"payout_method": "paypal"}, "method"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 121}, "name"),
    ]
    for change, _what in cases:
        typed = {**GOOD, "bio": "My typed bio", **change}
        response = client.post("/seller/profile", typed)
        assert response.status_code == 422, (change, response.status_code)
        assert "My typed bio" in response.text or change.get("bio"), change
        assert 'role="alert"' in response.text, change
    with app.app_context():
        seller = db.session.get(Seller, seller_id)
        assert (seller.bio, seller.whatsapp, seller.payout_method, seller.profile_updated_at) == ("", "", "", None)


def test_a_photo_can_be_added_replaced_and_removed(app):
    client, seller_id = _seller(app)
    media = Path(app.config["MEDIA_ROOT"])
    photo = render_demo_photo("Anna", 3, (500, 500))
    data = {**GOOD, "photo": (__import__("io").BytesIO(photo), "me.jpg")}
    assert client.post("/seller/profile", data, content_type="multipart/form-data").status_code == 303
    with app.app_context():
        first = db.session.get(Seller, seller_id).photo_key
    assert first and list(media.glob(f"{first}-*"))
    assert "/media/" + first in client.client.get("/seller/profile").text

    again = {**GOOD, "photo": (__import__("io").BytesIO(photo), "me.jpg")}
    assert client.post("/seller/profile", again, content_type="multipart/form-data").status_code == 303
    with app.app_context():
        second = db.session.get(Seller, seller_id).photo_key
    assert second and second != first and not list(media.glob(f"{first}-*")), "the old photo's files are gone"

    bad = {**GOOD, "photo": (__import__("io").BytesIO(b"not an image at all"), "me.jpg")}
    assert client.post("/seller/profile", bad, content_type="multipart/form-data").status_code == 422
    with app.app_context():
        assert db.session.get(Seller, seller_id).photo_key == second, "a bad photo changes nothing"

    assert client.post("/seller/profile", {**GOOD, "remove_photo": "y"}).status_code == 303
    with app.app_context():
        assert db.session.get(Seller, seller_id).photo_key is None
    assert not list(media.glob(f"{second}-*"))


def test_only_sellers_reach_the_profile_and_each_sees_only_their_own(app):
    _seller(app, "BENI77")
    client, _ = _seller(app)
    with app.app_context():
        other = db.session.scalars(select(Seller).where(Seller.code == "BENI77")).one()
        other.payout_account_number, other.bio = "99887766", "Beni's secret bio"
        db.session.commit()
    page = client.client.get("/seller/profile").text
    assert "99887766" not in page and "Beni&#39;s secret bio" not in page
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    owner.login("owner@example.com")
    assert owner.client.get("/seller/profile").status_code == 403
    assert app.test_client().get("/seller/profile").status_code in (302, 303, 401)


def test_a_local_whatsapp_number_needs_the_shops_calling_code_and_links_internationally(app):
    """Shoppers reach the number through wa.me and tel: links: both need it in international form."""
    client, seller_id = _seller(app)
    local = {**GOOD, "whatsapp": "01712 345678"}
    refused = client.post("/seller/profile", local)
    assert refused.status_code == 422 and "country code" in refused.text
    app.config["SHOP_CALLING_CODE"] = "880"
    assert client.post("/seller/profile", local).status_code == 303
    with app.app_context():
        seller = db.session.get(Seller, seller_id)
        assert seller.whatsapp == "01712 345678"
    page = app.test_client().get("/s/ANNA24").text
    assert 'href="https://wa.me/8801712345678"' in page and 'href="tel:+8801712345678"' in page


def test_changing_payout_details_already_set_asks_for_the_password(app):
    """Whoever holds a seller's signed-in phone cannot redirect the next payout with one tap."""
    client, seller_id = _seller(app)
    assert client.post("/seller/profile", GOOD).status_code == 303  # first details: nothing to protect yet
    elsewhere = {**GOOD, "payout_account_number": "9999 0000 1111"}
    for password in ("", "not the password"):
        refused = client.post("/seller/profile", {**elsewhere, "current_password": password})
        assert refused.status_code == 422 and "current password" in refused.text
        assert "not the password" not in refused.text
    assert client.post("/seller/profile", {**GOOD, "bio": "New bio"}).status_code == 303, "other fields: no password"
    with app.app_context():
        assert db.session.get(Seller, seller_id).payout_account_number == "1234 5678 9012"
    assert client.post("/seller/profile", {**elsewhere, "current_password": PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.get(Seller, seller_id).payout_account_number == "9999 0000 1111"
