"""Review fixtures: orders in a chosen state built directly (fast), staff sign-in, a review form's fields."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.orders.service import new_reference
from storefront.reviews.models import Review
from tests.builders import ShopClient, make_product, make_user

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@dataclass(frozen=True)
class Bought:
    """An order (by token) and its lines' ids, for the product(s) bought."""

    token: str
    order_id: int
    line_ids: list[int]
    product_ids: list[int]
    slugs: list[str]


def make_order(products: list[Product], status: str = "delivered", name: str = "Ada Lovelace", qty: int = 1) -> Bought:
    """A committed cash order of one line per product, already at `status` (no checkout: fast)."""
    order = Order(
        token=secrets.token_urlsafe(24),
        reference=new_reference(),
        checkout_key=secrets.token_urlsafe(24),
        status=status,
        customer_name=name,
        phone="+44 20 7946 0958",
        email="ada@example.com",
        delivery_method="delivery",
        payment_method="cash",
        currency="USD",
        subtotal=0,
        shipping=0,
        total=0,
    )
    for product in products:
        variant = product.variants[0]
        order.lines.append(
            OrderLine(
                variant_id=variant.id,
                product_slug=product.slug,
                title=product.title,
                sku=variant.sku,
                unit_price=variant.unit_price,
                quantity=qty,
            )
        )
    db.session.add(order)
    db.session.commit()
    return Bought(
        order.token, order.id, [line.id for line in order.lines], [p.id for p in products], [p.slug for p in products]
    )


@pytest.fixture
def product(app):
    """One product on sale."""
    with app.app_context():
        item = make_product("Stoneware mug", price=2400, variants=(("Blue", 10),))
        return item.id


def product_row(product_id: int) -> Product:
    """The product, freshly loaded."""
    return db.session.get(Product, product_id)


def order_for(app, product_id: int, status: str = "delivered", **kwargs) -> Bought:
    """An order of the product at `status`."""
    with app.app_context():
        return make_order([product_row(product_id)], status, **kwargs)


def review_url(bought: Bought, index: int = 0) -> str:
    """The review form's address for one of the order's lines."""
    return f"/o/{bought.token}/review/{bought.line_ids[index]}"


def reviews_in_db(app) -> list[Review]:
    """Every review row, oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(Review).order_by(Review.id)).all()
        db.session.expunge_all()
        return list(rows)


@pytest.fixture
def staff(app) -> ShopClient:
    """A signed-in staff member's browser."""
    with app.app_context():
        make_user("staff@example.com", "staff")
    client = ShopClient(app.test_client())
    assert client.login("staff@example.com").status_code == 303
    return client


@pytest.fixture
def owner(app) -> ShopClient:
    """A signed-in owner's browser (only the owner publishes, hides and replies)."""
    with app.app_context():
        make_user("owner@example.com", "owner")
    client = ShopClient(app.test_client())
    assert client.login("owner@example.com").status_code == 303
    return client
