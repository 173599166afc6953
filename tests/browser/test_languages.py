"""Languages in a real browser: long Bengali words and right-to-left Arabic fit a 320 px phone,
and the footer switcher changes the language without JavaScript and remembers it."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from storefront.core.numerals import format_count
from tests.builders import make_category, make_product
from tests.live_server import gunicorn

PATHS = ("/", "/c/clothing", "/p/{slug}", "/cart", "/checkout", "/search?q={query}", "/stores")


@pytest.fixture
def multilingual_shop(sqlite_app, tmp_path):
    """A shop with long Bengali and Chinese names, serving `ar` too (no catalogue: English words, rtl)."""
    with sqlite_app.app_context():
        category = make_category("Clothing")
        saree = make_product("হাতে বোনা ঐতিহ্যবাহী জামদানি শাড়ি, উপহারের জন্য সুন্দর মোড়কে", category=category)
        make_product("手工制作的真丝围巾，柔软亲肤，适合四季佩戴和送礼", category=category)
        make_product("Merino coat with an extraordinarily long name for a narrow screen", category=category)
        slug = saree.slug
    env = {"SUPPORTED_LOCALES": "en,bn,es,zh_Hans,ar"}
    with gunicorn(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", workers=1, **env) as base:
        yield base, slug


@pytest.mark.parametrize("locale", ["ar", "bn"])
def test_pages_fit_320px_in_arabic_and_bengali(browser, multilingual_shop, expect, locale):
    base, slug = multilingual_shop
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale=locale)
    page = context.new_page()
    page.goto(f"{base}/p/{slug}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
    page.locator("form[data-add-to-cart] button[type=submit]").first.click()
    one = format_count(1, locale)  # the badge in the digits the server writes: bn ১, ar 1 (Chromium's default: ١)
    assert one == {"bn": "১", "ar": "1"}[locale]
    expect(page.locator("[data-cart-count]").first).to_have_text(one)
    for path in PATHS:
        page.goto(base + path.format(slug=slug, query="শাড়ি"))
        expect(page.locator("html")).to_have_attribute("lang", locale)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{locale} {path} scrolls sideways ({width}px)"
    if locale == "ar":  # the header really flows right to left: the shop's name sits on the right
        page.goto(base + "/")
        brand = page.locator(".brand").bounding_box()
        assert brand["x"] + brand["width"] > 250, brand
    context.close()


def test_the_switcher_changes_and_remembers_the_language(browser, multilingual_shop, expect):
    base, slug = multilingual_shop
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/p/{slug}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="বাংলা").click()
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    assert unquote(page.url) == f"{base}/p/{slug}", "back on the same product"
    expect(page.get_by_role("button", name="কার্টে যোগ করুন")).to_be_visible()
    page.goto(f"{base}/cart")
    expect(page.locator("h1")).to_have_text("আপনার কার্ট")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("h1")).to_have_text("您的购物车")
    context.close()
