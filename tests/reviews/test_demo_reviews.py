"""The demo's reviews: published, verified (on delivered orders), shown on the product page."""

from __future__ import annotations

from storefront.demo import DEMO_REVIEWS, seed_reviews
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.reviews import service
from tests.builders import make_product


def test_demo_reviews_are_published_on_delivered_orders(sqlite_app):
    with sqlite_app.app_context():
        ids = [make_product(f"Demo mug {i}").id for i in range(3)]
        assert seed_reviews(db.session) == len(DEMO_REVIEWS)
        db.session.commit()
        ratings = service.ratings_for(db.session, ids)
        assert sum(r.count for r in ratings.values()) == len(DEMO_REVIEWS)
        assert {o.status for o in db.session.query(Order)} == {"delivered"}
    page = sqlite_app.test_client().get("/p/demo-mug-0").text
    assert "Verified purchase" in page and "Jordan A." in page
