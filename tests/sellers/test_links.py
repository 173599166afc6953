"""Acceptance 1, 2 and 6 through the web: seller links, chat-preview bots, OG tags, share image, QR codes."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from storefront.catalog import service as catalog
from storefront.catalog.images import render_demo_photo
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.sellers import service, web
from storefront.sellers.models import Seller, SellerClick
from tests.builders import make_product
from tests.sellers.builders import make_order, make_seller

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile"
PREVIEW_BOTS = {
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "Telegram": "TelegramBot (like TwitterBot)",
    "Facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitter": "Twitterbot/1.0",
    "Slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
}


@pytest.fixture
def shop(sqlite_app):
    """A product with a photo and two sellers (one disabled), on SQLite (these tests are about HTTP)."""
    app = sqlite_app
    with app.app_context():
        coat = make_product("Wool coat", price=5000, variants=(("M", 10), ("L", 3)), overrides={"L": 6500})
        catalog.store_photo(
            db.session, coat, render_demo_photo("Wool coat", 2, (400, 400)), app.config["MEDIA_ROOT"], alt="coat"
        )
        db.session.commit()
        make_seller("ANNA24")
        make_seller("GONE11", active=False)
    return app


def _clicks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(SellerClick.id)))


def _ref_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("ref="):
            return header
    return None


def _attribution(app, client):
    """What the order code would read from this browser's cookie."""
    cookie = client.get_cookie("ref")
    headers = {"Cookie": f"ref={cookie.value}"} if cookie else {}
    with app.test_request_context("/checkout", headers=headers):
        return web.attribution_from_request()


def test_a_seller_link_records_a_click_and_the_attribution(shop):
    client = shop.test_client()
    page = client.get("/p/wool-coat?ref=anna24", headers={"User-Agent": PHONE})
    assert page.status_code == 200
    assert '<link rel="canonical" href="http://localhost/p/wool-coat">' in page.text, "canonical has no ref"
    cookie = _ref_cookie(page)
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=2592000" in cookie
    assert "private" in page.headers["Cache-Control"], "a page that sets a cookie is not for shared caches"
    assert _clicks(shop) == 1
    client.get("/p/wool-coat?ref=ANNA24", headers={"User-Agent": PHONE})
    assert _clicks(shop) == 1, "a reload within 30 minutes is the same click"
    attribution = _attribution(shop, client)
    assert [t.code for t in attribution.touches] == ["ANNA24"] and attribution.window_days == 30
    # and the order code can credit with it
    with shop.app_context():
        order = make_order([(catalog.product_by_slug(db.session, "wool-coat"), 1)])
        entry = service.credit_order(db.session, order, attribution, utcnow())
        assert entry is not None and entry.seller.code == "ANNA24" and entry.amount == 500


def test_the_shop_link_also_counts(shop):
    client = shop.test_client()
    assert client.get("/?ref=ANNA24", headers={"User-Agent": PHONE}).status_code == 200
    assert _clicks(shop) == 1
    with shop.app_context():
        assert db.session.scalars(select(SellerClick)).one().product_id is None


def test_chat_previews_get_og_tags_but_no_click_and_no_cookie(shop):
    client = shop.test_client()
    for app_name, agent in PREVIEW_BOTS.items():
        page = client.get("/p/wool-coat?ref=ANNA24", headers={"User-Agent": agent})
        assert page.status_code == 200, app_name
        assert _ref_cookie(page) is None, app_name
        assert 'property="og:image" content="http://localhost/og/p/wool-coat.jpg?v=' in page.text, app_name
        assert "ref=ANNA24" not in page.text.split("</head>")[0], "preview tags never carry the ref"
    assert _clicks(shop) == 0
    assert _attribution(shop, client).touches == ()


def test_unknown_disabled_or_malformed_codes_give_no_credit_but_the_page_works(shop):
    client = shop.test_client()
    for ref in ("NOPE99", "GONE11", "bad!code", "x" * 500, "", "<script>"):
        page = client.get("/p/wool-coat", query_string={"ref": ref}, headers={"User-Agent": PHONE})
        assert page.status_code == 200 and _ref_cookie(page) is None, ref
    assert client.get("/p/wool-coat?ref=%00").status_code == 400, "NUL bytes are refused everywhere"
    assert _clicks(shop) == 0
    assert _attribution(shop, client).touches == ()


def test_a_forged_or_tampered_cookie_is_ignored(shop):
    client = shop.test_client()
    client.set_cookie("ref", "W1siQU5OQTI0IiwxNzAwMDAwMDAwXV0.forged")
    assert _attribution(shop, client).touches == ()
    client.set_cookie("ref", "garbage")
    assert client.get("/p/wool-coat").status_code == 200


