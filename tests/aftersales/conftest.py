"""After-sales fixtures: a product with two sizes in stock, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.builders import make_product

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def mug(app):
    """A mug in two sizes, 10 each, at 20.00; returns (small id, large id)."""
    with app.app_context():
        product = make_product("Stoneware mug", price=2000, variants=(("Small", 10), ("Large", 10)))
        return product.variants[0].id, product.variants[1].id


@pytest.fixture(autouse=True)
def _quick_hash(quick_password_hash):
    """Sign-ins here are not about hashing: one round keeps them fast."""
