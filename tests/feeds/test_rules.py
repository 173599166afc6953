"""Pure feed rules: prices with the currency's exponent, plain text, limits, ids, links, names, the cache key."""

from __future__ import annotations

import pytest

from storefront.domain import Invalid
from storefront.feeds.rules import (
    MAX_DESCRIPTION,
    MAX_ID,
    FeedSettings,
    PhotoRow,
    ProductRow,
    VariantRow,
    cache_key,
    check_link,
    clip,
    feed_items,
    feed_url,
    image_url,
    item_id,
    new_token,
    plain_text,
    price_text,
)
from storefront.money import format_amount_plain, minor_digits

SETTINGS = FeedSettings("https://shop.example/", "USD", "US", 500, "Alder & Clay", "Alder & Clay")
PRODUCT = ProductRow(7, "mug", "Mug", "<p>Hand <em>thrown</em> &amp; glazed.</p>", 1250, "Kitchen")
PHOTOS = [PhotoRow("a" * 32, "320,640,1024"), *(PhotoRow(f"{n:032x}", "320") for n in range(12))]


def variant(vid: int, name: str = "", on_hand: int = 3, reserved: int = 0, price: int | None = None) -> VariantRow:
    return VariantRow(vid, f"SKU-{vid}", name, price, on_hand, reserved)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1250, "USD", "12.50 USD"), (5, "USD", "0.05 USD"), (1200, "JPY", "1200 JPY"), (1234, "KWD", "1.234 KWD")],
)
def test_prices_are_major_units_with_the_currencys_exponent(amount, currency, text):
    assert price_text(amount, currency) == text
    digits = FeedSettings("https://shop.example/", currency, "US", 0, "A", "A").digits  # looked up once a feed
    assert price_text(amount, currency, digits) == text


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "EUR", "CLF", "ISK"])
def test_the_integer_price_text_matches_the_shops_money_formatting(currency):
    digits = minor_digits(currency)
    for amount in (0, 1, 9, 10, 99, 100, 101, 1250, 99999, 1234567, -1250):
        assert price_text(amount, currency, digits) == f"{format_amount_plain(amount, currency)} {currency}"


def test_descriptions_become_plain_text_within_the_limit():
    assert plain_text(PRODUCT.description_html) == "Hand thrown & glazed."
    assert plain_text("a\x00b\x0bc <script>x</script>") == "a b c x"  # no character XML cannot carry
    long = clip("word " * 2000)
    assert len(long) <= MAX_DESCRIPTION and long.endswith("…") and "  " not in long
    assert clip("short") == "short"


def test_ids_are_skus_and_long_skus_stay_unique_within_googles_limit():
    assert item_id("MUG-1") == "MUG-1"
    a, b = item_id("X" * 60 + "1"), item_id("X" * 60 + "2")
    assert len(a) <= MAX_ID and len(b) <= MAX_ID and a != b
    assert a == item_id("X" * 60 + "1"), "stable from fetch to fetch"


def test_one_item_per_variant_grouped_when_there_are_several():
    variants = [variant(1, "Blue"), variant(2, "Green", on_hand=2, reserved=2, price=1500)]
    items = feed_items(PRODUCT, variants, PHOTOS, SETTINGS)
    assert [i.id for i in items] == ["SKU-1", "SKU-2"]
    assert [i.title for i in items] == ["Mug — Blue", "Mug — Green"]
    assert [i.in_stock for i in items] == [True, False], "reserved units are not for sale"
    assert [i.price for i in items] == ["12.50 USD", "15.00 USD"]
    assert {i.item_group_id for i in items} == {"7"}
    assert items[0].link == "https://shop.example/p/mug?variant=1"
    assert items[0].image_link == "https://shop.example/media/" + "a" * 32 + "-1024.jpg", "the largest rendition"
    assert len(items[0].additional_image_links) == 10
    assert items[0].sale_price is None and items[0].product_type == "Kitchen" and items[0].brand == "Alder & Clay"
    (single,) = feed_items(PRODUCT, [variant(3)], PHOTOS[:1], SETTINGS)
    assert single.item_group_id is None and single.title == "Mug" and single.additional_image_links == ()


def test_no_photo_or_no_variant_no_item():
    assert feed_items(PRODUCT, [variant(1)], [], SETTINGS) == []
    assert feed_items(PRODUCT, [], PHOTOS, SETTINGS) == []


def test_an_empty_description_falls_back_to_the_title():
    (item,) = feed_items(ProductRow(1, "t", "Towel", "", 100, ""), [variant(1)], PHOTOS[:1], SETTINGS)
    assert item.description == "Towel"


def test_links_and_tokens():
    token = new_token()
    assert len(token) >= 40 and token != new_token()
    assert feed_url("https://shop.example/", token, "google") == f"https://shop.example/feeds/{token}/google.xml"
    assert feed_url("https://shop.example/", token, "meta").endswith("/meta.csv")
    assert image_url("/", PhotoRow("k" * 32, "640,320")) == "/media/" + "k" * 32 + "-640.jpg"


@pytest.mark.parametrize(("name", "fmt"), [("", "google"), ("   ", "meta"), ("x" * 81, "google"), ("Google", "bing")])
def test_refused_link_names_and_formats(name, fmt):
    with pytest.raises(Invalid):
        check_link(name, fmt)


def test_link_names_are_trimmed():
    assert check_link("  Google   Merchant  ", "google") == ("Google Merchant", "google")


def test_the_cache_key_changes_with_everything_the_feed_shows():
    base = cache_key("google", "e.1", SETTINGS, "1")
    assert base == cache_key("google", "e.1", SETTINGS, "1")
    others = {
        cache_key("meta", "e.1", SETTINGS, "1"),
        cache_key("google", "e.2", SETTINGS, "1"),
        cache_key("google", "e.1", SETTINGS, "2"),
        cache_key("google", "e.1", FeedSettings("https://other.example/", "USD", "US", 500, "A", "A"), "1"),
        cache_key("google", "e.1", FeedSettings("https://shop.example/", "JPY", "JP", 500, "A", "A"), "1"),
        cache_key("google", "e.1", FeedSettings("https://shop.example/", "USD", "US", 700, "A", "A"), "1"),
    }
    assert base not in others and len(others) == 6
