"""base.html's fixed parts kept per process (core.pagecache.frame): the same pages, only cheaper.

Each part of base.html between its blocks is rendered once per language, host and brand in force,
with holes for the visitor's own bits, and spliced into every page (issue 22). Here pages are
rendered with and without the kept parts, in several languages, and must match byte for byte
(tokens and one-time keys aside); an owner's brand or page edit must show on the very next page.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import flash, g, render_template_string
from flask_babel import force_locale
from PIL import Image

from storefront.core import pagecache
from storefront.extensions import cache
from tests.builders import (
    CHECKOUT_PICKUP,
    ShopClient,
    make_category,
    make_product,
    signed_in_owner,
    variant_ids,
)

pytestmark = pytest.mark.usefixtures("quick_password_hash")

LANGUAGES = ("en", "es", "bn", "zh_Hans")
# Child pages overriding what shoppers' and the owner's pages override, with the visitor's bits.
CHILDREN = {
    "plain": '{% extends "base.html" %}{% block content %}x{% endblock %}',
    "blocks": """{% extends "base.html" %}
{% block title %}T <&>{% endblock %}{% block description %}D{% endblock %}
{% block head %}<meta name="robots" content="noindex">{% endblock %}
{% block scripts %}<script src="/s.js"></script>{% endblock %}
{% block body_class %}shop checkout{% endblock %}{% block body_attrs %}data-page="checkout"{% endblock %}
{% block announcement %}{% endblock %}
{% block header_nav %}<nav>{{ _('Cart') }} {{ hole('cart_count') }}</nav>{% endblock %}
{% block content %}<p name="csrf-token" content="{{ csrf_token() }}"></p>{% endblock %}""",
    "offline": '{% extends "base.html" %}{% block content %}off{% endblock %}',  # rendered with no_csrf
}
TOKENS = (
    re.compile(r'(name="csrf-token" content=")[^"]+'),
    re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+'),
    re.compile(r'(name="checkout_key" type="hidden" value=")[^"]+'),
)


def without_tokens(html: str) -> str:
    for pattern in TOKENS:
        html = pattern.sub(r"\1TOKEN", html)
    return html


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "#c62828").save(buffer, "PNG")
    buffer.seek(0)
    return buffer


BRAND = {
    "name": "Green <Leaf> & Tea",
    "short_name": "Green Leaf",
    "theme_color": "#2e7d32",
    "background_color": "#ffffff",
    "accent_color": "#fff3c4",
    "headline": "Loose-leaf tea",
    "announcement_on": "y",
    "announcement": "Free delivery over 30",
    "whatsapp": "+44 7700 900123",
    "phone": "+44 20 7946 0000",
    "email": "tea@example.com",
    "instagram": "https://instagram.com/greenleaf",
}


def _frames(app) -> dict | None:
    return app.extensions["pagecache"].frames


def test_templates_render_the_same_with_and_without_the_kept_parts(sqlite_app):
    """Every part, every hole (token, flashes, cart badge, next path), blocks overridden, no_csrf, four languages."""
    app = sqlite_app
    owner = signed_in_owner(app)
    assert (
        owner.post("/admin/brand", {**BRAND, "logo": (_png(), "l.png")}, content_type="multipart/form-data").status_code
        == 303
    )
    assert owner.post("/admin/pages/about", {"title": "Our <story>", "body": "By hand."}).status_code == 303
    kept = _frames(app)
    for language in LANGUAGES:
        for name, source in CHILDREN.items():
            extra = {"no_csrf": True} if name == "offline" else {"query": 'tea "&" <b>'}
            cookies = f"locale={language}; cart_n=3"
            pages = []
            for frames in (None, kept, kept):  # without, kept parts made, kept parts served
                app.extensions["pagecache"].frames = frames
                with app.test_request_context("/cart?x=<1>&y=2", headers={"Cookie": cookies}):
                    flash("Added <b>tea</b> & more", "success")
                    html = render_template_string(source, **extra)
                    token = g.get("csrf_token")
                    if name == "offline":
                        assert token is None and "csrf" not in html, "a page without a token"
                    else:
                        assert token in html and token not in str(frames), "the token filled in, never kept"
                    pages.append(without_tokens(html))
            assert pages[0] == pages[1] == pages[2], (language, name)
            assert "<!--hole:" not in html and ("Added &lt;b&gt;tea&lt;/b&gt;" in html) and "Green &lt;Leaf&gt;" in html
            assert name == "offline" or 'name="next" value="/cart?x=&lt;1&gt;&amp;y=2"' in pages[0], (
                "the next path is escaped"
            )
    assert {key[0] for key in kept} == {"top", "head", "scripts", "body", "header", "bars", "footer"}


def test_a_cacheable_page_keeps_its_holes_through_the_kept_parts(sqlite_app):
    """Inside the page cache's render the parts' holes stay, for its fill(): the same page either way."""
    app = sqlite_app
    source = CHILDREN["blocks"]
    with app.test_request_context("/", headers={"Cookie": "cart_n=2"}):
        pages = []
        for frames in (None, {}, _frames(app)):
            app.extensions["pagecache"].frames = frames
            pages.append(pagecache._render_with_holes(lambda: render_template_string(source)))
        assert pages[0] == pages[1] == pages[2]
        assert pages[0].count("<!--hole:csrf-->") == 3 and "<!--hole:next-->" in pages[0]


def test_pages_are_the_same_with_and_without_the_kept_parts(app):
    """Shoppers' pages (cached ones too), an order's page and the owner's, in several languages."""
    with app.app_context():
        product = make_product("Merino <coat>", category=make_category("Clothing"))
        variant_id = variant_ids(product)[0]
    owner = signed_in_owner(app)
    assert owner.post("/admin/brand", BRAND).status_code == 303
    assert "Brand saved" in owner.client.get("/admin/brand").text  # its flash shown
    shopper = ShopClient(app.test_client())
    shopper.add(variant_id, 2)
    order_url = shopper.checkout(CHECKOUT_PICKUP).headers["Location"]
    shopper.add(variant_id, 1)
    assert "Thank you" in shopper.client.get(order_url).text  # its flashes shown: each page below shows none
    state = app.extensions["pagecache"]
    kept = state.frames
    urls = ("/", "/c/clothing", "/p/merino-coat", "/search?q=coat", "/cart", "/checkout", "/stores", order_url, "/nope")
    for language in ("en", "es", "bn"):
        shopper.client.set_cookie("locale", language)
        owner.client.set_cookie("locale", language)
        for browser, url in [*((shopper, url) for url in urls), (owner, "/admin/brand"), (owner, "/admin/pages")]:
            pages = []
            for frames in (None, kept, kept):
                state.frames = frames
                cache.clear()  # the page cache's pages rendered anew each time
                answer = browser.client.get(url)
                assert answer.status_code in (200, 404), url
                pages.append(without_tokens(answer.text))
            assert pages[0] == pages[1] == pages[2], (language, url)
    assert kept, "the parts were kept"


