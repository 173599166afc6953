"""The shopper's language: their choice (remembered), else Accept-Language, else SHOP_LOCALE;
<html lang dir> right for every locale, right-to-left included."""

from __future__ import annotations

import re

import pytest

from storefront.core.locales import html_lang, negotiate, text_direction
from tests.builders import make_category, make_product
from tests.helpers import csrf_from

SUPPORTED = ["en", "bn", "es", "zh_Hans"]


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        (["zh-CN"], "zh_Hans"),
        (["zh"], "zh_Hans"),
        (["zh-Hans-CN"], "zh_Hans"),
        (["zh-SG", "en"], "zh_Hans"),
        (["zh-TW", "en"], "en"),  # Traditional Chinese readers are not sent Simplified
        (["es-MX", "en"], "es"),  # the shopper's order counts, not exact-match-first
        (["bn-BD"], "bn"),
        (["bn-IN", "en-GB"], "bn"),
        (["en-GB", "bn"], "en"),
        (["fr-FR", "de"], None),
        (["*"], None),
        (["not a tag!"], None),
    ],
)
def test_accept_language_matches_language_and_script(accepted, expected):
    assert negotiate(accepted, SUPPORTED) == expected


def test_html_lang_and_direction():
    assert html_lang("zh_Hans") == "zh-Hans" and html_lang("pt_BR") == "pt-BR" and html_lang("bn") == "bn"
    assert [text_direction(code) for code in ("ar", "he", "fa", "ur")] == ["rtl"] * 4
    assert [text_direction(code) for code in ("en", "bn", "es", "zh_Hans")] == ["ltr"] * 4


def _lang_dir(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)"[^>]*>', html)
    assert match, "the page has no <html lang dir>"
    return match.group(1), match.group(2)


@pytest.mark.parametrize(
    ("header", "lang"),
    [("zh-CN,zh;q=0.9", "zh-Hans"), ("bn", "bn"), ("es-ES", "es"), ("fr", "en"), ("", "en")],
)
def test_pages_follow_accept_language(sqlite_app, header, lang):
    client = sqlite_app.test_client()
    page = client.get("/cart", headers={"Accept-Language": header} if header else {})
    assert _lang_dir(page.text) == (lang, "ltr")


def test_the_shop_locale_is_the_fallback(sqlite_app):
    sqlite_app.config["SHOP_LOCALE"] = "es"
    assert _lang_dir(sqlite_app.test_client().get("/cart", headers={"Accept-Language": "fr"}).text)[0] == "es"


def test_the_switcher_remembers_the_choice_over_accept_language(sqlite_app):
    client = sqlite_app.test_client()
    page = client.get("/cart?x=1", headers={"Accept-Language": "es"})
    assert 'action="/locale"' in page.text and 'value="/cart?x=1"' in page.text
    assert 'lang="bn">বাংলা</button>' in page.text and 'lang="zh-Hans">简体中文</button>' in page.text
    answer = client.post("/locale", data={"csrf_token": csrf_from(page.text), "locale": "bn", "next": "/cart?x=1"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/cart?x=1"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("locale=bn;") and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    again = client.get("/cart", headers={"Accept-Language": "es"})
    assert _lang_dir(again.text) == ("bn", "ltr") and "আপনার কার্ট" in again.text
    assert 'value="bn" lang="bn" aria-current="true"' in again.text


def test_the_switcher_needs_csrf_and_refuses_foreign_redirects(sqlite_app):
    client = sqlite_app.test_client()
    assert client.post("/locale", data={"locale": "bn", "next": "/"}).status_code == 400
    token = csrf_from(client.get("/cart").text)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = client.post("/locale", data={"csrf_token": token, "locale": "es", "next": target})
        assert answer.headers["Location"] == "/", target
    answer = client.post("/locale", data={"csrf_token": token, "locale": "xx", "next": "/cart"})
    assert answer.status_code == 303 and "Set-Cookie" not in answer.headers, "an unknown language changes nothing"
    client.set_cookie("locale", "xx")
    assert _lang_dir(client.get("/cart").text)[0] == "en", "a forged cookie is ignored"


def test_right_to_left_smoke_on_every_shopper_page(sqlite_app):
    """No Arabic catalogue ships; allowing `ar` here proves the pages declare rtl and still render."""
    sqlite_app.config["SUPPORTED_LOCALES"] = [*SUPPORTED, "ar"]
    with sqlite_app.app_context():
        make_product("Merino coat", category=make_category("Clothing"))
    client = sqlite_app.test_client()
    headers = {"Accept-Language": "ar-EG"}
    client.get("/p/merino-coat", headers=headers)
    token = csrf_from(client.get("/cart", headers=headers).text)
    from storefront.catalog.models import Product
    from storefront.extensions import db

    with sqlite_app.app_context():
        variant_id = db.session.query(Product).one().variants[0].id
    client.post("/cart/add", data={"csrf_token": token, "variant_id": variant_id, "quantity": 1})
    for path in ("/", "/c/clothing", "/p/merino-coat", "/search?q=coat", "/cart", "/checkout", "/stores", "/nope"):
        page = client.get(path, headers=headers)
        assert page.status_code in (200, 404), path
        assert _lang_dir(page.text) == ("ar", "rtl"), path
