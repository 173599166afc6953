"""The product page as a shopper sees it: gallery without script, one price, share box last, add choices."""

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader

from tests.builders import add_demo_photos, make_product


@pytest.fixture
def three_photos(app):
    """A product with three photos; yields its page URL."""
    with app.app_context():
        product = make_product("Linen shirt", price=3000, variants=(("S", 5), ("M", 5)))
        add_demo_photos(product, 3, alt="Linen shirt")
        return f"/p/{product.slug}"


def test_photos_are_a_swipeable_track_with_anchor_dots(client, three_photos):
    html = client.get(three_photos).text
    track = re.search(r'<div class="gallery-track"([^>]*)>', html)
    assert track, "the photos sit in a scroll-snap track"
    assert 'tabindex="0"' in track.group(1) and 'role="region"' in track.group(1)
    assert 'aria-label="Photos of Linen shirt"' in track.group(1), "a keyboard user can reach and name it"
    slides = re.findall(r'<div class="slide" id="(photo-\d)">', html)
    assert slides == ["photo-1", "photo-2", "photo-3"]
    dots = re.findall(r'<a href="#(photo-\d)" data-gallery-dot><span class="visually-hidden">([^<]+)</span>', html)
    assert dots == [("photo-1", "Photo 1 of 3"), ("photo-2", "Photo 2 of 3"), ("photo-3", "Photo 3 of 3")]
    imgs = re.findall(r"<img [^>]+>", html)
    assert len(imgs) == 3, "dots are links, not more pictures"
    assert 'fetchpriority="high"' in imgs[0] and "loading=" not in imgs[0]
    assert all('loading="lazy"' in img and "fetchpriority" not in img for img in imgs[1:])
    assert all('width="1200"' in img and 'height="900"' in img for img in imgs), "no layout shift"


def test_one_photo_has_no_dots_and_none_shows_a_placeholder(client, app):
    with app.app_context():
        one = make_product("Cup")
        add_demo_photos(one, 1)
        bare = make_product("Plate")
        one_url, bare_url = f"/p/{one.slug}", f"/p/{bare.slug}"
    one_html = client.get(one_url).text
    assert 'id="photo-1"' in one_html and "gallery-dots" not in one_html
    bare_html = client.get(bare_url).text
    assert "gallery-track" not in bare_html and '<span class="noimg" aria-hidden="true"></span>' in bare_html


def test_same_price_variants_show_the_price_once(client, app):
    with app.app_context():
        same = make_product("Tee", price=2500, variants=(("S", 5), ("M", 5), ("L", 5)))
        mixed = make_product("Hoodie", price=4000, variants=(("S", 5), ("XL", 5)), overrides={"XL": 4800})
        same_url, mixed_url = f"/p/{same.slug}", f"/p/{mixed.slug}"
    same_html = client.get(same_url).text
    assert 'class="v-price"' not in same_html and same_html.count("$25.00") >= 1
    assert '<p class="price" data-price>$25.00</p>' in same_html
    mixed_html = client.get(mixed_url).text
    assert re.findall(r'<span class="v-price">([^<]+)</span>', mixed_html) == ["$40.00", "$48.00"]
    assert "from $40.00" in mixed_html


def test_share_box_follows_the_description(client, three_photos):
    html = client.get(three_photos).text
    button, description, share = (
        html.index("Add to cart</button>"),
        html.index('class="description"'),
        html.index('class="share"'),
    )
    assert button < description < share


def test_video_and_buy_info_partials_sit_where_asked(app, client, three_photos):
    """The video helper's and brand helper's partials: video after the photos, notes under the button."""
    partials = {
        "catalog/_video.html": "<p>VIDEO-PARTIAL {{ product.title }}</p>",
        "catalog/_buy_info.html": "<p>BUY-INFO-PARTIAL</p>",
    }
    app.jinja_env.loader = ChoiceLoader([DictLoader(partials), app.jinja_env.loader])
    html = client.get(three_photos).text
    assert "VIDEO-PARTIAL Linen shirt" in html
    assert html.index('id="photo-3"') < html.index("VIDEO-PARTIAL") < html.index('class="buy"')
    assert html.index("Add to cart</button>") < html.index("BUY-INFO-PARTIAL") < html.index('class="description"')


def test_product_page_offers_cart_and_checkout_after_an_add(client, three_photos):
    """The panel app.js shows after an add: hidden in the page, holding both links."""
    html = client.get(three_photos).text
    panel = re.search(r'<div class="toast added" data-added hidden[^>]*>(.*?)</div>', html, re.S)
    assert panel, "the panel is in the add form, hidden until an add"
    assert 'href="/cart">View cart</a>' in panel.group(1) and 'href="/checkout">Checkout</a>' in panel.group(1)
    assert html.index("Add to cart</button>") < panel.start() < html.index("</form>", panel.start())


def test_gallery_strings_are_translated(app, three_photos):
    spanish = app.test_client()
    spanish.set_cookie("locale", "es")
    html = spanish.get(three_photos).text
    assert "Photos of" not in html and "Photo 2 of 3" not in html and "View cart" not in html
