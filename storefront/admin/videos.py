"""Admin: a product's one short video (upload or replace, poster photo, remove); owner only, like photos.

The video section is the partial templates/admin/_product_video.html, shown on the product's
edit page; refused input comes back on the video page (/admin/products/<id>/video) with the
message and the owner's choices, status 4xx, nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth.guards import role_required
from ..catalog import service as catalog
from ..catalog.models import Product
from ..catalog.video import megabytes
from ..catalog.video_service import attach_video, choose_poster, remove_video
from ..domain import DomainError
from ..extensions import db
from .forms import VideoForm, VideoPosterForm, VideoRemoveForm
from .views import bp


def _product_or_404(product_id: int) -> Product:
    product = catalog.product_by_id(db.session, product_id)
    if product is None:
        abort(404)
    return product


def _poster_choices(product: Product, form: VideoForm | VideoPosterForm) -> None:
    """The product's photos by number and description; 0 is "the first photo" (the default)."""
    form.poster_photo_id.choices = [(0, _("The first photo"))] + [
        (photo.id, _("Photo %(number)s: %(alt)s", number=index, alt=photo.alt or product.title))
        for index, photo in enumerate(product.photos, start=1)
    ]


def video_forms(product: Product, **given) -> dict:
    """The video section's three forms, empty unless ``given`` (a refused one, with its input)."""
    forms = {
        "upload": given.get("upload") or VideoForm(formdata=None),
        "poster": given.get("poster") or VideoPosterForm(formdata=None),
        "remove": given.get("remove") or VideoRemoveForm(formdata=None),
    }
    current_poster = (product.video.poster_photo_id or 0) if product.video else 0
    if "poster" not in given:
        forms["poster"].poster_photo_id.data = current_poster
    if "upload" not in given:  # a replacement keeps the picture unless the owner picks another
        forms["upload"].poster_photo_id.data = current_poster
    _poster_choices(product, forms["upload"])
    _poster_choices(product, forms["poster"])
    forms["limit"] = megabytes(current_app.config["PRODUCT_VIDEO_MAX_BYTES"])
    forms["size"] = megabytes(product.video.size) if product.video else ""
    return forms


@bp.app_template_global("product_video_forms")
def _forms_for_template(product: Product) -> dict:
    """The partial's forms when the page including it did not pass them (the product edit page)."""
    return video_forms(product)


def _video_page(product: Product, status: int = 200, **given):
    """The video page: the section of the edit page on its own, with any refused form's errors."""
    forms = video_forms(product, **given)
    return render_template("admin/product_video.html", product=product, video_forms=forms), status


def _back_to_product(product: Product):
    return redirect(url_for("admin.product_edit", product_id=product.id, _anchor="video"), code=303)


@bp.get("/products/<int:product_id>/video")
@role_required("owner")
def video_page(product_id: int):
    """The product's video section on a page of its own."""
    return _video_page(_product_or_404(product_id))


@bp.post("/products/<int:product_id>/video")
@role_required("owner")
def video_upload(product_id: int):
    """Upload (or replace) the video: checked by content and size, stored under a new random name."""
    cfg = current_app.config
    product = _product_or_404(product_id)
    form = VideoForm()
    _poster_choices(product, form)
    if not form.validate_on_submit():
        return _video_page(product, 422, upload=form)
    try:
        attach_video(
            db.session,
            product,
            form.upload.stream,
            Path(cfg["MEDIA_ROOT"]),
            max_bytes=cfg["PRODUCT_VIDEO_MAX_BYTES"],
            poster_photo_id=form.poster_photo_id.data,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()  # a stored file of this upload goes with it (catalog.video_service)
        (form.video if form.video.data else form.recording).errors.append(err.message)
        return _video_page(_product_or_404(product_id), err.status_code, upload=form)
    flash(_("Video saved."), "success")
    return _back_to_product(product)


@bp.post("/products/<int:product_id>/video/poster")
@role_required("owner")
def video_poster(product_id: int):
    """Pick which of the product's photos shows before the video plays."""
    product = _product_or_404(product_id)
    if product.video is None:
        abort(404)
    form = VideoPosterForm()
    _poster_choices(product, form)
    if not form.validate_on_submit():
        return _video_page(product, 422, poster=form)
    choose_poster(db.session, product, form.poster_photo_id.data)
    db.session.commit()
    flash(_("Video picture saved."), "success")
    return _back_to_product(product)


@bp.post("/products/<int:product_id>/video/delete")
@role_required("owner")
def video_delete(product_id: int):
    """Remove the video once the owner ticked the confirmation; its file goes after the commit."""
    product = _product_or_404(product_id)
    form = VideoRemoveForm()
    if product.video is None:
        abort(404)
    if not form.validate_on_submit():
        return _video_page(product, 422, remove=form)
    remove_video(db.session, product)
    db.session.commit()
    flash(_("Video removed."), "success")
    return _back_to_product(product)
