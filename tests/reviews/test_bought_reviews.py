"""No review can be bought (both databases): a line refunded in full or an order cancelled after its review
takes the review off the product page and out of the rating; publishing re-checks; replacements never review."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update

from storefront.catalog.generation import mark_changed
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.payments.manual_refunds import record_manual_refund
from storefront.payments.models import Payment
from storefront.reviews import service
from tests.reviews.conftest import order_for, review_url, reviews_in_db
from tests.reviews.test_pages import product_page, published

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def _undo_purchase(how: str, order_id: int) -> None:
    """Take the first review's purchase back the way `how` says (after-sales refund, cancellation, card)."""
    if how == "line_refunded":  # what after-sales `refund_return` writes
        db.session.execute(update(OrderLine).where(OrderLine.order_id == order_id).values(refunded_quantity=1))
    elif how == "cancelled":
        db.session.execute(update(Order).where(Order.id == order_id).values(status="cancelled"))
    else:
        db.session.add(
            Payment(
                order_id=order_id,
                provider="card",
                status="paid",
                amount=2400,
                currency="USD",
                amount_refunded=2400,
                idempotency_key=f"bought{order_id}",
            )
        )
    db.session.commit()


@pytest.mark.parametrize("how", ["line_refunded", "cancelled", "card_refunded"])
def test_a_review_whose_purchase_is_undone_stops_counting_and_showing(app, shop, product, how):
    published(app, product, [5, 1])
    html = product_page(shop, product)
    assert 'data-rating-average="3.0" data-rating-count="2"' in html and "Review number 0." in html
    first, second = reviews_in_db(app)
    with app.app_context():
        _undo_purchase(how, first.order_id)
        assert service.product_rating(db.session, product).count == 1
        assert service.ratings_for(db.session, [product])[product].average == 1
        assert [r.id for r in service.published_reviews(db.session, product)] == [second.id]
        mark_changed(db.session)  # the page cache renews on catalog changes; a refund does not move it itself yet
        db.session.commit()
    html = product_page(shop, product)
    assert 'data-rating-average="1.0" data-rating-count="1"' in html
    assert "Review number 0." not in html, "neither on the page nor in its structured data"


def test_publish_refuses_a_review_of_a_line_refunded_since_and_the_card_says_why(app, shop, owner, product):
    bought = order_for(app, product)
    assert shop.post(review_url(bought), {"rating": "5", "body": "Free stars."}).status_code == 303
    [review] = reviews_in_db(app)
    with app.app_context():
        _undo_purchase("line_refunded", bought.order_id)
    queue = owner.client.get("/admin/reviews").text
    assert "data-review-ineligible" in queue and "refunded" in queue
    answer = owner.post(f"/admin/reviews/{review.id}/publish")
    assert answer.status_code == 409 and "refunded" in answer.text
    assert reviews_in_db(app)[0].status == "pending"


def test_replacement_order_lines_cannot_be_reviewed(app, shop, product):
    bought = order_for(app, product)
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == bought.order_id).values(checkout_key="exchange-41"))
        db.session.execute(update(OrderLine).where(OrderLine.order_id == bought.order_id).values(unit_price=0))
        db.session.commit()
    assert "data-order-reviews" not in shop.client.get(f"/o/{bought.token}").text
    refused = shop.post(review_url(bought), {"rating": "5", "body": "Twice."})
    assert refused.status_code == 409 and "replaced" in refused.text
    assert reviews_in_db(app) == []


def test_money_given_back_renews_cached_product_pages_by_itself(app, shop, product):
    published(app, product, [5, 1])
    assert 'data-rating-count="2"' in product_page(shop, product)  # rendered once: now in the page cache
    first, _second = reviews_in_db(app)
    with app.app_context():
        # A 24.00 order (its subtotal too: the CHECK total = subtotal + shipping - discount holds).
        db.session.execute(
            update(Order).where(Order.id == first.order_id).values(subtotal=2400, shipping=0, total=2400)
        )
        db.session.execute(update(OrderLine).where(OrderLine.order_id == first.order_id).values(refunded_quantity=1))
        record_manual_refund(db.session, first.order_id, 2400, "renew-pages", datetime(2026, 12, 6, 12), None)
        db.session.commit()
    html = product_page(shop, product)
    assert 'data-rating-average="1.0" data-rating-count="1"' in html, "the refund's event renewed the cached page"
