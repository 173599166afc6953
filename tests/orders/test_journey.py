"""Acceptance 1: a full shopper journey through the test client, delivery and pickup."""

from __future__ import annotations

import re

import pytest

from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, make_category, make_product, stock_of


@pytest.fixture
def coat(app):
    with app.app_context():
        clothing = make_category("Clothing")
        product = make_product(
            "Merino coat",
            price=12000,
            variants=(("S", 5), ("M", 5), ("L", 0)),
            category=clothing,
            overrides={"L": 13000},
        )
        return {"slug": product.slug, "variants": [v.id for v in product.variants]}


def _journey(shop, coat, fields):
    """home -> category -> product -> add two variants -> change quantity -> checkout."""
    home = shop.client.get("/")
    assert home.status_code == 200 and "/c/clothing" in home.text
    assert f"/p/{coat['slug']}" in shop.client.get("/c/clothing").text
    page = shop.client.get(f"/p/{coat['slug']}")
    small, medium, large = coat["variants"]
    assert page.status_code == 200 and "Merino coat" in page.text
    assert re.search(rf'value="{large}"[^>]*disabled', page.text), "a sold-out variant cannot be chosen"
    assert shop.add(small, 1).status_code == 303
    assert shop.add(medium, 2).status_code == 303
    assert shop.post("/cart/update", {"variant_id": small, "quantity": 3}).status_code == 303
    assert "$600.00" in shop.client.get("/cart").text  # 5 x 120.00, priced by the server
    response = shop.checkout(fields)
    assert response.status_code == 303, response.text
    url = response.headers["Location"]
    assert re.fullmatch(r"/o/[A-Za-z0-9_-]{32}", url), "order links carry a 192-bit random token"
    return shop.client.get(url)


def test_delivery_with_cash_on_delivery(shop, coat, app):
    page = _journey(shop, coat, CHECKOUT_DELIVERY)
    assert page.status_code == 200
    assert "3 × Merino coat — S" in page.text and "2 × Merino coat — M" in page.text
    assert "$600.00" in page.text and "$5.00" in page.text and "$605.00" in page.text
    assert "1 High Street" in page.text and "cash on delivery" in page.text
    assert 'aria-current="step"' in page.text and "Shipped" in page.text  # delivery timeline
    with app.app_context():
        order = db.session.query(Order).one()
        assert (order.subtotal, order.shipping, order.total) == (60000, 500, 60500)
        assert order.phone == "+442079460958" and order.country == "GB"
        small, medium, _ = coat["variants"]
        assert (stock_of(small), stock_of(medium)) == (2, 3)
    assert shop.client.get("/cart").text.count("Your cart is empty") == 1


def test_pickup_with_pay_at_pickup(shop, coat, app):
    page = _journey(shop, coat, CHECKOUT_PICKUP)
    assert page.status_code == 200
    assert "$600.00" in page.text and "$605.00" not in page.text
    assert "Ready for pickup" in page.text and "Shipped" not in page.text
    assert "pay at pickup" in page.text
    with app.app_context():
        order = db.session.query(Order).one()
        assert (order.delivery_method, order.shipping, order.total, order.street) == ("pickup", 0, 60000, "")


def test_order_page_hides_ids_and_is_private(shop, coat, app):
    shop.add(coat["variants"][0], 1)
    response = shop.checkout(CHECKOUT_PICKUP)
    page = shop.client.get(response.headers["Location"])
    with app.app_context():
        order = db.session.query(Order).one()
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert order.reference in page.text
    # The id as a whole path segment (the random token itself may start with the same digit).
    assert not re.search(rf"/o/{order.id}(?![A-Za-z0-9_-])", page.text) and f"#{order.id}<" not in page.text
    assert shop.client.get(f"/o/{order.id}").status_code == 404
    assert shop.client.get("/o/" + "A" * 32).status_code == 404


def test_double_submit_places_one_order(shop, coat, app):
    shop.add(coat["variants"][0], 2)
    key = shop.checkout_key()
    first = shop.checkout(CHECKOUT_DELIVERY, key=key)
    second = shop.checkout(CHECKOUT_DELIVERY, key=key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.query(Order).count() == 1
        assert stock_of(coat["variants"][0]) == 3


def test_status_timeline_follows_admin_changes(shop, coat, app):
    from storefront.clock import utcnow
    from storefront.orders import service

    shop.add(coat["variants"][0], 1)
    url = shop.checkout(CHECKOUT_DELIVERY).headers["Location"]
    with app.app_context():
        order = db.session.query(Order).one()
        for event in ("confirm", "pack", "ship"):
            service.apply_event(db.session, order, event, utcnow())
        db.session.commit()
    page = shop.client.get(url).text
    current = re.search(r'<li class="([^"]*)" aria-current="step">\s*<span class="step-name">([^<]+)', page)
    assert current and current.group(2) == "Shipped" and "done" in current.group(1)


def test_double_submit_at_the_same_moment_places_one_order(app, coat):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.builders import ShopClient

    shop = ShopClient(app.test_client())
    shop.add(coat["variants"][0], 1)
    key = shop.checkout_key()
    barrier = threading.Barrier(2)

    def submit(_):
        barrier.wait()
        return shop.checkout(CHECKOUT_DELIVERY, key=key)

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(submit, range(2)))
    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    with app.app_context():
        assert db.session.query(Order).count() == 1
        assert stock_of(coat["variants"][0]) == 4
