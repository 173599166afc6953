"""The request form's body limit (both databases): three full-size photos and the form fit; more is a 413."""

from __future__ import annotations

import io

from sqlalchemy import select

from storefront.aftersales.models import AftersalesRequest
from storefront.extensions import db
from storefront.orders.models import Order
from tests.photo_bodies import padded_jpeg

from .helpers import delivered_cash_order


def _post(shop, token: str, line_id: int, photos: list[bytes], details: str = "Cracked on arrival."):
    data = {"kind": "problem", "reason": "damaged", "details": details, f"qty-{line_id}": "1"}
    data["photos"] = [(io.BytesIO(content), f"p{i}.jpg") for i, content in enumerate(photos)]
    return shop.post(f"/o/{token}/help", data, content_type="multipart/form-data")


def test_three_full_size_photos_are_a_normal_request_and_a_larger_body_is_413(app, shop, mug):
    with app.app_context():
        order = db.session.get(Order, delivered_cash_order(app, shop, mug[0], 2))
        token, line_id = order.token, order.lines[0].id
    size = app.config["MAX_PHOTO_BYTES"] - 1024
    assert 3 * size > app.config["MAX_CONTENT_LENGTH"], "the app-wide limit alone would refuse this"
    photos = [padded_jpeg(size, (i * 60, 90, 150)) for i in range(3)]
    assert _post(shop, token, line_id, photos, details="x" * 200_000).status_code == 413
    assert _post(shop, "not*a*token", line_id, photos).status_code == 413, "the larger limit needs a real token shape"
    form = shop.client.get(f"/o/{token}/help").get_data(as_text=True)
    assert "Each photo up to 8 MB." in form and 'aria-describedby="photos-hint"' in form
    answer = _post(shop, token, line_id, photos)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    with app.app_context():
        assert len(db.session.scalars(select(AftersalesRequest)).one().photos) == 3
