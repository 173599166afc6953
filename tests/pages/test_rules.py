"""The pure rules of the shop's pages: what a page may hold, which version a shopper reads, the sitemap's parts."""

from __future__ import annotations

from datetime import datetime

import pytest

from storefront.pages.rules import PageRefused, PageVersion, check_page, choose_version, linked_pages, page_locales
from storefront.pages.sitemap_rules import SitemapUrl, is_index, part_count, path_of, urlset, w3c_datetime


def test_the_body_goes_through_the_product_descriptions_cleaner():
    text = check_page(
        "about",
        "  Our story ",
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n**Hand made** [site](javascript:alert(1))',
    )
    assert text.title == "Our story"
    assert_harmless(text.body_html)
    assert "<strong>Hand made</strong>" in text.body_html


def assert_harmless(html: str) -> None:
    """No script or image element, no event-handler attribute, no javascript: link: only text and allowed tags."""
    from lxml import html as lxml_html

    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    assert not tree.xpath("//script | //img | //iframe | //style"), html
    assert not [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")], html
    assert not tree.xpath("//a[starts-with(normalize-space(@href), 'javascript')]"), html


@pytest.mark.parametrize(
    ("slug", "title", "body", "field"),
    [
        ("about", "", "Some words", "title"),  # text without a title
        ("terms", "Terms", "", "body"),  # a title without text
        ("terms", "Terms", "<script>gone()</script>", None),  # markup only: the text is escaped, not empty
        ("about", "x" * 121, "Words", "title"),
        ("about", "About", "x" * 20_001, "body"),
    ],
)
def test_half_filled_or_oversized_pages_are_refused(slug, title, body, field):
    if field is None:
        assert check_page(slug, title, body).body_html  # escaped text is still text
        return
    with pytest.raises(PageRefused) as refused:
        check_page(slug, title, body)
    assert refused.value.field == field


def test_an_empty_page_takes_it_down_and_contact_needs_no_text():
    assert check_page("about", "", "   ") == check_page("about", None, None)
    assert check_page("about", "", "").body_html == ""
    assert check_page("contact", "Say hello", "").title == "Say hello"


def test_a_shopper_reads_their_language_else_the_default_one():
    versions = [
        PageVersion("shipping", "", "Shipping", "<p>We ship</p>"),
        PageVersion("shipping", "es", "Envíos", "<p>Enviamos</p>"),
        PageVersion("returns", "es", "Devoluciones", "<p>Devolver</p>"),
        PageVersion("privacy", "", "Privacy", ""),  # taken down
    ]
    assert choose_version(versions, "shipping", "es").title == "Envíos"
    assert choose_version(versions, "shipping", "bn").title == "Shipping"
    assert choose_version(versions, "returns", "") is None  # no default version: not for English readers
    assert choose_version(versions, "privacy", "") is None
    assert linked_pages(versions, "es") == [("shipping", "Envíos"), ("returns", "Devoluciones"), ("contact", "")]
    assert linked_pages(versions, "") == [("shipping", "Shipping"), ("contact", "")]


def test_pages_are_written_in_the_shops_language_and_the_others():
    assert page_locales("en", ["en", "bn", "es"]) == ["", "bn", "es"]
    assert page_locales("es", ["en", "es"]) == ["", "en"]


def test_the_sitemap_splits_past_its_limit():
    assert (part_count(0, 3), part_count(3, 3), part_count(4, 3), part_count(50_001, 50_000)) == (1, 1, 2, 2)
    assert not is_index(3, 3) and is_index(4, 3)
    with pytest.raises(ValueError):
        part_count(5, 0)


def test_locations_are_escaped_and_times_are_w3c():
    assert path_of("/p/", "শাড়ি-1") == "/p/%E0%A6%B6%E0%A6%BE%E0%A6%A1%E0%A6%BC%E0%A6%BF-1"
    assert path_of("/c/", "a&b <c>") == "/c/a%26b%20%3Cc%3E"
    assert w3c_datetime(datetime(2026, 6, 17, 16, 0, 5, 123)) == "2026-06-17T16:00:05+00:00"
    xml = "".join(urlset("https://shop.example.com/a&b", [SitemapUrl("/")]))
    assert "<loc>https://shop.example.com/a&amp;b/</loc>" in xml


def test_the_demo_pages_pass_the_shops_own_checks():
    from storefront.demo import DEMO_PAGES, DEMO_PAGES_ES

    assert set(DEMO_PAGES) == {"about", "shipping", "returns", "privacy", "terms"}
    for slug, (title, body) in [*DEMO_PAGES.items(), *DEMO_PAGES_ES.items()]:
        assert check_page(slug, title, body).body_html
