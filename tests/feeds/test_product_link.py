"""A feed item's link opens the product page with its variant chosen (`?variant=<id>`)."""

from __future__ import annotations

import re

from tests.builders import make_product


def checked_variant(html: str) -> str | None:
    match = re.search(r'name="variant_id" value="(\d+)"[^>]*\schecked', html)
    return match.group(1) if match else None


def test_the_page_preselects_the_linked_variant(app, client):
    with app.app_context():
        product = make_product("Apron", variants=(("Red", 3), ("Blue", 3), ("Green", 0)))
        slug, (red, blue, green) = product.slug, [v.id for v in product.variants]
    assert checked_variant(client.get(f"/p/{slug}").text) == str(red), "no choice: the first in stock"
    for _ in range(2):  # the second answer comes from the page cache, keyed by the choice
        assert checked_variant(client.get(f"/p/{slug}?variant={blue}").text) == str(blue)
    assert checked_variant(client.get(f"/p/{slug}").text) == str(red)
    assert checked_variant(client.get(f"/p/{slug}?variant={green}").text) == str(red), "sold out: not offered"
    for odd in ("999999", "abc", "-1", "9" * 5000):
        page = client.get(f"/p/{slug}?variant={odd}")
        assert page.status_code == 200 and checked_variant(page.text) == str(red), odd
