"""Pure brand rules: WCAG contrast, colours, links, WhatsApp numbers, the whole-brand check."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storefront.brand.rules import (
    Brand,
    BrandRefused,
    check_contrast,
    clean,
    contrast_ratio,
    from_data,
    https_url,
    luminance,
    parse_color,
    phone_number,
    to_data,
    whatsapp_number,
)

BASE = Brand(name="Green Leaf Tea")


@pytest.mark.parametrize(
    "fore, back, ratio",
    [
        ("#777777", "#ffffff", 4.48),
        ("#767676", "#ffffff", 4.54),
        ("#000000", "#ffffff", 21.0),
        ("#abcdef", "#abcdef", 1.0),
    ],
)
def test_contrast_ratio_follows_wcag(fore, back, ratio):
    assert round(contrast_ratio(fore, back), 2) == ratio
    assert contrast_ratio(back, fore) == contrast_ratio(fore, back), "order does not matter"


def test_luminance_of_white_and_black():
    assert luminance("#ffffff") == pytest.approx(1.0) and luminance("#000000") == 0.0


def test_aa_boundary_grey_on_white_links():
    check_contrast(replace(BASE, theme_color="#767676", background_color="#ffffff"))
    with pytest.raises(BrandRefused) as refused:
        check_contrast(replace(BASE, theme_color="#777777", background_color="#ffffff"))
    assert refused.value.field == "theme_color"
    assert "4.48:1" in str(refused.value) and "White button text on the brand colour" in str(refused.value)


def test_a_light_background_under_a_light_brand_colour_says_which_pair_fails():
    with pytest.raises(BrandRefused) as refused:
        check_contrast(replace(BASE, theme_color="#1f4e5f", background_color="#336677"))
    assert "page background" in str(refused.value)


def test_announcement_text_on_a_dark_accent_is_refused():
    with pytest.raises(BrandRefused) as refused:
        check_contrast(replace(BASE, accent_color="#333333"))
    assert refused.value.field == "accent_color" and "Announcement" in str(refused.value)


@pytest.mark.parametrize("text, colour", [("#1F4E5F", "#1f4e5f"), ("1f4e5f", "#1f4e5f"), (" #abc ", "#aabbcc")])
def test_colours_are_normalised(text, colour):
    assert parse_color(text, "theme_color") == colour


@pytest.mark.parametrize("text", ["", "red", "#12345", "#ggg000", "#1f4e5f;}body{", "rgb(0,0,0)", "#١٢٣٤٥٦"])
def test_anything_but_a_hex_colour_is_refused(text):
    with pytest.raises(BrandRefused):
        parse_color(text, "theme_color")


@pytest.mark.parametrize(
    "text", ["http://instagram.com/x", "javascript:alert(1)", "https://", "//evil", "https://a b.com"]
)
def test_social_links_must_be_https(text):
    with pytest.raises(BrandRefused):
        https_url(text, "instagram")


def test_whatsapp_numbers_become_wa_me_digits():
    assert whatsapp_number("+44 7700 900-123") == "447700900123"
    assert whatsapp_number("00880 1712 345678") == "8801712345678"
    for bad in ("07700 900123", "12ab", "+1 23", "+٤٤٧٧٠٠٩٠٠١٢٣"):
        with pytest.raises(BrandRefused):
            whatsapp_number(bad)
    brand = replace(BASE, whatsapp="447700900123")
    assert brand.whatsapp_url == "https://wa.me/447700900123"
    assert brand.whatsapp_about("Ask: Tea & cake") == "https://wa.me/447700900123?text=Ask%3A%20Tea%20%26%20cake"


def test_clean_checks_everything_and_keeps_the_brand_round_trip():
    brand = clean(
        replace(BASE, name="  Green   Leaf ", theme_color="2E7D32", whatsapp="+44 7700 900123", featured=(3, 1, 3))
    )
    assert brand.name == "Green Leaf" and brand.theme_color == "#2e7d32" and brand.featured == (3, 1)
    assert from_data(to_data(brand), BASE) == brand
    with pytest.raises(BrandRefused) as refused:
        clean(replace(BASE, name=" "))
    assert refused.value.field == "name"
    with pytest.raises(BrandRefused) as refused:
        clean(replace(BASE, announcement_on=True, announcement=""))
    assert refused.value.field == "announcement"


def test_fingerprint_changes_with_any_value():
    assert BASE.fingerprint != replace(BASE, returns_note="30 days").fingerprint
    assert BASE.fingerprint == Brand(name="Green Leaf Tea").fingerprint


@pytest.mark.parametrize("text", ["(503) 555-0142", "+1 503 555 0142", "+44 20 7946 0000", "503.555.0142", ""])
def test_phone_numbers_in_everyday_formats_are_kept(text):
    assert phone_number(text) == text


@pytest.mark.parametrize("text", ["call me", "555", "+1 (503) 555-0142 ext. 4", "<script>"])
def test_anything_else_is_refused_as_a_phone_number(text):
    with pytest.raises(BrandRefused):
        phone_number(text)
