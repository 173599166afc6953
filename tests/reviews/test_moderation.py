"""Moderation (publish, hide, reply), who may moderate, and averages equal to a recomputation from the rows."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.service import find_order
from storefront.reviews import service
from storefront.reviews.models import Review
from tests.builders import ShopClient, make_product, make_user
from tests.reviews.conftest import make_order, order_for, review_url, reviews_in_db

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def submitted(app, shop: ShopClient, product_id: int, rating: int = 4, body: str = "Good.", name: str = "Ada Lovelace"):
    """A pending review of a new delivered order of the product; its id."""
    bought = order_for(app, product_id, name=name)
    assert shop.post(review_url(bought), {"rating": str(rating), "body": body}).status_code == 303
    return reviews_in_db(app)[-1].id


def test_staff_publish_hide_and_reply(app, shop, owner, product):
    review_id = submitted(app, shop, product)
    queue = owner.client.get("/admin/reviews").text
    assert f'data-review="{review_id}" data-status="pending"' in queue and "Good." in queue
    assert owner.post(f"/admin/reviews/{review_id}/publish").status_code == 303
    [review] = reviews_in_db(app)
    assert review.status == "published" and review.published_at is not None
    assert owner.post(f"/admin/reviews/{review_id}/publish").status_code == 409, "publishing twice is refused"
    assert owner.post(f"/admin/reviews/{review_id}/reply", {"reply": "Thank you, Ada!"}).status_code == 303
    [review] = reviews_in_db(app)
    assert review.reply == "Thank you, Ada!" and review.replied_at is not None
    assert owner.post(f"/admin/reviews/{review_id}/hide").status_code == 303
    assert reviews_in_db(app)[0].status == "hidden"
    assert owner.post(f"/admin/reviews/{review_id}/reply", {"reply": ""}).status_code == 303
    [review] = reviews_in_db(app)
    assert review.reply == "" and review.replied_at is None
    too_long = owner.post(f"/admin/reviews/{review_id}/reply", {"reply": "x" * 1001})
    assert too_long.status_code == 422 and 'role="alert"' in too_long.text
    assert owner.post("/admin/reviews/999999/publish").status_code == 404


def test_queue_shows_pending_first_and_filters(app, shop, owner, product):
    first = submitted(app, shop, product, body="first")
    second = submitted(app, shop, product, body="second")
    owner.post(f"/admin/reviews/{first}/publish")
    third = submitted(app, shop, product, body="third")
    page = owner.client.get("/admin/reviews").text
    order = [page.index(f'data-review="{i}"') for i in (third, second, first)]
    assert order == sorted(order), "pending (newest first), then the others"
    published = owner.client.get("/admin/reviews?status=published").text
    assert f'data-review="{first}"' in published and f'data-review="{second}"' not in published
    assert owner.client.get("/admin/reviews?status=bogus").status_code == 200


def test_only_staff_moderate(app, shop, product):
    review_id = submitted(app, shop, product)
    anonymous = shop.client.get("/admin/reviews")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert shop.post(f"/admin/reviews/{review_id}/publish").status_code == 302
    with app.app_context():
        make_user("seller@example.com", "seller")
    seller = ShopClient(app.test_client())
    seller.login("seller@example.com")
    assert seller.client.get("/admin/reviews").status_code == 403
    assert seller.post(f"/admin/reviews/{review_id}/publish").status_code == 403
    assert seller.post(f"/admin/reviews/{review_id}/reply", {"reply": "hi"}).status_code == 403
    assert reviews_in_db(app)[0].status == "pending"


def test_publish_needs_csrf(app, shop, owner, product):
    review_id = submitted(app, shop, product)
    answer = owner.client.post(f"/admin/reviews/{review_id}/publish", data={})
    assert answer.status_code == 400
    assert reviews_in_db(app)[0].status == "pending"


def test_averages_equal_a_recomputation_from_the_rows(app):
    rng = random.Random(19)
    now = utcnow()
    with app.app_context():
        products = [make_product(f"Bowl {i}", variants=(("One", 50),)) for i in range(3)]
        for _ in range(40):
            bought = make_order([rng.choice(products)])
            order = find_order(db.session, bought.token)
            line = order.lines[0]
            sent = service.Submission(rng.randint(1, 5), "", [])
            review = service.submit_review(db.session, order, line, sent, service.PhotoLimits(None, 0, 0), now)
            state = rng.choice(["pending", "published", "published", "hidden"])
            if state == "published":
                service.publish(db.session, review, now)
            elif state == "hidden":
                service.hide(db.session, review, now)
            db.session.commit()
        ids = [p.id for p in products]
        rows = db.session.execute(select(Review.product_id, Review.rating, Review.status)).all()
        ratings = service.ratings_for(db.session, ids)
        for product_id in ids:
            shown = [r for p, r, s in rows if p == product_id and s == "published"]
            rating = service.product_rating(db.session, product_id)
            if not shown:
                assert rating is None and product_id not in ratings
                continue
            expected = (Decimal(sum(shown)) / len(shown)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            assert (rating.average, rating.count) == (expected, len(shown))
            assert rating.distribution == {n: shown.count(n) for n in range(5, 0, -1)}
            assert ratings[product_id] == rating
            listed = service.published_reviews(db.session, product_id, per_page=100)
            assert sorted(r.rating for r in listed) == sorted(shown)
        assert len(rows) == 40


def test_staff_read_the_queue_but_only_the_owner_publishes_hides_and_replies(app, shop, staff, product):
    review_id = submitted(app, shop, product)
    queue = staff.client.get("/admin/reviews")
    assert queue.status_code == 200 and f'data-review="{review_id}"' in queue.text
    assert "/publish" not in queue.text and 'name="reply"' not in queue.text, "no buttons that would be refused"
    with app.app_context():
        reference = db.session.get(Review, review_id).line.order.reference
    assert f'href="/admin/orders/{reference}" data-review-order' in queue.text, "the card links to its order"
    assert staff.post(f"/admin/reviews/{review_id}/publish").status_code == 403
    assert staff.post(f"/admin/reviews/{review_id}/hide").status_code == 403
    assert staff.post(f"/admin/reviews/{review_id}/reply", {"reply": "As the shop"}).status_code == 403
    [review] = reviews_in_db(app)
    assert (review.status, review.reply) == ("pending", "")
