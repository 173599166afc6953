"""A refused add tells the page the variant's stock now: JSON for the script, the fresh page without it."""

from __future__ import annotations

import re

import pytest

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from tests.builders import make_product, variant_ids

JSON = {"Accept": "application/json"}


@pytest.fixture
def coat(app):
    """A coat in S (1 left, sold out once the other shopper buys it) and M (2 left); ids and slug."""
    with app.app_context():
        product = make_product("Merino coat", price=12000, variants=(("S", 1), ("M", 2)))
        return product.slug, *variant_ids(product)


def _sell_out(app, variant_id: int) -> None:
    """Someone else takes the last unit after our page was rendered."""
    with app.app_context():
        adjust_stock(db.session, variant_id, -1, "sold elsewhere", utcnow(), None)
        db.session.commit()


def test_the_json_refusal_carries_the_variant_sold_out(app, shop, coat):
    slug, small, _medium = coat
    assert f'data-stock-for="{small}">Only 1 left' in shop.client.get(f"/p/{slug}").text  # the page, rendered before
    _sell_out(app, small)
    refused = shop.add(small, 1, headers=JSON)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["message"] == "Sorry, this item is sold out."
    assert body["variant"] == {"id": small, "state": "sold_out", "available": 0, "label": "Sold out"}


def test_the_json_refusal_of_too_many_carries_how_many_are_left(app, shop, coat):
    _slug, _small, medium = coat
    refused = shop.add(medium, 5, headers=JSON)
    assert refused.status_code == 409
    assert refused.get_json()["variant"] == {"id": medium, "state": "low", "available": 2, "label": "Only 2 left"}


def test_the_label_is_in_the_shoppers_language(app, shop, coat):
    _slug, small, _medium = coat
    _sell_out(app, small)
    refused = shop.add(small, 1, headers={**JSON, "Accept-Language": "es"})
    assert refused.get_json()["variant"]["label"] == "Agotado"


def test_a_bad_variant_id_answers_without_a_variant(shop):
    refused = shop.add(999999, 1, headers=JSON)
    assert refused.status_code in (404, 409, 422) and "variant" not in refused.get_json()


def test_without_javascript_the_re_shown_page_has_the_current_state(app, shop, coat):
    slug, small, medium = coat
    _sell_out(app, small)
    page = shop.add(small, 1)
    assert page.status_code == 409
    html = page.text
    assert "Sorry, this item is sold out." in html
    assert re.search(rf'value="{small}"[^>]*disabled', html), "S can no longer be chosen"
    assert not re.search(rf'value="{small}"[^>]*checked', html), "nor is it kept selected"
    assert re.search(rf'value="{medium}"[^>]*checked', html), "the variant still for sale is offered instead"
    assert f'data-stock-for="{small}">Sold out' in html


def test_without_javascript_a_product_sold_out_entirely_shows_a_disabled_button(app, shop):
    with app.app_context():
        hat = make_product("Felt hat", price=2000, variants=(("", 1),))
        (only,) = variant_ids(hat)
    _sell_out(app, only)
    html = shop.add(only, 1).text
    assert f'data-stock-for="{only}">Sold out' in html
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>Sold out</button>', html)


def test_a_refusal_with_plenty_in_stock_does_not_tell_how_many(app, shop):
    with app.app_context():
        scarf = make_product("Linen scarf", price=1500, variants=(("", 40),))
        (scarf_id,) = variant_ids(scarf)
    refused = shop.add(scarf_id, "abc", headers=JSON)  # a bad quantity, refused with the variant's state
    assert refused.status_code in (400, 422)
    assert refused.get_json()["variant"] == {"id": scarf_id, "state": "in_stock", "available": 0, "label": "In stock"}


def test_the_low_stock_label_uses_the_pages_digits(app, shop, coat):
    _slug, _small, medium = coat
    refused = shop.add(medium, 5, headers={**JSON, "Accept-Language": "bn"})
    label = refused.get_json()["variant"]["label"]
    assert "২" in label and not re.search(r"[0-9]", label), label  # as the page says it: "মাত্র ২টি বাকি"
