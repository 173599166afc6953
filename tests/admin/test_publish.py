"""The owner publishes a product when it is ready, reorders its photos and uploads several at once."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from storefront.catalog.models import Photo, Product
from storefront.catalog.rules import publish_check
from storefront.extensions import db
from tests.admin.test_products import Page, png, signed_in
from tests.builders import make_category, make_product

pytestmark = pytest.mark.usefixtures("quick_password_hash")


@pytest.fixture
def owner(app):
    return signed_in(app, "owner")


@pytest.fixture
def draft(app) -> dict:
    """A draft scarf with one variant in stock and no photo."""
    with app.app_context():
        product = make_product("Silk scarf", price=2500, variants=(("One size", 3),))
        product.status = "draft"
        db.session.commit()
        return {"id": product.id, "slug": product.slug}


def _status(app, product_id: int) -> str:
    with app.app_context():
        return db.session.get(Product, product_id).status


def _upload(owner, product_id: int, *files: tuple[bytes, str], field: str = "photos"):
    return owner.client.post(
        f"/admin/products/{product_id}/photos",
        data={"csrf_token": owner.csrf(), field: [(io.BytesIO(data), name, "image/png") for data, name in files]},
        content_type="multipart/form-data",
    )


# --- the pure rule ------------------------------------------------------------------------


def test_publish_check_names_each_missing_thing():
    assert publish_check(0, [], 0).missing == ("price", "variant", "photo")
    assert publish_check(100, [], 1).missing == ("variant",)
    assert publish_check(100, [2], 0).missing == ("photo",)
    ready = publish_check(100, [0, 0], 1)
    assert ready.ready and ready.warnings == ("no_stock",), "no stock warns, it does not block"
    assert publish_check(100, [0, 1], 1).warnings == ()


# --- publishing ---------------------------------------------------------------------------


def test_publishing_what_misses_a_photo_is_refused_naming_it(app, owner, draft):
    page = owner.client.get(f"/admin/products/{draft['id']}").text
    assert "Ready to publish?" in page and "add a photo" in page
    response = owner.post(f"/admin/products/{draft['id']}/publish")
    assert response.status_code == 422
    assert "Not published yet. Still to do: add a photo." in response.text
    assert _status(app, draft["id"]) == "draft"
    assert app.test_client().get(f"/p/{draft['slug']}").status_code == 404


def test_publishing_names_every_missing_thing(app, owner):
    with app.app_context():
        bare = make_product("Bare thing", price=0, variants=())
        bare.status = "draft"
        db.session.commit()
        bare_id = bare.id
    response = owner.post(f"/admin/products/{bare_id}/publish")
    assert response.status_code == 422
    assert "Still to do: give a price above zero, add a variant with a SKU, add a photo." in response.text
    assert _status(app, bare_id) == "draft"


def test_a_ready_draft_is_published_and_unpublished_after_confirming(app, owner, draft):
    assert _upload(owner, draft["id"], (png(), "scarf.png")).status_code == 303
    page = owner.client.get(f"/admin/products/{draft['id']}").text
    assert "missing:" not in page
    assert owner.post(f"/admin/products/{draft['id']}/publish").status_code == 303
    assert _status(app, draft["id"]) == "published"
    shopper = app.test_client()
    assert shopper.get(f"/p/{draft['slug']}").status_code == 200
    assert "Silk scarf" in shopper.get("/").text

    confirm = owner.client.get(f"/admin/products/{draft['id']}/unpublish")
    assert confirm.status_code == 200 and _status(app, draft["id"]) == "published", "asking changes nothing"
    actions = [a.get("action") for t, a in Page(confirm.text).tags if t == "form"]
    assert f"/admin/products/{draft['id']}/unpublish" in actions
    assert owner.post(f"/admin/products/{draft['id']}/unpublish").status_code == 303
    assert _status(app, draft["id"]) == "draft"
    assert shopper.get(f"/p/{draft['slug']}").status_code == 404
    assert "Silk scarf" not in shopper.get("/").text


def test_staff_cannot_publish_or_unpublish(app, draft):
    staff = signed_in(app, "staff")
    assert staff.post(f"/admin/products/{draft['id']}/publish").status_code == 403
    assert staff.post(f"/admin/products/{draft['id']}/unpublish").status_code == 403
    assert _status(app, draft["id"]) == "draft"


def test_publish_needs_the_csrf_token(app, owner, draft):
    assert owner.client.post(f"/admin/products/{draft['id']}/publish").status_code == 400
    assert _status(app, draft["id"]) == "draft"


# --- photos -------------------------------------------------------------------------------


def _photo_keys(app, product_id: int) -> list[str]:
    with app.app_context():
        return [p.key for p in db.session.get(Product, product_id).photos]


def test_several_photos_at_once_then_reordered_the_first_is_on_the_card(app, owner, draft):
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    files = [(png(colour=c), f"p{i}.png") for i, c in enumerate(colours)]
    response = _upload(owner, draft["id"], *files)
    assert response.status_code == 303
    keys = _photo_keys(app, draft["id"])
    assert len(keys) == 3
    with app.app_context():
        third = db.session.scalars(select(Photo).where(Photo.key == keys[2])).one().id
    for _ in range(2):
        assert owner.post(f"/admin/photos/{third}/move", {"direction": "up"}).status_code == 303
    assert _photo_keys(app, draft["id"]) == [keys[2], keys[0], keys[1]], "the order persists"
    assert owner.post(f"/admin/photos/{third}/move", {"direction": "up"}).status_code == 303  # already first
    assert _photo_keys(app, draft["id"])[0] == keys[2]
    assert owner.post(f"/admin/photos/{third}/move", {"direction": "down"}).status_code == 303
    assert _photo_keys(app, draft["id"]) == [keys[0], keys[2], keys[1]]
    assert owner.post(f"/admin/photos/{third}/move", {"direction": "sideways"}).status_code == 400

    assert owner.post(f"/admin/products/{draft['id']}/publish").status_code == 303
    home = app.test_client().get("/").text
    card = home[home.index(f"/p/{draft['slug']}") :]
    assert card.index(keys[0]) < card.index("Silk scarf"), "the card shows the first photo"
    assert keys[2] not in home and keys[1] not in home


def test_one_bad_file_is_refused_by_name_and_the_good_ones_kept(app, owner, draft):
    response = _upload(owner, draft["id"], (png(), "good-1.png"), (b"not an image", "notes.png"), (png(), "good-2.png"))
    assert response.status_code == 422
    text = " ".join(Page(response.text).all_text.split())
    assert "notes.png: The file is not an image" in text
    assert "The other photos were added." in text
    assert len(_photo_keys(app, draft["id"])) == 2


def test_no_file_at_all_is_422(app, owner, draft):
    response = owner.post(f"/admin/products/{draft['id']}/photos", {"alt": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Please choose a file." in response.text
    assert _photo_keys(app, draft["id"]) == []


def test_a_camera_shot_is_uploaded_too(app, owner, draft):
    assert _upload(owner, draft["id"], (png(), "IMG_0001.png"), field="camera").status_code == 303
    assert len(_photo_keys(app, draft["id"])) == 1


def test_the_form_offers_the_camera_and_the_gallery(app, owner, draft):
    page = Page(owner.client.get(f"/admin/products/{draft['id']}").text)
    inputs = {a.get("name"): a for t, a in page.tags if t == "input" and a.get("type") == "file"}
    assert inputs["camera"].get("capture") == "environment" and inputs["camera"].get("accept") == "image/*"
    assert "multiple" in inputs["photos"] and "capture" not in inputs["photos"]
    labels = {a.get("for") for t, a in page.tags if t == "label"}
    assert {inputs["camera"]["id"], inputs["photos"]["id"]} <= labels


# --- the product list ---------------------------------------------------------------------


def test_the_list_filters_by_status_and_searches(app, owner, draft):
    with app.app_context():
        make_product("Wool hat", category=make_category("Hats"))
    every = owner.client.get("/admin/products").text
    assert "Silk scarf" in every and "Wool hat" in every and "tag-draft" in every
    drafts = owner.client.get("/admin/products?status=draft").text
    assert "Silk scarf" in drafts and "Wool hat" not in drafts
    published = owner.client.get("/admin/products?status=published").text
    assert "Wool hat" in published and "Silk scarf" not in published
    assert "Wool hat" not in owner.client.get("/admin/products?q=silk").text
    assert "Silk scarf" in owner.client.get("/admin/products?q=SILK-SCARF-0").text, "found by SKU"
    assert owner.client.get("/admin/products?status=%00nonsense&q=" + "x" * 500).status_code in (200, 400)


def test_an_archived_product_is_restored_as_a_draft_from_its_page(app, owner, draft):
    archive = f"/admin/products/{draft['id']}/archive"
    assert owner.post(archive, {"archived": "1"}).status_code == 303
    page = Page(owner.client.get(f"/admin/products/{draft['id']}").text)
    assert archive in [a.get("action") for t, a in page.tags if t == "form"], "a Restore button on its page"
    assert owner.post(archive, {"archived": "0"}).status_code == 303
    assert _status(app, draft["id"]) == "draft"


# --- how much one upload may carry ----------------------------------------------------------


def test_an_owner_may_send_several_photos_above_the_app_wide_body_limit(app, owner, draft):
    """A phone's photos are several megabytes each: picking four at once must not meet a bare 413."""
    app.config.update(MAX_CONTENT_LENGTH=3000, MAX_PHOTO_UPLOAD_BYTES=100_000)
    photo = png()
    assert 4 * len(photo) > 3000, "the four photos together are over the app-wide limit"
    response = _upload(owner, draft["id"], *[(photo, f"p{i}.png") for i in range(4)])
    assert response.status_code == 303
    with app.app_context():
        assert len(db.session.get(Product, draft["id"]).photos) == 4


