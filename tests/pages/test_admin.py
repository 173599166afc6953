"""Admin > Pages: only the owner writes the shop's pages; a half-filled form comes back with its error."""

from __future__ import annotations

import re

import pytest

from storefront.extensions import db
from storefront.pages.models import ShopPage
from tests.builders import ShopClient, make_user
from tests.pages.conftest import save_page

pytestmark = pytest.mark.usefixtures("quick_password_hash")

ADMIN_URLS = ("/admin/pages", "/admin/pages/about", "/admin/pages/about?locale=es", "/admin/pages/about/preview")


def rows(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        return [(r.slug, r.locale, r.title, r.body) for r in db.session.query(ShopPage).order_by(ShopPage.id)]


@pytest.mark.parametrize("role", ["staff", "seller", None])
def test_only_the_owner_may_open_or_save_pages(app, role):
    browser = ShopClient(app.test_client())
    if role:
        with app.app_context():
            make_user(f"{role}@example.com", role)
        browser.login(f"{role}@example.com")
    for url in ADMIN_URLS:
        answer = browser.client.get(url)
        assert answer.status_code in (302, 303, 403), url
        if answer.status_code != 403:
            assert "/login" in answer.headers["Location"]
    saved = browser.post("/admin/pages/about", {"title": "Hacked", "body": "Hacked"})
    assert saved.status_code in (302, 303, 403) and "/admin/pages" not in saved.headers.get("Location", "")
    assert rows(app) == []


def test_the_owner_sees_every_page_in_every_language(app, owner):
    save_page(app, "about", "Our story", "Since 2019.")
    save_page(app, "shipping", "Envíos", "Enviamos.", locale="es")
    listing = owner.client.get("/admin/pages")
    assert listing.status_code == 200
    links = re.findall(r'href="(/admin/pages/[^"]+)"', listing.text)
    assert len(links) == 6 * 4  # six pages, the shop's language and bn, es, zh_Hans
    assert "/admin/pages/about" in links and "/admin/pages/shipping?locale=es" in links
    about = re.search(r'href="/admin/pages/about">.*?</a>', listing.text, re.S).group(0)
    assert "Published" in about and "English (the shop" in about
    assert 'href="/admin/pages"' in listing.text  # the nav entry


def test_a_half_filled_form_is_shown_again_with_its_error(app, owner):
    answer = owner.post("/admin/pages/terms?locale=es", {"title": "", "body": "Sea amable."})
    assert answer.status_code == 422
    assert "Please give the page a title." in answer.text
    assert 'aria-invalid="true"' in answer.text and "Sea amable.</textarea>" in answer.text
    other = owner.post("/admin/pages/terms", {"title": "Terms", "body": "  "})
    assert other.status_code == 422 and 'value="Terms"' in other.text and "clear the title too" in other.text
    assert rows(app) == []
    assert owner.post("/admin/pages/nonsense", {"title": "x", "body": "y"}).status_code == 404
    assert owner.post("/admin/pages/terms?locale=fr", {"title": "x", "body": "y"}).status_code == 404
    assert owner.client.post("/admin/pages/about", data={"title": "x", "body": "y"}).status_code == 400  # no CSRF


def test_a_save_is_seen_by_shoppers_and_in_the_preview(app, owner):
    shopper = app.test_client()
    assert shopper.get("/pages/about").status_code == 404
    saved = owner.post("/admin/pages/about", {"title": "Our story", "body": "Thrown by *hand*."})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/admin/pages")
    assert "<em>hand</em>" in shopper.get("/pages/about").text
    form = owner.client.get("/admin/pages/about")
    assert 'value="Our story"' in form.text and "Thrown by *hand*.</textarea>" in form.text
    owner.post("/admin/pages/about?locale=es", {"title": "Nuestra historia", "body": "Hecho a *mano*."})
    preview = owner.client.get("/admin/pages/about/preview?locale=es")
    assert preview.status_code == 200 and "<h1>Nuestra historia</h1>" in preview.text and 'lang="es"' in preview.text
    assert "no-store" in preview.headers["Cache-Control"]
    empty = owner.client.get("/admin/pages/privacy/preview")
    assert empty.status_code == 200 and "This page has no text in this language yet." in empty.text
    assert rows(app) == [
        ("about", "", "Our story", "Thrown by *hand*."),
        ("about", "es", "Nuestra historia", "Hecho a *mano*."),
    ]
