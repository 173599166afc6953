"""Brand uploads: a logo and a hero together pass the owner's body cap, and a failed save leaves no files."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from storefront.brand import service as brand_service
from storefront.brand.models import BrandSettings
from storefront.extensions import db
from tests.builders import ShopClient, make_user

from .test_admin_brand import VALID, owner, png, tmp_media  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def _with_pictures() -> dict:
    return {**VALID, "logo": (png("#2e7d32"), "logo.png"), "hero": (png("#1565c0", (1200, 600)), "hero.png")}


def test_a_logo_and_a_hero_together_pass_above_the_app_wide_body_limit(app, owner):  # noqa: F811
    app.config.update(MAX_CONTENT_LENGTH=3000, MAX_PHOTO_BYTES=100_000)
    form = _with_pictures()
    response = owner.post("/admin/brand", form, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        data = db.session.get(BrandSettings, 1).data
        assert data["logo"] and data["hero"]


def test_the_brand_body_cap_is_an_owners_only(app):
    app.config.update(MAX_CONTENT_LENGTH=3000, MAX_PHOTO_BYTES=100_000)
    with app.app_context():
        make_user("staff@example.com", "staff")
    staff = ShopClient(app.test_client())
    assert staff.login("staff@example.com").status_code == 303
    response = staff.post("/admin/brand", _with_pictures(), content_type="multipart/form-data")
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("UPDATE", {}, Exception("gone")), 503),  # the database went away: "try again shortly"
        (IntegrityError("x", {}, None), 500),
    ],
)
def test_a_failed_save_deletes_the_new_logo_and_hero(app, owner, monkeypatch, error, status):  # noqa: F811
    def failing(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(brand_service, "save_brand", failing)
    try:
        response = owner.post("/admin/brand", _with_pictures(), content_type="multipart/form-data")
    except type(error):
        response = None  # the test app propagates an unexpected error; a live shop answers 500
    assert response is None or response.status_code == status
    assert not [p for p in tmp_media(app).rglob("*") if p.is_file()], "no orphan files"


def test_a_missing_brand_row_created_by_a_concurrent_first_save_is_updated_not_inserted(app):
    with app.app_context():
        other = db.engine.connect()  # another worker's first save, committed meanwhile
        other.execute(BrandSettings.__table__.insert().values(id=1, data={}, updated_at=brand_service.utcnow()))
        other.commit()
        other.close()
        row = brand_service._create_row(db.session, brand_service.utcnow())
        assert row.id == 1 and row.data == {}
        brand_service.save_brand(db.session, app.config, name="Raced")
        db.session.commit()
        assert db.session.get(BrandSettings, 1).data["name"] == "Raced"


def test_the_migration_inserts_the_empty_brand_row_which_means_the_defaults(empty_db_app):
    from flask_migrate import upgrade

    with empty_db_app.app_context():
        upgrade(directory=empty_db_app.extensions["migrate"].directory)
        assert db.session.get(BrandSettings, 1).data == {}
        assert brand_service.load_brand(db.session, empty_db_app.config) == brand_service.config_brand(
            empty_db_app.config
        )
        brand_service.save_brand(db.session, empty_db_app.config, name="Updated")  # an UPDATE of row 1
        db.session.commit()
        assert db.session.get(BrandSettings, 1).data["name"] == "Updated"
        db.session.remove()
