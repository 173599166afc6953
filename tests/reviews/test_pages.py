"""What shoppers see: the product page's reviews section (cached, invalidated on publish) and the cards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.service import find_order
from storefront.reviews import service
from storefront.reviews.models import ReviewPhoto
from tests.builders import make_category, make_product
from tests.reviews.conftest import make_order, order_for, product_row, review_url

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def published(app, product_id: int, ratings: list[int], *, photos_on: frozenset[int] = frozenset(), reply: str = ""):
    """Published reviews with these ratings, the first the oldest; photo rows (no files) on the chosen indexes."""
    start = utcnow()
    with app.app_context():
        for i, stars in enumerate(ratings):
            bought = make_order([product_row(product_id)], name=f"Shopper{i} Test")
            order = find_order(db.session, bought.token)
            sent = service.Submission(stars, f"Review number {i}.", [])
            review = service.submit_review(
                db.session, order, order.lines[0], sent, service.PhotoLimits(None, 0, 0), start
            )
            if i in photos_on:
                review.photos.append(ReviewPhoto(key=f"k{i}x{product_id}", width=320, height=320, widths="320"))
                review.photo_count = 1
            service.publish(db.session, review, start + timedelta(minutes=i))
            if reply:
                service.reply(db.session, review, reply, start)
            db.session.commit()


def product_page(shop, product_id: int, query: str = "") -> str:
    with shop.client.application.app_context():
        slug = product_row(product_id).slug
    answer = shop.client.get(f"/p/{slug}{query}")
    assert answer.status_code == 200
    return answer.text


def shown_bodies(html: str) -> list[int]:
    """The review texts the page shows, in order (the structured data's copies left out)."""
    visible = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    return [int(n) for n in re.findall(r"Review number (\d+)\.", visible)]


def test_product_page_shows_average_count_distribution_and_verified_reviews(app, shop, product):
    assert "data-no-reviews" in product_page(shop, product)
    published(app, product, [5, 4, 4, 1], reply="Thanks for the kind words!")
    html = product_page(shop, product)
    assert 'data-rating-average="3.5" data-rating-count="4"' in html
    assert "3.5 out of 5 from 4 reviews" in html
    for stars, count in ((5, 1), (4, 2), (3, 0), (2, 0), (1, 1)):
        assert f'data-stars="{stars}" data-count="{count}"' in html
    assert html.count("Verified purchase") == 4
    assert "Thanks for the kind words!" in html
    assert shown_bodies(html) == [3, 2, 1, 0], "newest first"
    assert "Shopper0 T." in html and "+44" not in html.split('id="reviews"')[1]


def test_photos_first_and_pages_are_links_and_part_of_the_cache_key(app, shop, product):
    published(app, product, [5] * 12, photos_on=frozenset({1, 4}))
    first = product_page(shop, product)
    assert shown_bodies(first) == list(range(11, 1, -1)), "ten per page, newest first"
    assert "reviews_page=2" in first and "reviews=photos" in first
    photos = product_page(shop, product, "?reviews=photos")
    assert shown_bodies(photos)[:2] == [4, 1], "reviews with photos first, newest first among them"
    second = product_page(shop, product, "?reviews_page=2")
    assert shown_bodies(second) == [1, 0]
    assert shown_bodies(product_page(shop, product)) == list(range(11, 1, -1)), (
        "the first page's cached copy is its own"
    )
    assert shown_bodies(product_page(shop, product, "?reviews_page=99")) == [1, 0], "past the end: the last page"


def test_publishing_hiding_and_replying_refresh_the_cached_product_page(app, shop, owner, product):
    bought = order_for(app, product)
    assert shop.post(review_url(bought), {"rating": "4", "body": "Sturdy and pretty."}).status_code == 303
    before = product_page(shop, product)
    assert "Sturdy and pretty." not in before and "data-no-reviews" in before, "pending reviews are not shown"
    with app.app_context():
        review_id = service.review_of_line(db.session, bought.line_ids[0]).id
    owner.post(f"/admin/reviews/{review_id}/publish")
    assert "Sturdy and pretty." in product_page(shop, product)
    owner.post(f"/admin/reviews/{review_id}/reply", {"reply": "Glad you like it."})
    assert "Glad you like it." in product_page(shop, product)
    owner.post(f"/admin/reviews/{review_id}/hide")
    assert "Sturdy and pretty." not in product_page(shop, product)


def test_cards_show_average_and_count_for_reviewed_products(app, shop):
    with app.app_context():
        category = make_category("Mugs")
        rated = make_product("Rated mug", category=category).id
        make_product("Quiet mug", category=category)
    published(app, rated, [5, 4])
    for url in ("/c/mugs", "/search?q=mug"):
        html = shop.client.get(url).text
        assert html.count('class="card-rating"') == 1, url
        assert "4.5 ★ (2)" in html
        assert 'aria-label="Rated 4.5 out of 5 from 2 reviews"' in html


def test_cards_load_ratings_in_one_query(app, shop):
    from sqlalchemy import event

    with app.app_context():
        category = make_category("Plates")
        ids = [make_product(f"Plate {i}", category=category).id for i in range(6)]
    for product_id in ids:
        published(app, product_id, [4])
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM reviews" in statement:
            seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            html = shop.client.get("/c/plates").text
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert html.count('class="card-rating"') == 6
    assert len(seen) == 1, seen


@pytest.mark.parametrize(
    ("language", "average", "verified"),
    [("es", "4,5", "Compra verificada"), ("bn", "৪.৫", "যাচাইকৃত ক্রয়"), ("zh-Hans", "4.5", "已验证购买")],
)
def test_the_reviews_section_speaks_the_shoppers_language(app, shop, product, language, average, verified):
    published(app, product, [5, 4])
    shop.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    html = product_page(shop, product)
    assert verified in html
    assert f"<strong>{average}</strong>" in html


def test_the_product_page_reads_its_rating_and_reviews_once(app, shop, product):
    """The reviews section and the structured data share one read (not one each)."""
    from sqlalchemy import event

    published(app, product, [5, 4])
    with app.app_context():
        slug = product_row(product).slug
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM reviews" in statement and "review_photos" not in statement:
            seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            html = shop.client.get(f"/p/{slug}").text
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert "Review number 1." in html
    assert len(seen) == 2, seen  # the rating, then the first page of reviews
