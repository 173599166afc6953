"""The owner's product video: upload checked by content and size, ranges served, poster, remove."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from flask import render_template_string
from sqlalchemy import select

from storefront.catalog.models import Photo, Product, ProductVideo
from storefront.catalog.video_service import attach_video
from storefront.extensions import db
from tests.admin.test_products import Page, png, signed_in
from tests.admin.test_products import upload as upload_photo
from tests.builders import ShopClient, make_product, mp4_bytes, webm_bytes

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def owner(app) -> ShopClient:
    return signed_in(app, "owner")


@pytest.fixture
def shirt(app) -> dict:
    with app.app_context():
        product = make_product("Linen shirt", variants=(("M", 4),))
        return {"id": product.id, "slug": product.slug}


def prefixed(prefix: str, shop: ShopClient, **fields) -> dict:
    """A video section form's fields as the browser sends them (names prefixed, its own CSRF token)."""
    return {f"{prefix}-{name}": value for name, value in {"csrf_token": shop.csrf(), **fields}.items()}


def send_video(shop: ShopClient, product_id: int, data: bytes, filename: str = "clip.mp4", **fields):
    kind = "video/webm" if filename.endswith(".webm") else "video/mp4"
    return shop.post(
        f"/admin/products/{product_id}/video",
        prefixed("video", shop, video=(io.BytesIO(data), filename, kind), **fields),
        content_type="multipart/form-data",
    )


def set_poster(shop: ShopClient, product_id: int, photo_id: int | str):
    return shop.post(
        f"/admin/products/{product_id}/video/poster", prefixed("video_poster", shop, poster_photo_id=str(photo_id))
    )


def remove(shop: ShopClient, product_id: int, **fields):
    return shop.post(f"/admin/products/{product_id}/video/delete", prefixed("video_remove", shop, **fields))


def videos_on_disk(app) -> list[str]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(n for n in os.listdir(root) if not n.endswith((".jpg", ".webp"))) if root.exists() else []


def the_video(app) -> ProductVideo | None:
    with app.app_context():
        video = db.session.scalars(select(ProductVideo)).one_or_none()
        if video is not None:
            db.session.expunge(video)
        return video


def shown(response, message: str) -> bool:
    return any(message in text for text in Page(response.text).text)


# --- upload, serving with ranges, replace, remove --------------------------------------------------


