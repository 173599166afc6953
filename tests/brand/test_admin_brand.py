"""Admin > Brand: owner only, saved at once everywhere, low contrast and bad values refused (values kept)."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from storefront.brand.models import BrandSettings
from storefront.brand.web import current_brand
from storefront.extensions import db
from tests.builders import ShopClient, make_category, make_user

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here

VALID = {
    "name": "Green Leaf Tea",
    "short_name": "Green Leaf",
    "theme_color": "#2e7d32",
    "background_color": "#ffffff",
    "accent_color": "#fff3c4",
    "headline": "Loose-leaf tea, packed by hand",
    "announcement_on": "y",
    "announcement": "Free delivery over 30",
    "announcement_url": "/search?q=tea",
    "whatsapp": "+44 7700 900123",
    "instagram": "https://instagram.com/greenleaf",
    "shipping_note": "Ships in 2 days",
}


@pytest.fixture
def owner(app) -> ShopClient:
    with app.app_context():
        make_user("owner@example.com", "owner")
    shop = ShopClient(app.test_client())
    assert shop.login("owner@example.com").status_code == 303
    return shop


def sw_version(client) -> str:
    return re.search(r'const SHELL_VERSION = "([0-9a-f]{12})";', client.get("/service-worker.js").text).group(1)


def icon_href(html: str) -> str:
    return re.search(r'<link rel="apple-touch-icon" sizes="180x180" href="([^"]+)">', html).group(1)


def png(color: str = "#c62828", size: tuple[int, int] = (200, 200)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_owner_only_and_linked_from_the_menu(app, owner):
    page = owner.client.get("/admin/brand")
    assert page.status_code == 200 and 'href="/admin/brand"' in page.text
    assert 'type="color"' in page.text and 'value="#1f4e5f"' in page.text, "today's colour is the default"
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        make_user("staff@example.com", "staff")
    staff = ShopClient(app.test_client())
    staff.login("staff@example.com")
    assert staff.client.get("/admin/brand").status_code == 403
    assert staff.post("/admin/brand", VALID).status_code == 403
    anonymous = app.test_client().get("/admin/brand")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert 'href="/admin/brand"' not in staff.client.get("/admin/").text


def test_a_save_reaches_every_page_the_manifest_icons_and_the_worker_at_once(app, owner):
    shopper = app.test_client()
    before = shopper.get("/").text  # now in the page cache
    assert "<title>Storefront</title>" in before and before.count("Storefront") >= 1
    worker_before, icon_before = sw_version(shopper), icon_href(before)
    assert "/brand.css" not in before, "an unbranded shop keeps app.css's colours: no extra file"

    saved = owner.post("/admin/brand", VALID)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/admin/brand")

    home = shopper.get("/").text
    assert "<title>Green Leaf Tea</title>" in home and '<a class="brand" href="/">Green Leaf Tea</a>' in home
    assert '<meta name="theme-color" content="#2e7d32">' in home
    assert '<meta name="apple-mobile-web-app-title" content="Green Leaf">' in home
    assert "Storefront" not in home
    assert "Loose-leaf tea, packed by hand</h1>" in home
    announce = '<aside class="announce" aria-label="Announcement"><a href="/search?q=tea">Free delivery over 30</a>'
    assert announce in home
    assert 'href="https://wa.me/447700900123"' in home and 'href="https://instagram.com/greenleaf"' in home
    css = re.search(r'<link rel="stylesheet" href="(/brand\.css\?v=[0-9a-f]+)">', home).group(1)
    sheet = shopper.get(css)
    assert sheet.mimetype == "text/css" and "--br:#2e7d32" in sheet.text and "--acc:#fff3c4" in sheet.text
    assert "immutable" in sheet.headers["Cache-Control"]
    manifest = shopper.get("/manifest.json").json
    assert (manifest["name"], manifest["short_name"], manifest["theme_color"]) == (
        "Green Leaf Tea",
        "Green Leaf",
        "#2e7d32",
    )
    assert manifest["background_color"] == "#ffffff"
    assert icon_href(home) != icon_before and manifest["icons"][0]["src"].split("?v=")[1] in icon_href(home)
    with Image.open(io.BytesIO(shopper.get(icon_href(home)).data)) as icon:
        red, green, blue = icon.convert("RGB").getpixel((90, 12))
        assert green > red + 40 and green > blue + 40, "the icon is made on the new (green) brand colour"
    assert sw_version(shopper) != worker_before, "installed apps update"
    assert css in shopper.get("/service-worker.js").text, "the worker precaches the brand's colours for offline pages"
    assert "Brand saved." in owner.client.get("/admin/brand").text
    assert "Free delivery over 30" not in owner.client.get("/admin/").text, "shoppers' news, not the owner's"


def test_two_workers_on_one_database_both_follow(app, owner, tmp_path):
    from tests.helpers import _make_app

    other = next(_make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))
    other_client = other.test_client()
    assert "<title>Storefront</title>" in other_client.get("/").text  # cached in the other worker
    assert owner.post("/admin/brand", VALID).status_code == 303
    assert "<title>Green Leaf Tea</title>" in other_client.get("/").text
    assert other_client.get("/manifest.json").json["name"] == "Green Leaf Tea"


def test_low_contrast_is_refused_with_the_pair_and_ratio_and_the_form_kept(app, owner):
    response = owner.post("/admin/brand", {**VALID, "theme_color": "#777777", "name": "Half typed"})
    assert response.status_code == 422
    assert "White button text on the brand colour is too faint: contrast 4.48:1" in response.text
    assert 'value="Half typed"' in response.text and 'value="#777777"' in response.text
    assert 'aria-invalid="true"' in response.text
    with app.app_context():
        assert db.session.get(BrandSettings, 1) is None
    assert "<title>Storefront</title>" in app.test_client().get("/").text
    assert owner.post("/admin/brand", {**VALID, "theme_color": "#767676"}).status_code == 303


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("instagram", "http://instagram.com/x", "https://"),
        ("facebook", "javascript:alert(1)", "https://"),
        ("whatsapp", "07700 900123", "country code"),
        ("background_color", "blue", "#1f4e5f"),
        ("name", "", "Please fill in"),
        ("name", "x" * 61, "At most 60"),
        ("email", "not-an-address", "e-mail"),
        ("announcement_url", "//evil.example", "https://"),
        ("hero_category", "999", "no longer exists"),
    ],
)
def test_bad_values_are_refused_and_shown_again(app, owner, field, value, message):
    response = owner.post("/admin/brand", {**VALID, field: value})
    assert response.status_code == 422 and message in response.text
    assert 'value="Loose-leaf tea, packed by hand"' in response.text, "the rest of the form is kept"
    with app.app_context():
        assert db.session.get(BrandSettings, 1) is None


def test_without_csrf_nothing_changes(app, owner):
    response = owner.client.post("/admin/brand", data=VALID)
    assert response.status_code in (400, 422)
    with app.app_context():
        assert db.session.get(BrandSettings, 1) is None


def test_logo_upload_shows_in_the_header_and_svg_is_refused(app, owner):
    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    refused = owner.post("/admin/brand", {**VALID, "logo": (svg, "logo.svg")}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "not an image" in refused.text
    saved = owner.post("/admin/brand", {**VALID, "logo": (png(), "logo.png")}, content_type="multipart/form-data")
    assert saved.status_code == 303
    home = app.test_client().get("/").text
    logo = re.search(r'<img class="brand-logo" src="([^"]+)" alt="Green Leaf Tea" width="40" height="40">', home)
    assert logo and app.test_client().get(logo.group(1)).status_code == 200
    icon = app.test_client().get(icon_href(home)).data
    with Image.open(io.BytesIO(icon)) as image:
        red, green, blue = image.getpixel((90, 90))[:3]
        assert abs(red - 0xC6) < 6 and green < 50 and blue < 50, "the app icon is made from the logo"


def test_featured_categories_in_the_owners_order(app, owner):
    with app.app_context():
        tea, cups, gifts = (make_category(n).id for n in ("Tea", "Cups", "Gifts"))
    form = {**VALID, f"featured_{gifts}": "1", f"featured_{tea}": "2", "hero_category": str(cups)}
    assert owner.post("/admin/brand", form).status_code == 303
    home = app.test_client().get("/").text
    section = home.split('id="featured-cats-title"')[1].split("</section>")[0]
    assert section.index("Gifts") < section.index("Tea") and "Cups" not in section
    assert ">Shop Cups</a>" in home
    page = owner.client.get("/admin/brand").text
    assert f'name="featured_{gifts}" type="text" inputmode="numeric" maxlength="2" size="3" value="1"' in page


def test_save_brand_is_callable_by_a_seed(app):
    from storefront.brand.service import save_brand

    with app.app_context():
        save_brand(db.session, app.config, name="Seeded", theme_color="#123456")
        db.session.commit()
        assert current_brand().name == "Seeded"
        stored = db.session.get(BrandSettings, 1).data
        assert json.loads(json.dumps(stored))["theme_color"] == "#123456"


def test_hero_image_is_responsive_sized_and_removable(app, owner):
    form = {**VALID, "hero": (png("#1565c0", (1200, 600)), "hero.png")}
    assert owner.post("/admin/brand", form, content_type="multipart/form-data").status_code == 303
    home = app.test_client().get("/").text
    hero = re.search(
        r'<img class="hero-img" src="([^"]+)"\s+srcset="([^"]+)"\s+sizes="[^"]+" width="1200" height="600"', home
    )
    assert hero, "explicit width and height: no layout shift"
    assert " 320w" in hero.group(2) and " 1024w" in hero.group(2)
    assert 'fetchpriority="high"' in home and '<source type="image/webp"' in home
    assert app.test_client().get(hero.group(1)).status_code == 200
    key = current_hero_key(app)
    assert owner.post("/admin/brand", {**VALID, "remove_hero": "y"}).status_code == 303
    assert 'class="hero-img"' not in app.test_client().get("/").text
    assert not list((tmp_media(app)).glob(f"{key}-*")), "the old files are deleted after the save"


def current_hero_key(app) -> str:
    with app.app_context():
        return db.session.get(BrandSettings, 1).data["hero"]["key"]


def tmp_media(app):
    from pathlib import Path

    return Path(app.config["MEDIA_ROOT"])
