"""Who can review (both databases): delivered or collected lines only, never cancelled or refunded ones."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from storefront.extensions import db
from storefront.orders.models import OrderLine
from storefront.payments.models import Payment
from storefront.reviews.models import Review
from tests.builders import ShopClient
from tests.reviews.conftest import order_for, review_url, reviews_in_db

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def send(shop: ShopClient, url: str, rating: str = "5", body: str = "Lovely glaze.", **kwargs):
    return shop.post(url, {"rating": rating, "body": body}, content_type="multipart/form-data", **kwargs)


@pytest.mark.parametrize("status", ["delivered", "collected"])
def test_a_received_line_can_be_reviewed_once_and_waits_for_moderation(app, shop, product, status):
    bought = order_for(app, product, status)
    page = shop.client.get(f"/o/{bought.token}").text
    assert 'data-review-state="eligible"' in page and review_url(bought) in page
    form = shop.client.get(review_url(bought)).text
    assert 'type="radio" name="rating"' in form and "<legend>" in form
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in form, "the types store_upload takes (no HEIC)"
    answer = send(shop, review_url(bought))
    assert answer.status_code == 303
    [review] = reviews_in_db(app)
    assert (review.status, review.rating, review.body, review.author_name) == ("pending", 5, "Lovely glaze.", "Ada L.")
    assert review.product_id == product
    assert 'data-review-state="pending"' in shop.client.get(f"/o/{bought.token}").text
    again = send(shop, review_url(bought), rating="1")
    assert again.status_code == 409 and "already reviewed" in again.text
    assert len(reviews_in_db(app)) == 1


@pytest.mark.parametrize("status", ["placed", "confirmed", "shipped", "ready_for_pickup", "cancelled", "unpaid"])
def test_lines_not_received_cannot_be_reviewed(app, shop, product, status):
    bought = order_for(app, product, status)
    assert "data-order-reviews" not in shop.client.get(f"/o/{bought.token}").text
    assert "data-review-refused" in shop.client.get(review_url(bought)).text
    answer = send(shop, review_url(bought))
    assert answer.status_code == 409
    assert reviews_in_db(app) == []


def test_a_fully_refunded_line_cannot_be_reviewed_a_partly_refunded_one_can(app, shop, product):
    full, part = order_for(app, product, qty=2), order_for(app, product, qty=2)
    with app.app_context():
        db.session.execute(update(OrderLine).where(OrderLine.id == full.line_ids[0]).values(refunded_quantity=2))
        db.session.execute(update(OrderLine).where(OrderLine.id == part.line_ids[0]).values(refunded_quantity=1))
        db.session.commit()
    assert "data-order-reviews" not in shop.client.get(f"/o/{full.token}").text
    refused = send(shop, review_url(full))
    assert refused.status_code == 409 and "refunded" in refused.text
    assert send(shop, review_url(part)).status_code == 303
    assert [r.order_line_id for r in reviews_in_db(app)] == part.line_ids


def test_a_card_payment_refunded_in_full_cannot_review(app, shop, product):
    bought, partly = order_for(app, product), order_for(app, product)
    with app.app_context():
        for order_id, back in ((bought.order_id, 2400), (partly.order_id, 400)):
            db.session.add(
                Payment(
                    order_id=order_id,
                    provider="card",
                    status="paid",
                    amount=2400,
                    currency="USD",
                    amount_refunded=back,
                    idempotency_key=f"k{order_id}",
                )
            )
        db.session.commit()
    assert send(shop, review_url(bought)).status_code == 409
    assert send(shop, review_url(partly)).status_code == 303
    assert len(reviews_in_db(app)) == 1


def test_wrong_token_or_another_orders_line_is_404(app, shop, product):
    mine, theirs = order_for(app, product), order_for(app, product)
    assert shop.client.get(f"/o/{'x' * 32}/review/{mine.line_ids[0]}").status_code == 404
    assert shop.client.get(f"/o/{mine.token}/review/{theirs.line_ids[0]}").status_code == 404
    assert send(shop, f"/o/{mine.token}/review/{theirs.line_ids[0]}").status_code == 404
    assert send(shop, f"/o/{'x' * 32}/review/{mine.line_ids[0]}").status_code == 404
    assert reviews_in_db(app) == []


@pytest.mark.parametrize(
    ("rating", "body", "status"),
    [("", "Nice", 422), ("9", "Nice", 422), ("5", "x" * 2001, 422)],
)
def test_bad_input_is_refused_with_the_form_again(app, shop, product, rating, body, status):
    bought = order_for(app, product)
    answer = send(shop, review_url(bought), rating=rating, body=body)
    assert answer.status_code == status
    assert 'role="alert"' in answer.text and "data-review-form" in answer.text
    assert reviews_in_db(app) == []


def test_review_text_is_shown_escaped(app, shop, owner, product):
    bought = order_for(app, product)
    assert send(shop, review_url(bought), body="<script>alert(1)</script>").status_code == 303
    with app.app_context():
        review_id = db.session.query(Review.id).scalar()
    assert owner.post(f"/admin/reviews/{review_id}/publish").status_code == 303
    with app.app_context():
        from tests.reviews.conftest import product_row

        slug = product_row(product).slug
    page = shop.client.get(f"/p/{slug}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_too_many_submissions_from_one_address_are_refused_with_a_message(sqlite_app):
    from tests.builders import make_product
    from tests.reviews.conftest import make_order

    sqlite_app.config["REVIEW_RATE_LIMIT"] = "2 per hour"
    with sqlite_app.app_context():
        item = make_product("Teapot")
        orders = [make_order([item]) for _ in range(3)]
    shop = ShopClient(sqlite_app.test_client())
    for bought in orders[:2]:
        assert send(shop, review_url(bought)).status_code == 303
    refused = send(shop, review_url(orders[2]))
    assert refused.status_code == 429 and "Many reviews were sent from this address" in refused.text
    assert len(reviews_in_db(sqlite_app)) == 2