def test_upload_serves_the_video_with_ranges_and_long_caching(app, owner, shirt, shop):
    data = mp4_bytes(media=os.urandom(5000))
    response = send_video(owner, shirt["id"], data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/products/{shirt['id']}#video")
    video = the_video(app)
    assert (video.product_id, video.content_type, video.size) == (shirt["id"], "video/mp4", len(data))
    assert videos_on_disk(app) == [video.file_name] == [f"{video.key}.mp4"]

    whole = shop.client.get(f"/media/{video.file_name}")
    assert whole.status_code == 200 and whole.data == data
    assert whole.mimetype == "video/mp4" and whole.headers["Accept-Ranges"] == "bytes"
    cache = whole.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache

    part = shop.client.get(f"/media/{video.file_name}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == data[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(data)}" and part.mimetype == "video/mp4"
    tail = shop.client.get(f"/media/{video.file_name}", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    beyond = shop.client.get(f"/media/{video.file_name}", headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    assert shop.client.get(f"/media/{'f' * 32}.mp4").status_code == 404
    assert shop.client.get("/media/..%2Fshop.db").status_code == 404


def test_webm_is_served_as_webm_and_replacing_removes_the_old_file(app, owner, shirt, shop):
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    first = the_video(app)
    data = webm_bytes(live=True)
    assert send_video(owner, shirt["id"], data, "clip.webm").status_code == 303
    second = the_video(app)
    assert second.key != first.key and second.content_type == "video/webm"
    assert videos_on_disk(app) == [f"{second.key}.webm"]
    served = shop.client.get(f"/media/{second.file_name}")
    assert served.mimetype == "video/webm" and served.data == data


def test_a_recording_from_the_camera_input_is_accepted(app, owner, shirt):
    response = owner.post(
        f"/admin/products/{shirt['id']}/video",
        prefixed("video", owner, recording=(io.BytesIO(mp4_bytes()), "recording.mp4", "video/mp4")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and the_video(app) is not None


def test_remove_needs_the_confirmation_then_deletes_row_and_file(app, owner, shirt):
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    video = the_video(app)
    refused = remove(owner, shirt["id"])
    assert refused.status_code == 422 and shown(refused, "Tick the box to confirm the removal.")
    assert the_video(app) is not None and videos_on_disk(app) == [video.file_name]
    assert remove(owner, shirt["id"], confirm="y").status_code == 303
    assert the_video(app) is None and videos_on_disk(app) == []
    assert remove(owner, shirt["id"], confirm="y").status_code == 404


def test_deleting_the_product_deletes_its_video_file(app, owner, shirt):
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    assert videos_on_disk(app)
    with app.app_context():
        db.session.delete(db.session.get(Product, shirt["id"]))
        db.session.rollback()  # not deleted: the file stays
        assert videos_on_disk(app)
        db.session.delete(db.session.get(Product, shirt["id"]))
        db.session.commit()
        assert db.session.scalars(select(ProductVideo)).all() == []
    assert videos_on_disk(app) == []


# --- refused input: message, 4xx, nothing changed ------------------------------------------------


def test_bad_files_are_refused_with_a_message_and_change_nothing(app, owner, shirt):
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    kept = the_video(app)
    app.config["PRODUCT_VIDEO_MAX_BYTES"] = 4000
    cases = {
        "JPEG named clip.mp4": (png(), "The file is not an MP4 or WebM video."),
        "truncated upload": (mp4_bytes()[:-300], "The video file is incomplete or damaged"),
        "over the cap": (mp4_bytes(media=b"\x00" * 5000), "The video is larger than 4 kB."),
        "empty file": (b"", "The file is empty."),
    }
    for name, (data, message) in cases.items():
        response = send_video(owner, shirt["id"], data, poster_photo_id="0")
        assert response.status_code == 422, name
        assert shown(response, message), f"{name}: {message!r} not shown"
        assert 'accept="video/mp4,video/webm"' in response.text, name  # the form is back
        assert the_video(app).key == kept.key, name
        assert videos_on_disk(app) == [kept.file_name], name
    nothing = owner.post(f"/admin/products/{shirt['id']}/video", prefixed("video", owner, poster_photo_id="0"))
    assert nothing.status_code == 422 and shown(nothing, "Please choose a video file or record one.")
    assert the_video(app).key == kept.key


def test_the_message_says_the_limit_in_megabytes(app, owner, shirt):
    app.config["PRODUCT_VIDEO_MAX_BYTES"] = 20 * 1024 * 1024
    page = owner.client.get(f"/admin/products/{shirt['id']}/video")
    assert page.status_code == 200 and shown(page, "MP4 or WebM, up to 20 MB.")


def test_far_too_large_bodies_get_a_413_and_nothing_is_stored(app, owner, shirt):
    app.config["PRODUCT_VIDEO_MAX_BYTES"] = 2000  # the route takes at most twice this
    response = send_video(owner, shirt["id"], mp4_bytes(media=b"\x00" * 6000))
    assert response.status_code == 413
    assert the_video(app) is None and videos_on_disk(app) == []


def test_a_video_larger_than_the_app_wide_request_cap_is_answered_by_the_form(app, owner, shirt):
    app.config.update(MAX_CONTENT_LENGTH=3000, PRODUCT_VIDEO_MAX_BYTES=10_000)
    assert send_video(owner, shirt["id"], mp4_bytes(media=b"\x00" * 5000)).status_code == 303
    assert the_video(app) is not None


def test_no_csrf_token_no_video(app, owner, shirt):
    response = owner.client.post(
        f"/admin/products/{shirt['id']}/video",
        data={"video-video": (io.BytesIO(mp4_bytes()), "clip.mp4", "video/mp4")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422)
    assert the_video(app) is None and videos_on_disk(app) == []


def test_only_the_owner_may_change_videos(app, shirt):
    staff = signed_in(app, "staff")
    base = f"/admin/products/{shirt['id']}/video"
    assert send_video(staff, shirt["id"], mp4_bytes()).status_code == 403
    assert staff.client.get(base).status_code == 403
    assert set_poster(staff, shirt["id"], 0).status_code == 403
    assert remove(staff, shirt["id"], confirm="y").status_code == 403
    anonymous = ShopClient(app.test_client())
    assert anonymous.client.get(base).status_code in (302, 303, 401)
    assert send_video(anonymous, shirt["id"], mp4_bytes()).status_code in (302, 303, 401, 403)
    assert the_video(app) is None


# --- the poster -----------------------------------------------------------------------------------


def test_the_poster_is_a_photo_of_the_product_picked_by_the_owner(app, owner, shirt):
    for colour in ((200, 30, 30), (30, 200, 30)):
        assert upload_photo(owner, shirt["id"], png(colour=colour), "p.png", "image/png").status_code == 303
    with app.app_context():
        first, second = db.session.scalars(select(Photo.id).order_by(Photo.id)).all()
        other = make_product("Other", variants=()).id
    assert upload_photo(owner, other, png(), "o.png", "image/png").status_code == 303
    with app.app_context():
        foreign = db.session.scalars(select(Photo.id).where(Photo.product_id == other)).one()

    assert send_video(owner, shirt["id"], mp4_bytes(), poster_photo_id=str(foreign)).status_code == 422
    assert the_video(app) is None and videos_on_disk(app) == []
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    assert the_video(app).poster_photo_id is None  # the default: the first photo
    with app.app_context():
        assert db.session.scalars(select(ProductVideo)).one().poster.id == first

    page = owner.client.get(f"/admin/products/{shirt['id']}/video").text
    assert f'<option value="{second}">' in page
    assert set_poster(owner, shirt["id"], second).status_code == 303
    assert the_video(app).poster_photo_id == second
    refused = set_poster(owner, shirt["id"], foreign)
    assert refused.status_code == 422 and the_video(app).poster_photo_id == second

    assert owner.post(f"/admin/photos/{second}/delete").status_code == 303  # the poster's photo goes
    assert the_video(app).poster_photo_id is None
    with app.app_context():
        assert db.session.scalars(select(ProductVideo)).one().poster.id == first


# --- the two partials -------------------------------------------------------------------------------


def test_the_shoppers_video_block_never_loads_the_video_before_it_plays(app, owner, shirt):
    assert upload_photo(owner, shirt["id"], png(), "p.png", "image/png").status_code == 303
    with app.test_request_context():
        product = db.session.get(Product, shirt["id"])
        assert render_template_string('{% include "catalog/_video.html" %}', product=product).strip() == ""
    assert send_video(owner, shirt["id"], webm_bytes(), "clip.webm").status_code == 303
    with app.test_request_context():
        product = db.session.get(Product, shirt["id"])
        html = render_template_string('{% include "catalog/_video.html" %}', product=product)
        poster = product.video.poster
        name = product.video.file_name
    page = Page(html)
    (video,) = [attrs for tag, attrs in page.tags if tag == "video"]
    assert video["preload"] == "none" and {"muted", "loop", "playsinline", "controls"} <= video.keys()
    assert "autoplay" not in video
    assert video["poster"].startswith(f"/media/{poster.key}-") and video["poster"].endswith(".jpg")
    assert video["aria-label"] == "Video of Linen shirt"
    assert ("source", {"src": f"/media/{name}", "type": "video/webm"}) in page.tags
    (script,) = [attrs for tag, attrs in page.tags if tag == "script"]
    assert script["src"].startswith("/static/js/video.js?v=") and "defer" in script
    with app.test_request_context():
        assert render_template_string('{% include "catalog/_video.html" %}', product=object()).strip() == ""


def test_the_owners_video_section_renders_with_only_the_product(app, owner, shirt):
    with app.test_request_context():
        product = db.session.get(Product, shirt["id"])
        html = render_template_string('{% include "admin/_product_video.html" %}', product=product)
    page = Page(html)
    inputs = {attrs["name"]: attrs for tag, attrs in page.tags if tag == "input" and attrs.get("name")}
    assert inputs["video-video"]["accept"] == "video/mp4,video/webm" and "capture" not in inputs["video-video"]
    assert inputs["video-recording"]["capture"] == "environment"
    assert "video-csrf_token" in inputs
    assert ("select", {"id": "video-poster_photo_id", "name": "video-poster_photo_id"}) in page.tags
    labels = {attrs.get("for") for tag, attrs in page.tags if tag == "label"}
    assert {"video-video", "video-recording", "video-poster_photo_id"} <= labels
    assert "Remove video" not in html  # nothing to remove yet
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    with app.test_request_context():
        product = db.session.get(Product, shirt["id"])
        html = render_template_string('{% include "admin/_product_video.html" %}', product=product)
    assert "Remove video" in html and "Replace video" in html and 'name="video_remove-confirm"' in html
    ids = [attrs["id"] for tag, attrs in Page(html).tags if attrs.get("id")]
    assert len(ids) == len(set(ids)), "every id once: each label names its own control"


def test_a_rolled_back_upload_leaves_no_file_and_keeps_the_old_one(app, owner, shirt):
    assert send_video(owner, shirt["id"], mp4_bytes()).status_code == 303
    kept = the_video(app)
    with app.app_context():
        product = db.session.get(Product, shirt["id"])
        media = Path(app.config["MEDIA_ROOT"])
        attach_video(db.session, product, io.BytesIO(webm_bytes()), media, max_bytes=10**6, poster_photo_id=None)
        assert len(videos_on_disk(app)) == 2  # stored, not yet committed
        db.session.rollback()
    assert videos_on_disk(app) == [kept.file_name] and the_video(app).key == kept.key


def test_the_owners_section_shows_the_size_and_keeps_the_chosen_picture_for_a_replacement(app, owner, shirt):
    for colour in ((200, 30, 30), (30, 200, 30)):
        assert upload_photo(owner, shirt["id"], png(colour=colour), "p.png", "image/png").status_code == 303
    with app.app_context():
        second = db.session.scalars(select(Photo.id).order_by(Photo.id)).all()[1]
    data = mp4_bytes(media=b"\x00" * 3000)
    assert send_video(owner, shirt["id"], data, poster_photo_id=str(second)).status_code == 303
    page = Page(owner.client.get(f"/admin/products/{shirt['id']}/video").text)
    assert "MP4 video, 3 kB" in page.all_text
    selected = [attrs for tag, attrs in page.tags if tag == "option" and "selected" in attrs]
    assert selected and all(attrs["value"] == str(second) for attrs in selected)  # both forms
