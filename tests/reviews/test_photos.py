"""Review photos: the product photos' upload safety (content, size, pixels), all or nothing, at most three."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from storefront.catalog.images import render_demo_photo
from tests.builders import png_header_only
from tests.photo_bodies import padded_jpeg
from tests.reviews.conftest import order_for, product_row, review_url, reviews_in_db

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(root.glob("*")) if root.exists() else []


def send(shop, url: str, *photos: bytes):
    files = [(io.BytesIO(data), f"photo{i}.jpg") for i, data in enumerate(photos)]
    return shop.post(
        url, {"rating": "5", "body": "See the glaze.", "photos": files}, content_type="multipart/form-data"
    )


def test_good_photos_are_stored_like_product_photos_and_shown(app, shop, owner, product):
    bought = order_for(app, product)
    good = render_demo_photo("Mug", 1, (800, 600))
    assert send(shop, review_url(bought), good, render_demo_photo("Mug", 2, (640, 640))).status_code == 303
    [review] = reviews_in_db(app)
    assert review.photo_count == 2
    names = {p.name for p in media_files(app)}
    assert len(names) == 2 * 2 * 2, names  # two photos, widths 320 and 640, WebP and JPEG
    owner.post(f"/admin/reviews/{review.id}/publish")
    with app.app_context():
        slug = product_row(product).slug
    page = shop.client.get(f"/p/{slug}").text
    assert page.count('alt="Shopper photo') == 2


@pytest.mark.parametrize(
    "bad",
    [
        b"GIF89a but not really an image",
        b"<?php echo 1; ?>",
        png_header_only(20_000, 20_000),  # 400 megapixels claimed: refused before decoding
        b"",
    ],
)
def test_unsafe_photos_are_refused_and_nothing_is_kept(app, shop, product, bad):
    bought = order_for(app, product)
    answer = send(shop, review_url(bought), render_demo_photo("Mug", 1, (640, 480)), bad)
    assert answer.status_code == 422
    assert "Photo 2:" in answer.text and "data-review-form" in answer.text
    assert reviews_in_db(app) == []
    assert media_files(app) == [], "the good photo sent with it is removed too"


def test_an_oversized_file_is_refused(app, shop, product):
    app.config["MAX_PHOTO_BYTES"] = 10_000
    bought = order_for(app, product)
    answer = send(shop, review_url(bought), render_demo_photo("Mug", 1, (1600, 1200)))
    assert answer.status_code == 422 and "larger than" in answer.text
    assert reviews_in_db(app) == [] and media_files(app) == []


def test_more_than_three_photos_are_refused(app, shop, product):
    bought = order_for(app, product)
    photo = render_demo_photo("Mug", 1, (320, 320))
    answer = send(shop, review_url(bought), photo, photo, photo, photo)
    assert answer.status_code == 422 and "at most 3 photos" in answer.text
    assert reviews_in_db(app) == [] and media_files(app) == []


def test_three_full_size_photos_fit_the_body_limit_and_a_larger_body_does_not(app, shop, product):
    """Three photos just under the per-photo limit are a normal review, not a 413 that loses the text."""
    bought = order_for(app, product)
    size = app.config["MAX_PHOTO_BYTES"] - 1024
    assert 3 * size > app.config["MAX_CONTENT_LENGTH"], "the app-wide limit alone would refuse this"
    photos = [padded_jpeg(size, (i * 60, 90, 150)) for i in range(3)]
    answer = send(shop, review_url(bought), *photos)
    assert answer.status_code == 303, answer.text[:300]
    assert reviews_in_db(app)[0].photo_count == 3
    again = order_for(app, product)
    too_big = shop.post(
        review_url(again),
        {"rating": "5", "body": "x" * 200_000, "photos": [(io.BytesIO(p), "p.jpg") for p in photos]},
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 413
    form = shop.client.get(review_url(again)).text
    assert "Each photo up to 8 MB." in form and 'accept="image/jpeg,image/png,image/webp,image/gif"' in form


def test_the_larger_limit_needs_a_well_formed_order_token(app, shop, product):
    """A made-up address keeps the app-wide limit: nothing reads a large body for it."""
    photos = [padded_jpeg(app.config["MAX_PHOTO_BYTES"] - 1024) for _ in range(3)]
    answer = send(shop, "/o/not*a*token/review/1", *photos)
    assert answer.status_code == 413
