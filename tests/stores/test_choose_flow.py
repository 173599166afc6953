"""Choosing a store on /stores: back to the same nearest-first list, marked, with a way on to checkout."""

from __future__ import annotations

import re

import pytest

from tests.builders import make_product, variant_ids
from tests.stores.builders import make_store


@pytest.fixture
def bay(app):
    """Three San Francisco stores; their ids by name."""
    with app.app_context():
        stores = [
            make_store("Harbour Street", 37.795, -122.393, "San Francisco", "94111"),
            make_store("Market Street", 37.779, -122.419, "San Francisco", "94103"),
            make_store("Ocean Beach", 37.760, -122.509, "San Francisco", "94122"),
        ]
        return {s.name: s.id for s in stores}


def _names(html: str) -> list[str]:
    return [re.sub(r"\s*<span.*", "", n).strip() for n in re.findall(r'<h2 class="store-name">(.*?)</h2>', html)]


def test_choosing_returns_to_the_same_nearest_first_list_with_distances(shop, bay):
    near_market = "/stores?lat=37.7790&lng=-122.4190"
    before = shop.client.get(near_market).text
    assert _names(before) == ["Market Street", "Harbour Street", "Ocean Beach"]
    back = re.search(r'name="next" value="([^"]+)"', before).group(1).replace("&amp;", "&")
    chosen = shop.post("/stores/choose", {"store_id": bay["Market Street"], "next": back})
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == "/stores?lat=37.7790&lng=-122.4190"
    after = shop.client.get(chosen.headers["Location"]).text
    assert "Market Street is now your store." in after
    assert _names(after) == ["Market Street", "Harbour Street", "Ocean Beach"], "still nearest first"
    assert after.count("km away") == 3, "with the distances"
    assert re.search(
        r'<li class="store is-chosen">\s*<h2 class="store-name">Market Street <span class="tag">Your store', after
    )


def test_a_typed_place_is_kept_too_and_a_foreign_next_is_not_followed(shop, bay):
    page = shop.client.get("/stores?q=94111").text
    assert 'name="next" value="/stores?q=94111"' in page
    assert (
        shop.post("/stores/choose", {"store_id": bay["Ocean Beach"], "next": "https://evil.example/"}).headers[
            "Location"
        ]
        == "/stores"
    )


def test_continue_to_checkout_once_a_store_is_chosen_and_the_cart_has_items(app, shop, bay):
    assert "Continue to checkout" not in shop.client.get("/stores").text
    shop.post("/stores/choose", {"store_id": bay["Harbour Street"]})
    assert "Continue to checkout" not in shop.client.get("/stores").text, "an empty cart has no checkout"
    with app.app_context():
        variant_id = variant_ids(make_product("Felt hat", price=2000))[0]
    assert shop.add(variant_id).status_code == 303
    page = shop.client.get("/stores").text
    assert re.search(r'<a class="btn btn-primary btn-block" href="/checkout">Continue to checkout</a>', page)
