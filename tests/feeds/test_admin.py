"""Admin > Product feeds: owner only; a link is made (its address shown once), listed, revoked after a confirmation."""

from __future__ import annotations

import re

import pytest

from storefront.extensions import db
from storefront.feeds.models import FeedLink
from tests.builders import ShopClient, make_product, make_user
from tests.feeds.conftest import photographed

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


def signed_in(app, role: str) -> ShopClient:
    with app.app_context():
        make_user(f"{role}@example.com", role)
    shop = ShopClient(app.test_client())
    assert shop.login(f"{role}@example.com").status_code == 303
    return shop


def links(app) -> list[FeedLink]:
    with app.app_context():
        found = db.session.query(FeedLink).order_by(FeedLink.id).all()
        db.session.expunge_all()
        return found


def feed_url_in(html: str) -> str:
    match = re.search(r'id="feed-url" type="url" value="([^"]+)"', html)
    assert match, "the address is shown"
    return match.group(1)


def test_staff_and_visitors_are_kept_out(app):
    staff = signed_in(app, "staff")
    assert staff.client.get("/admin/feeds").status_code == 403
    assert staff.post("/admin/feeds", {"name": "Mine", "format": "google"}).status_code == 403
    assert "/admin/feeds" not in staff.client.get("/admin/").text, "not in a staff member's menu"
    visitor = ShopClient(app.test_client())
    assert visitor.client.get("/admin/feeds").status_code == 302
    assert links(app) == []


def test_the_owner_makes_a_link_sees_its_address_once_and_it_serves(app):
    with app.app_context():
        photographed("Oak board")
    owner = signed_in(app, "owner")
    page = owner.client.get("/admin/feeds")
    assert page.status_code == 200 and 'href="/admin/feeds"' in page.text, "in the owner's menu"
    made = owner.post("/admin/feeds", {"name": "  Google  Merchant ", "format": "google"})
    assert made.status_code == 201
    url = feed_url_in(made.text)
    assert re.fullmatch(r"http://localhost/feeds/[A-Za-z0-9_-]{43}/google\.xml", url)
    assert "Merchant Center" in made.text and "data-copy-for" in made.text, "instructions and a copy button"
    (link,) = links(app)
    assert (link.name, link.format, link.revoked_at, link.fetch_count) == ("Google Merchant", "google", None, 0)
    token = url.split("/")[4]
    assert token not in owner.client.get("/admin/feeds").text, "never shown again"
    fetched = owner.client.get(url.removeprefix("http://localhost"))
    assert fetched.status_code == 200 and b"Oak board" in fetched.data
    listing = owner.client.get("/admin/feeds").text
    assert "data-fetch-count>1<" in listing and "Google Merchant" in listing


def test_a_meta_link_gets_metas_instructions(app):
    owner = signed_in(app, "owner")
    made = owner.post("/admin/feeds", {"name": "Meta", "format": "meta"})
    assert made.status_code == 201 and feed_url_in(made.text).endswith("/meta.csv")
    assert "Commerce Manager" in made.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "format": "google"}, "Give the link a name"),
        ({"name": "   ", "format": "google"}, "Give the link a name"),
        ({"name": "x" * 81, "format": "meta"}, "at most 80 characters"),
        ({"name": "Bing", "format": "bing"}, "Not a valid choice"),
    ],
)
def test_refused_forms_are_shown_again_and_change_nothing(app, form, message):
    owner = signed_in(app, "owner")
    answer = owner.post("/admin/feeds", form)
    assert answer.status_code == 422 and message in answer.text
    assert 'name="name"' in answer.text
    assert links(app) == []


def test_a_form_without_csrf_is_refused(app):
    owner = signed_in(app, "owner")
    assert owner.client.post("/admin/feeds", data={"name": "x", "format": "google"}).status_code == 400
    assert links(app) == []


def test_revoking_asks_first_then_the_address_answers_404(app):
    owner = signed_in(app, "owner")
    url = feed_url_in(owner.post("/admin/feeds", {"name": "Google", "format": "google"}).text)
    (link,) = links(app)
    confirm = owner.client.get(f"/admin/feeds/{link.id}/revoke")
    assert confirm.status_code == 200 and "Revoke" in confirm.text and 'name="csrf_token"' in confirm.text
    assert links(app)[0].revoked_at is None, "asking changes nothing"
    done = owner.post(f"/admin/feeds/{link.id}/revoke", follow_redirects=True)
    assert done.status_code == 200 and "no longer works" in done.text
    assert links(app)[0].revoked_at is not None
    assert owner.client.get(url.removeprefix("http://localhost")).status_code == 404
    assert f"/admin/feeds/{link.id}/revoke" not in done.text, "no second revoke button"
    assert owner.client.get(f"/admin/feeds/{link.id}/revoke").status_code == 303


def test_revoking_an_unknown_link_is_a_clear_message(app):
    owner = signed_in(app, "owner")
    answer = owner.post("/admin/feeds/999/revoke", follow_redirects=True)
    assert answer.status_code == 200 and "does not exist" in answer.text


def test_the_page_says_how_many_products_are_left_out(app):
    with app.app_context():
        photographed("With photo")
        make_product("Without photo")
    owner = signed_in(app, "owner")
    page = owner.client.get("/admin/feeds").text
    assert "data-feeds-left-out" in page and "1 product on sale is left out" in page
