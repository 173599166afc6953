"""The cart badge (cart_n cookie and the JSON count) follows every change, as committed."""

from __future__ import annotations

import pytest

from storefront.cart.models import CartLine
from storefront.extensions import db
from tests.builders import make_product, variant_ids

JSON = {"Accept": "application/json"}


@pytest.fixture
def two_items(app) -> tuple[int, int]:
    with app.app_context():
        return variant_ids(make_product("Wool coat", variants=(("M", 20),)))[0], variant_ids(
            make_product("Felt hat", variants=(("", 20),))
        )[0]


def _badge(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("cart_n=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0].split(";", 1)[0].removeprefix("cart_n=")


def _units_in_db(app) -> int:
    with app.app_context():
        return sum(line.quantity for line in db.session.scalars(db.select(CartLine)))


def test_badge_counts_every_unit_after_each_kind_of_change(app, shop, two_items):
    coat, hat = two_items
    steps = [
        (lambda: shop.add(coat, 2), 2),  # a new cart
        (lambda: shop.add(hat, 1), 3),  # a cart that already has lines
        (lambda: shop.add(coat, 1), 4),  # more of a line it has
        (lambda: shop.post("/cart/update", {"variant_id": coat, "quantity": 5}), 6),
        (lambda: shop.post("/cart/update", {"variant_id": hat, "quantity": 0}), 5),  # 0 removes
        (lambda: shop.add(hat, 2), 7),
        (lambda: shop.post("/cart/remove", {"variant_id": coat}), 2),
    ]
    for send, expected in steps:
        response = send()
        assert response.status_code == 303
        assert _badge(response) == str(expected) == str(_units_in_db(app))


def test_json_answers_count_what_was_committed(app, shop, two_items):
    coat, hat = two_items
    assert shop.add(coat, 1, headers=JSON).json["count"] == 1
    assert shop.add(hat, 3, headers=JSON).json["count"] == 4
    updated = shop.post("/cart/update", {"variant_id": hat, "quantity": 1}, headers=JSON)
    assert updated.json["count"] == 2 == _units_in_db(app) and _badge(updated) == "2"
    removed = shop.post("/cart/remove", {"variant_id": hat}, headers=JSON)
    assert removed.json["count"] == 1 == _units_in_db(app) and _badge(removed) == "1"