def test_an_owners_brand_or_page_edit_shows_on_the_next_page(app):
    owner = signed_in_owner(app)
    shopper = app.test_client()
    for url in ("/cart", "/stores"):
        before = shopper.get(url).text
        assert "Green Leaf" not in before and "tea@example.com" not in before
    assert _frames(app)
    assert owner.post("/admin/brand", BRAND).status_code == 303
    for url in ("/cart", "/stores"):
        after = shopper.get(url).text
        assert '<meta name="theme-color" content="#2e7d32">' in after, "the head's part"
        assert '<a class="brand" href="/">Green &lt;Leaf&gt; &amp; Tea</a>' in after, "the header's part"
        assert 'href="mailto:tea@example.com"' in after, "the footer's part"
    assert owner.post("/admin/pages/shipping", {"title": "Delivery <times>", "body": "Two days."}).status_code == 303
    assert 'href="/pages/shipping">Delivery &lt;times&gt;</a>' in shopper.get("/cart").text
    shopper.set_cookie("locale", "es")
    assert 'href="/pages/shipping">Delivery &lt;times&gt;</a>' in shopper.get("/cart").text, "the shop's own version"
    assert owner.post("/admin/pages/shipping?locale=es", {"title": "Envíos", "body": "Dos días."}).status_code == 303
    assert 'href="/pages/shipping">Envíos</a>' in shopper.get("/cart").text


def test_kept_parts_spare_the_helpers_and_stay_bounded(sqlite_app, monkeypatch):
    """A second page asks base.html's helpers nothing; many hosts never keep more than FRAMES_MAX parts."""
    app = sqlite_app
    calls = []
    for name in ("static_url", "icon_url", "shop_pages", "language_choices", "html_lang"):
        helper = app.jinja_env.globals[name]
        monkeypatch.setitem(
            app.jinja_env.globals, name, lambda *a, _h=helper, _n=name, **k: calls.append(_n) or _h(*a, **k)
        )
    client = app.test_client()
    first = client.get("/cart").text
    assert {"static_url", "icon_url", "shop_pages", "language_choices", "html_lang"} <= set(calls)
    calls.clear()
    assert without_tokens(client.get("/cart").text) == without_tokens(first)
    assert calls == ["language_choices"], "only what the footer is kept by"
    monkeypatch.setattr(pagecache, "FRAMES_MAX", 20)
    for n in range(12):
        assert client.get("/cart", headers={"Host": f"shop{n}.example"}).status_code == 200
        assert len(_frames(app)) <= 20


def test_a_language_forced_inside_a_request_gets_its_own_parts(sqlite_app):
    """force_locale() (a message in the customer's language) switches the parts too, and back."""
    app = sqlite_app
    source = CHILDREN["plain"]
    pages = {}
    for frames in (None, _frames(app)):
        app.extensions["pagecache"].frames = frames
        with app.test_request_context("/cart", headers={"Cookie": "locale=es"}):
            spanish = render_template_string(source)
            with force_locale("bn"):
                bengali = render_template_string(source)
            pages[frames is None] = tuple(map(without_tokens, (spanish, bengali, render_template_string(source))))
    assert pages[True] == pages[False]
    spanish, bengali, again = pages[False]
    assert 'lang="es"' in spanish and 'lang="bn" dir="ltr" data-numbering="beng"' in bengali and again == spanish