def test_the_seller_opening_their_own_link_is_not_a_click(shop):
    client = shop.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)
    email = "anna24@sellers.example"
    client.post("/login", data={"csrf_token": token, "email": email, "password": "correct horse battery"})
    page = client.get("/p/wool-coat?ref=ANNA24")
    assert page.status_code == 200 and _ref_cookie(page) is None and _clicks(shop) == 0
    assert 'value="http://localhost/p/wool-coat?ref=ANNA24"' in page.text, "a signed-in seller shares with their code"


def test_share_links_carry_the_page_ref_and_work_without_js(shop):
    client = shop.test_client()
    plain = client.get("/p/wool-coat").text
    assert 'value="http://localhost/p/wool-coat" readonly' in plain
    assert "https://wa.me/?text=" in plain and "https://t.me/share/url?url=" in plain
    assert "static/js/share.js" in plain and "data-share-native" in plain
    referred = client.get("/p/wool-coat?ref=ANNA24", headers={"User-Agent": PHONE}).text
    assert 'value="http://localhost/p/wool-coat?ref=ANNA24"' in referred
    assert "wool-coat%3Fref%3DANNA24" in referred, "the WhatsApp/Telegram links carry the ref"
    assert "from $50.00" in referred, "the share text has the formatted price"


def test_open_graph_tags_are_complete_and_absolute(shop):
    html = shop.test_client().get("/p/wool-coat").text
    head = html.split("</head>")[0]
    tags = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', head))
    assert tags["og:type"] == "product" and tags["og:title"] == "Wool coat"
    assert tags["og:description"] == "Warm and soft."
    assert tags["og:url"] == "http://localhost/p/wool-coat"
    assert tags["product:price:amount"] == "50.00" and tags["product:price:currency"] == "USD"
    assert tags["product:availability"] == "in stock"
    assert tags["twitter:card"] == "summary_large_image"
    for key in ("og:image", "twitter:image", "og:url"):
        assert tags[key].startswith("http://localhost/"), key
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")


def test_the_share_image_is_generated_cached_and_1200_by_630(shop):
    client = shop.test_client()
    url = re.search(r'property="og:image" content="http://localhost([^"]+)"', client.get("/p/wool-coat").text).group(1)
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert "max-age=31536000" in first.headers["Cache-Control"] and "immutable" in first.headers["Cache-Control"]
    assert Image.open(io.BytesIO(first.data)).size == (1200, 630)
    assert len(first.data) < 300_000, "chat apps skip large preview images"
    share_dir = Path(shop.config["MEDIA_ROOT"]) / "share"
    assert len(list(share_dir.iterdir())) == 1
    assert client.get(url).data == first.data
    # a price change gives a new image and URL; the old URL redirects and the old file goes
    with shop.app_context():
        product = catalog.product_by_slug(db.session, "wool-coat")
        product.price = 4500
        db.session.commit()
    new_url = re.search(
        r'property="og:image" content="http://localhost([^"]+)"', client.get("/p/wool-coat").text
    ).group(1)
    assert new_url != url
    assert client.get(url).status_code == 302
    assert client.get(new_url).status_code == 200
    assert len(list(share_dir.iterdir())) == 1, "the old image is removed"


def test_a_product_without_photo_still_gets_an_image(shop):
    with shop.app_context():
        make_product("Plain socks", price=900)
    client = shop.test_client()
    url = re.search(r'property="og:image" content="http://localhost([^"]+)"', client.get("/p/plain-socks").text).group(
        1
    )
    assert Image.open(io.BytesIO(client.get(url).data)).size == (1200, 630)
    assert client.get("/og/p/no-such-thing.jpg").status_code == 404


def test_qr_codes_are_svg_and_refuse_bad_codes(shop):
    client = shop.test_client()
    svg = client.get("/qr/p/wool-coat.svg?ref=ANNA24")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    assert client.get("/qr/p/wool-coat.svg").status_code == 200
    assert client.get("/qr/s/ANNA24.svg").status_code == 200
    assert client.get("/qr/p/wool-coat.svg?ref=bad!").status_code == 422
    assert client.get("/qr/p/wool-coat.svg?ref=NOPE99").status_code == 404
    assert client.get("/qr/s/GONE11.svg").status_code == 404
    assert client.get("/qr/s/x.svg").status_code == 422
    assert client.get("/qr/p/nothing.svg").status_code == 404


def test_touches_outside_the_window_do_not_credit(shop):
    with shop.app_context():
        order = make_order([(catalog.product_by_slug(db.session, "wool-coat"), 1)])
        old = service.Attribution((web.rules.Touch("ANNA24", utcnow() - timedelta(days=31)),), 30)
        assert service.credit_order(db.session, order, old, utcnow()) is None
        assert db.session.scalar(select(func.count(Seller.id))) == 2


def test_product_pages_stay_cacheable_for_anonymous_shoppers(shop):
    client = shop.test_client()
    client.get("/")  # the session (CSRF token) starts here
    page = client.get("/p/wool-coat")
    assert page.headers.getlist("Set-Cookie") == [] and "private" not in page.headers["Cache-Control"]
