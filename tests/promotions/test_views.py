"""The shopper's code: apply, the refusals in words, remove, checkout with it, the order keeps it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.promotions.models import OrderDiscount, Redemption
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, make_category, make_product

from .helpers import apply_code, make_code


def _product(price: int = 1000, stock: int = 50, category=None) -> int:
    return make_product(f"Thing {price}", price=price, variants=(("One", stock),), category=category).variants[0].id


def _flash(shop) -> str:
    return shop.client.get("/cart").get_data(as_text=True)


def test_apply_shows_the_discount_and_new_total_then_remove(app, shop):
    with app.app_context():
        variant = _product(1000)
        make_code("TENOFF", "percent", 1000, description="Ten percent off")
    assert shop.add(variant, 3).status_code == 303
    assert apply_code(shop, " tenoff ").status_code == 303
    page = _flash(shop)
    assert "Code TENOFF applied." in page
    assert "Discount (TENOFF)" in page and "−$3.00" in page and "$27.00" in page
    assert shop.post("/cart/code/remove", {"next": "/cart"}).status_code == 303
    page = _flash(shop)
    assert "Code removed." in page and "Discount (TENOFF)" not in page


def test_refusals_say_why_and_keep_nothing(app, shop):
    with app.app_context():
        shoes = make_category("Shoes", "shoes")
        variant = _product(1000)
        now = utcnow()
        make_code("LATER", "fixed", 100, starts_at=now + timedelta(days=1))
        make_code("GONE", "fixed", 100, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1))
        make_code("BIGSPEND", "fixed", 100, min_subtotal=5000)
        make_code("SHOESONLY", "fixed", 100, categories=(shoes.id,))
        make_code("ALLGONE", "fixed", 100, max_uses=0)
    shop.add(variant, 1)
    cases = {
        "NOPE": "We do not know that code.",
        "LATER": "This code is not valid yet.",
        "GONE": "This code has expired.",
        "BIGSPEND": "add $40.00 more",
        "SHOESONLY": "This code is not for the products in your cart.",
        "ALLGONE": "This code has been used up.",
        "<script>": "We do not know that code.",
    }
    for code, message in cases.items():
        assert apply_code(shop, code).status_code == 303
        page = _flash(shop)
        assert message in page, code
        assert "Discount (" not in page
    with app.app_context():
        assert db.session.scalar(select(Order.id)) is None


def test_checkout_with_a_code_keeps_it_on_the_order(app, shop):
    with app.app_context():
        a, b = _product(1000), _product(333)
        make_code("THIRD", "fixed", 500)
    shop.add(a, 1)
    shop.add(b, 3)
    apply_code(shop, "THIRD")
    form = shop.client.get("/checkout").get_data(as_text=True)
    assert "Discount (THIRD)" in form
    shown = re.search(r'name="shown_total_delivery" type="hidden" value="(\d+)"', form).group(1)
    response = shop.checkout({**CHECKOUT_DELIVERY, "shown_total_delivery": shown})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.discount == 500 and order.total == order.subtotal + order.shipping - 500 == int(shown)
        assert sum(line.discount for line in order.lines) == 500
        assert [line.discount for line in order.lines] == [250, 250]  # 1000 and 999, largest remainder
        kept = db.session.scalars(select(OrderDiscount)).one()
        assert (kept.code, kept.amount) == ("THIRD", 500)
        token = order.token
    page = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert "Discount (THIRD)" in page and "−$5.00" in page


def test_the_total_shown_must_include_the_discount(app, shop):
    with app.app_context():
        variant = _product(1000)
        make_code("FIVE", "fixed", 500)
    shop.add(variant, 1)
    apply_code(shop, "FIVE")
    response = shop.checkout({**CHECKOUT_PICKUP, "shown_total_pickup": "1000"})  # the undiscounted figure
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Order.id)) is None


def test_per_customer_limit_is_checked_at_checkout(app):
    from tests.builders import nth_shopper

    with app.app_context():
        variant = _product(1000)
        make_code("ONCE", "fixed", 100, max_per_customer=1)
    first, second = nth_shopper(app, 1), nth_shopper(app, 2)
    for shop in (first, second):
        shop.add(variant, 1)
        apply_code(shop, "ONCE")
    assert first.checkout(CHECKOUT_PICKUP).status_code == 303
    again = second.checkout(CHECKOUT_PICKUP)  # same phone: the same customer
    assert again.status_code == 409 and "You have already used this code." in again.get_data(as_text=True)


def test_cancelled_order_gives_the_use_back_once(app, shop):
    from storefront.orders import service as orders

    with app.app_context():
        variant = _product(1000)
        code_id = make_code("BACK", "fixed", 100, max_uses=1)
    shop.add(variant, 1)
    apply_code(shop, "BACK")
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303
    with app.app_context():
        from storefront.promotions.models import DiscountCode

        order = db.session.scalars(select(Order)).one()
        orders.apply_event(db.session, order, "cancel", utcnow())
        db.session.commit()
        assert db.session.get(DiscountCode, code_id).uses == 0
        assert db.session.scalars(select(Redemption)).one().released_at is not None
        from storefront.promotions import service

        assert service.release(db.session, order.id, utcnow()) is False  # once only
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(DiscountCode, code_id).uses == 0


def test_a_sellers_code_credits_the_order_to_them_on_the_discounted_lines(app, shop):
    from storefront.sellers.models import CommissionEntry
    from tests.sellers.builders import make_seller

    with app.app_context():
        variant = _product(1000)
        seller_id = make_seller("ANNA24", rate_bp=1000).id
        make_code("ANNA", "fixed", 200, seller_id=seller_id)
    shop.add(variant, 2)
    apply_code(shop, "ANNA")
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303
    with app.app_context():
        entry = db.session.scalars(select(CommissionEntry)).one()
        assert entry.seller_id == seller_id
        assert entry.base == 2000 - 200 and entry.original_amount == 180  # 10 % of the discounted lines


def test_free_delivery_at_pickup_spends_no_use_and_a_spent_code_leaves_the_cart(app, shop):
    from storefront.cart.models import Cart
    from storefront.promotions.models import DiscountCode

    with app.app_context():
        variant = _product(1000)
        code_id = make_code("SHIPFREE", "free_delivery", 0, max_uses=5)
    shop.add(variant, 1)
    apply_code(shop, "SHIPFREE")
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303
    with app.app_context():
        assert db.session.get(DiscountCode, code_id).uses == 0
        assert db.session.scalar(select(Redemption.id)) is None
    shop.add(variant, 1)
    apply_code(shop, "SHIPFREE")
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.discount == order.shipping > 0 and order.total == order.subtotal
        assert db.session.get(DiscountCode, code_id).uses == 1
        assert db.session.scalar(select(Cart.discount_code)) is None