def test_the_larger_upload_limit_is_an_owners_only(app, draft):
    """Anyone else meets the app-wide limit before anything reads the body (staff may not upload)."""
    app.config.update(MAX_CONTENT_LENGTH=3000, MAX_PHOTO_UPLOAD_BYTES=100_000)
    photo = png()
    staff = signed_in(app, "staff")
    for client in (staff.client, app.test_client()):
        response = client.post(
            f"/admin/products/{draft['id']}/photos",
            data={"photos": [(io.BytesIO(photo), f"p{i}.png", "image/png") for i in range(4)]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 413
    with app.app_context():
        assert db.session.get(Product, draft["id"]).photos == []


# --- a published product keeps what publishing required, or goes back to draft ---------------


@pytest.fixture
def on_sale(app, owner, draft) -> dict:
    """The scarf with one photo, published."""
    assert _upload(owner, draft["id"], (png(), "scarf.png")).status_code == 303
    assert owner.post(f"/admin/products/{draft['id']}/publish").status_code == 303
    with app.app_context():
        product = db.session.get(Product, draft["id"])
        return {**draft, "photo": product.photos[0].id, "variant": product.variants[0].id}


def test_removing_the_last_photo_of_a_published_product_makes_it_a_draft_and_says_so(app, owner, on_sale):
    response = owner.post(f"/admin/photos/{on_sale['photo']}/delete", follow_redirects=True)
    assert response.status_code == 200
    assert "Silk scarf is a draft again: add a photo." in response.text
    assert _status(app, on_sale["id"]) == "draft"
    assert app.test_client().get(f"/p/{on_sale['slug']}").status_code == 404


def test_removing_one_of_two_photos_keeps_it_on_sale(app, owner, on_sale):
    assert _upload(owner, on_sale["id"], (png(colour=(9, 9, 200)), "second.png")).status_code == 303
    response = owner.post(f"/admin/photos/{on_sale['photo']}/delete", follow_redirects=True)
    assert "draft again" not in response.text
    assert _status(app, on_sale["id"]) == "published"


def test_the_service_rule_drafts_on_removing_the_last_photo(app, on_sale):
    from storefront.catalog import service

    with app.app_context():
        removed = service.remove_photo(db.session, service.photo_by_id(db.session, on_sale["photo"]))
        db.session.commit()
        assert removed.drafted is not None and removed.drafted.missing == ("photo",)
        assert db.session.get(Product, on_sale["id"]).status == "draft"
        assert db.session.get(Photo, on_sale["photo"]) is None


def test_archiving_the_last_active_variant_of_a_published_product_makes_it_a_draft(app, owner, on_sale):
    form = {"name": "One size", "price_override": "", "low_stock_threshold": "1", "archived": "y"}
    response = owner.post(f"/admin/variants/{on_sale['variant']}", form, follow_redirects=True)
    assert response.status_code == 200
    assert "Silk scarf is a draft again: add a variant with a SKU." in response.text
    assert _status(app, on_sale["id"]) == "draft"
    assert app.test_client().get(f"/p/{on_sale['slug']}").status_code == 404


def test_renaming_a_variant_keeps_the_product_on_sale(app, owner, on_sale):
    form = {"name": "Large", "price_override": "", "low_stock_threshold": "1"}
    response = owner.post(f"/admin/variants/{on_sale['variant']}", form, follow_redirects=True)
    assert "draft again" not in response.text
    assert _status(app, on_sale["id"]) == "published"


def test_an_archived_product_is_not_published_by_a_direct_post(app, owner, on_sale):
    archive = f"/admin/products/{on_sale['id']}/archive"
    assert owner.post(archive, {"archived": "1"}).status_code == 303
    response = owner.post(f"/admin/products/{on_sale['id']}/publish")
    assert response.status_code == 409
    assert "Restore it as a draft first." in response.text
    assert _status(app, on_sale["id"]) == "archived"


def test_moving_a_photo_an_unknown_way_is_400_with_a_message(app, owner, on_sale):
    response = owner.post(f"/admin/photos/{on_sale['photo']}/move", {"direction": "sideways"})
    assert response.status_code == 400
    assert "Choose up or down to move the photo." in response.text
    assert 'id="photos"' in response.text, "the product page again"


def test_staff_cannot_move_or_remove_photos(app, on_sale):
    staff = signed_in(app, "staff")
    assert staff.post(f"/admin/photos/{on_sale['photo']}/move", {"direction": "down"}).status_code == 403
    assert staff.client.get(f"/admin/photos/{on_sale['photo']}/delete").status_code == 403
    assert staff.post(f"/admin/photos/{on_sale['photo']}/delete").status_code == 403
    with app.app_context():
        assert db.session.get(Photo, on_sale["photo"]) is not None


def test_publish_and_the_removals_lock_the_product_row_on_postgresql(app, on_sale):
    """Publishing checks photos and variants; removing the last of either re-checks: all under one row lock."""
    from sqlalchemy import event

    from storefront.catalog import service

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite: BEGIN IMMEDIATE already runs writers one after the other")
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            product = db.session.get(Product, on_sale["id"])
            service.unpublish(db.session, product)
            service.publish(db.session, product)
            service.save_variant(
                db.session, product.variants[0], name="M", price_override=None, low_stock_threshold=0, archived=False
            )
            service.remove_photo(db.session, product.photos[0])
            db.session.rollback()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    locks = [s for s in statements if "FROM products" in s and "FOR UPDATE" in s]
    assert len(locks) == 3, statements
