"""Acceptance 6: the manifest validates, its icons exist with the declared sizes; PWA plumbing."""

from __future__ import annotations

import io
import re

from PIL import Image

from storefront.pwa import icons

REQUIRED = ("name", "short_name", "start_url", "scope", "display", "icons", "theme_color", "background_color")


def _png_size(client, src: str) -> tuple[int, int]:
    response = client.get(src)
    assert response.status_code == 200, src
    assert response.mimetype == "image/png"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.format == "PNG"
        return image.size


def test_manifest_validates_and_its_images_exist(sqlite_app):
    sqlite_app.config.update(SHOP_NAME="Green Leaf Tea House", SHOP_SHORT_NAME="Green Leaf")
    client = sqlite_app.test_client()
    response = client.get("/manifest.json")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    manifest = response.json
    for member in REQUIRED:
        assert manifest.get(member), member
    assert (manifest["name"], manifest["short_name"]) == ("Green Leaf Tea House", "Green Leaf")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/?source=pwa", "/", "standalone")
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for item in manifest["icons"] + manifest["screenshots"]:
        width, height = map(int, item["sizes"].split("x"))
        assert _png_size(client, item["src"]) == (width, height), item["src"]
    assert [s["form_factor"] for s in manifest["screenshots"]] == ["narrow"]
    shortcuts = {s["name"]: s["url"] for s in manifest["shortcuts"]}
    assert shortcuts == {"Cart": "/cart?source=pwa", "My orders": "/my-orders?source=pwa"}
    assert client.get("/my-orders").status_code == 200


def test_pages_carry_the_ios_tags_and_manifest_link(sqlite_app):
    html = sqlite_app.test_client().get("/").text
    assert '<link rel="manifest" href="/manifest.json">' in html
    touch = re.search(r'<link rel="apple-touch-icon" sizes="180x180" href="([^"]+)">', html)
    assert touch and _png_size(sqlite_app.test_client(), touch.group(1)) == (180, 180)
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
    assert 'name="apple-mobile-web-app-title"' in html


def test_icons_follow_the_branding(tmp_path):
    plain = icons.Branding("Green Leaf", "#1f4e5f", "#ffffff")
    renamed = icons.Branding("Blue Sky", "#1f4e5f", "#ffffff")
    assert plain.fingerprint != renamed.fingerprint
    assert icons.initials("Green Leaf Tea") == "GL" and icons.initials("  ") == "S"
    icons.generate(plain, tmp_path)
    first = (tmp_path / "icon-192.png").read_bytes()
    icons.ensure(plain, tmp_path)
    assert (tmp_path / "icon-192.png").read_bytes() == first, "same branding: files kept"
    icons.ensure(renamed, tmp_path)
    assert (tmp_path / "icon-192.png").read_bytes() != first, "new name: new icons"
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 200), "#ff0000").save(logo)
    with_logo = icons.Branding("Green Leaf", "#1f4e5f", "#ffffff", logo)
    maskable = icons.render_icon(with_logo, 512, "maskable")
    assert maskable.getpixel((256, 256)) == (255, 0, 0), "the logo is in the middle"
    assert maskable.getpixel((40, 256)) != (255, 0, 0), "and inside the maskable safe zone"


def test_pwa_icons_command(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["pwa-icons"])
    assert result.exit_code == 0, result.output
    assert result.output.count("wrote ") == len(icons.ICONS) + 1


def test_service_worker_version_follows_the_shell(sqlite_app):
    client = sqlite_app.test_client()
    source = client.get("/service-worker.js").text
    version = re.search(r'const SHELL_VERSION = "([0-9a-f]{12})";', source).group(1)
    urls = re.search(r"const SHELL_URLS = (\[.*?\]);", source).group(1)
    for needed in ("/static/css/app.css?v=", "/static/js/app.js?v=", "/offline", "/icons/icon-192.png?v="):
        assert needed in urls
    sqlite_app.config["SHOP_NAME"] = "Renamed shop"  # new icons -> new shell
    assert (
        re.search(r'const SHELL_VERSION = "([0-9a-f]{12})";', client.get("/service-worker.js").text).group(1) != version
    )


def test_pages_that_set_cookies_are_private(sqlite_app):
    client = sqlite_app.test_client()
    first = client.get("/")
    assert "Set-Cookie" in first.headers and "private" in first.headers["Cache-Control"]
    again = client.get("/")
    assert "Set-Cookie" not in again.headers and again.headers["Cache-Control"] == "no-cache"
    offline = sqlite_app.test_client().get("/offline")
    assert "Set-Cookie" not in offline.headers and 'name="csrf-token"' not in offline.text


def test_unchanged_manifest_and_worker_cost_a_304(sqlite_app):
    client = sqlite_app.test_client()
    for url in ("/manifest.json", "/service-worker.js", "/offline"):
        first = client.get(url)
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url
