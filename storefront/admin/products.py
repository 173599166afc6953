"""Admin: products, their variants and photos, and categories (owner only for changes)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import role_required
from ..catalog import service as catalog
from ..catalog.images import ImageRejected, delete_image
from ..catalog.models import Product
from ..catalog.rules import DRAFT, PRODUCT_STATUSES, PUBLISH_CHECKS, PublishCheck, slugify
from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..inventory import service as inventory
from ..money import format_amount_plain
from .forms import CategoryForm, NewVariantForm, PhotoForm, ProductForm, VariantForm
from .views import bp

MAX_PHOTOS_PER_UPLOAD = 12  # files past this many in one upload are left out


def _product_or_404(product_id: int) -> Product:
    product = catalog.product_by_id(db.session, product_id)
    if product is None:
        abort(404)
    return product


def _category_choices(form: ProductForm) -> None:
    form.category_id.choices = [(0, _("No category"))] + [(c.id, c.name) for c in catalog.categories(db.session)]


@bp.get("/products")
def product_list():
    """Products by status (draft, published, archived; default: all but archived) and a search."""
    status = request.args.get("status", "")
    if request.args.get("archived") == "1":  # the older "Show archived" link
        status = "archived"
    status = status if status in PRODUCT_STATUSES else ""
    query = request.args.get("q", "")[:100]
    products = catalog.products_for_admin(db.session, status or None, query)
    counts = catalog.status_counts(db.session)
    return render_template("admin/products.html", products=products, status=status, query=query, counts=counts)


def checklist(check: PublishCheck) -> list[tuple[str, bool, str, str]]:
    """The publish checklist rows: (key, done, what it is, what to do), translated."""
    return [(key, key not in check.missing, _(name), _(todo)) for key, (name, todo) in PUBLISH_CHECKS.items()]


def _missing(check: PublishCheck) -> str:
    """What a product still needs, in the publish checklist's words ("add a photo, ...")."""
    return ", ".join(_(PUBLISH_CHECKS[key][1]) for key in check.missing)


def _flash_drafted(product: Product, check: PublishCheck | None) -> None:
    """Tell the owner when a change put a published product back to draft, and why."""
    if check is not None:
        flash(_("%(title)s is a draft again: %(missing)s.", title=product.title, missing=_missing(check)), "info")


def _edit_page(product: Product | None, form: ProductForm, status: int = 200, **extra):
    """The product form page, with the variant and photo forms and publish checklist when the product exists."""
    check = catalog.product_publish_check(product) if product else None
    if product is not None and "sale_form" not in extra:
        from .sales import sales_section  # the "Sale" section (admin/sales.py)

        extra.update(sales_section(product))
    return render_template(
        "admin/product_form.html",
        product=product,
        form=form,
        variant_form=extra.pop("variant_form", NewVariantForm(formdata=None)),
        photo_form=extra.pop("photo_form", PhotoForm(formdata=None)),
        check=check,
        checklist=checklist(check) if check else [],
        **extra,
    ), status


def _save(product: Product, form: ProductForm):
    """Validate and save the product form; on error the page comes back with the input."""
    _category_choices(form)
    if not form.validate_on_submit():
        return _edit_page(product if product.id else None, form, 422)
    try:
        catalog.save_product(
            db.session,
            product,
            title=form.title.data.strip(),
            slug=(form.slug.data or "").strip(),
            description_md=form.description_md.data or "",
            price=form.price.minor,
            category_id=form.category_id.data or None,
            featured=form.featured.data,
            now=utcnow(),
        )
        db.session.commit()
    except DomainError as err:  # the address kept being taken by saves running at the same moment
        db.session.rollback()
        form.slug.errors.append(err.message)
        return _edit_page(product if product.id else None, form, err.status_code)
    flash(_("Saved %(title)s.", title=product.title), "success")
    return redirect(url_for("admin.product_edit", product_id=product.id), code=303)


@bp.route("/products/new", methods=["GET", "POST"])
@role_required("owner")
def product_new():
    """Create a product."""
    form = ProductForm()
    if request.method == "POST":
        return _save(Product(status=DRAFT), form)  # a new product waits, unseen, until published
    _category_choices(form)
    return _edit_page(None, form)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@role_required("owner")
def product_edit(product_id: int):
    """Edit a product's fields."""
    product = _product_or_404(product_id)
    if request.method == "POST":
        return _save(product, ProductForm())
    return edit_page_for(product)


def edit_page_for(product: Product, status: int = 200, **extra):
    """The product's edit page with its saved fields (re-shown by the other forms on it after an error)."""
    form = ProductForm(obj=product, formdata=None)
    form.price.data = format_amount_plain(product.price, current_app.config["SHOP_CURRENCY"])
    form.category_id.data = product.category_id or 0
    _category_choices(form)
    return _edit_page(product, form, status, **extra)


@bp.route("/products/<int:product_id>/archive", methods=["GET", "POST"])
@role_required("owner")
def product_archive(product_id: int):
    """Archive (hide from shoppers) or restore a product as a draft; GET asks to confirm archiving."""
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _confirm_page(
            _("Archive %(title)s?", title=product.title),
            _("Shoppers will no longer see it; orders keep their copies. You can restore it later as a draft."),
            url_for("admin.product_archive", product_id=product.id),
            _("Archive"),
            url_for("admin.product_edit", product_id=product.id),
            fields={"archived": "1"},
        )
    catalog.set_archived(db.session, product, request.form.get("archived") == "1")
    db.session.commit()
    flash(
        _("Archived %(title)s.", title=product.title)
        if product.archived
        else _("Restored %(title)s as a draft.", title=product.title),
        "success",
    )
    return redirect(url_for("admin.product_list"), code=303)


def _confirm_page(title: str, text: str, action: str, button: str, back: str, fields: dict | None = None):
    """A page asking to confirm a destructive step: its POST form, and a way back."""
    return render_template(
        "admin/product_confirm.html", title=title, text=text, action=action, button=button, back=back, fields=fields
    )


@bp.post("/products/<int:product_id>/publish")
@role_required("owner")
def product_publish(product_id: int):
    """Publish a product when it has what it needs; else 422 with the checklist of what is missing."""
    product = _product_or_404(product_id)
    try:
        catalog.publish(db.session, product)
    except catalog.NotReady as err:
        db.session.rollback()
        error = _("Not published yet. Still to do: %(missing)s.", missing=_missing(err.check))
        product = _product_or_404(product_id)
        return _edit_page(product, _product_form(product), 422, publish_error=error)
    except DomainError as err:  # archived: restored as a draft first
        db.session.rollback()
        product = _product_or_404(product_id)
        return _edit_page(product, _product_form(product), err.status_code, publish_error=_(err.message))
    db.session.commit()
    flash(_("Published %(title)s: shoppers can see it now.", title=product.title), "success")
    return redirect(url_for("admin.product_edit", product_id=product.id), code=303)


@bp.route("/products/<int:product_id>/unpublish", methods=["GET", "POST"])
@role_required("owner")
def product_unpublish(product_id: int):
    """Take a product back to draft (hidden from shoppers); GET asks to confirm."""
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _confirm_page(
            _("Unpublish %(title)s?", title=product.title),
            _("Shoppers will no longer see it until you publish it again."),
            url_for("admin.product_unpublish", product_id=product.id),
            _("Unpublish"),
            url_for("admin.product_edit", product_id=product.id),
        )
    catalog.unpublish(db.session, product)
    db.session.commit()
    flash(_("%(title)s is a draft again: shoppers no longer see it.", title=product.title), "success")
    return redirect(url_for("admin.product_edit", product_id=product.id), code=303)


@bp.post("/products/<int:product_id>/variants")
@role_required("owner")
def variant_add(product_id: int):
    """Add a variant, with its opening stock recorded in the ledger."""
    product = _product_or_404(product_id)
    form = NewVariantForm()
    if not form.validate_on_submit():
        return _edit_page(product, _product_form(product), 422, variant_form=form)
    try:
        variant = catalog.add_variant(
            db.session,
            product,
            sku=form.sku.data.strip(),
            name=(form.name.data or "").strip(),
            price_override=form.price_override.minor,
            low_stock_threshold=form.low_stock_threshold.data or 0,
        )
        if form.initial_stock.data:
            inventory.adjust_stock(
                db.session, variant.id, form.initial_stock.data, "initial", utcnow(), current_user.id
            )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.sku.errors.append(err.message)
        return _edit_page(
            _product_or_404(product_id), _product_form(_product_or_404(product_id)), err.status_code, variant_form=form
        )
    flash(_("Added variant %(sku)s.", sku=variant.sku), "success")
    return redirect(url_for("admin.product_edit", product_id=product_id), code=303)


@bp.post("/variants/<int:variant_id>")
@role_required("owner")
def variant_edit(variant_id: int):
    """Rename, re-price, re-threshold or archive a variant (stock changes go through /stock)."""
    variant = catalog.variant_by_id(db.session, variant_id)
    if variant is None:
        abort(404)
    form = VariantForm()
    if not form.validate_on_submit():
        return _edit_page(
            variant.product, _product_form(variant.product), 422, variant_error=variant.id, variant_errors=form.errors
        )
    drafted = catalog.save_variant(
        db.session,
        variant,
        name=(form.name.data or "").strip(),
        price_override=form.price_override.minor,
        low_stock_threshold=form.low_stock_threshold.data or 0,
        archived=form.archived.data,
    )
    db.session.commit()
    flash(_("Saved variant %(sku)s.", sku=variant.sku), "success")
    _flash_drafted(variant.product, drafted)
    return redirect(url_for("admin.product_edit", product_id=variant.product_id), code=303)


def _product_form(product: Product) -> ProductForm:
    """The product form filled from the saved product (beside another form's error)."""
    form = ProductForm(formdata=None, obj=product)
    form.price.data = format_amount_plain(product.price, current_app.config["SHOP_CURRENCY"])
    form.category_id.data = product.category_id or 0
    _category_choices(form)
    return form


@bp.post("/products/<int:product_id>/photos")
@role_required("owner")
def photo_add(product_id: int):
    """Upload photos (several files, or one taken with the camera): each checked by content, size and
    pixels, re-encoded, EXIF stripped. A bad file is refused by name; the good ones are kept."""
    product = _product_or_404(product_id)
    form = PhotoForm()
    # "photo": the single-file field's name before several files could be chosen at once.
    names = ("photos", "camera", "photo")
    files = [f for name in names for f in request.files.getlist(name) if f and f.filename]
    if not form.validate_on_submit() or not files:
        if not files:
            form.photos.errors = [*form.photos.errors, _("Please choose a file.")]
        return _edit_page(product, _product_form(product), 422, photo_form=form)
    cfg = current_app.config
    media = Path(cfg["MEDIA_ROOT"])
    added, refused = [], []
    for upload in files[:MAX_PHOTOS_PER_UPLOAD]:
        try:
            photo = catalog.store_photo(
                db.session,
                product,
                upload.stream.read(cfg["MAX_PHOTO_BYTES"] + 1),
                media,
                alt=(form.alt.data or product.title).strip(),
                max_bytes=cfg["MAX_PHOTO_BYTES"],
                max_pixels=cfg["MAX_PHOTO_PIXELS"],
            )
        except ImageRejected as err:
            refused.append(_("%(file)s: %(reason)s", file=upload.filename[:100], reason=_(err.message)))
        else:
            added.append(photo.key)
    _commit_or_forget(added, media)
    if added:
        flash(_("Photos added: %(num)s.", num=len(added)), "success")
    if not refused:
        return redirect(url_for("admin.product_edit", product_id=product_id), code=303)
    form.photos.errors = [*refused]
    if added:
        form.photos.errors.append(_("The other photos were added."))
    return _edit_page(product, _product_form(product), 422, photo_form=form)


def _commit_or_forget(keys: list[str], media: Path) -> None:
    """Commit the new photos' rows; if that fails, remove their files too (no orphans)."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in keys:
            delete_image(key, media)
        raise


@bp.post("/photos/<int:photo_id>/move")
@role_required("owner")
def photo_move(photo_id: int):
    """Move a photo one place up or down; the first photo is the product's main photo."""
    photo = catalog.photo_by_id(db.session, photo_id)
    direction = request.form.get("direction")
    if photo is None:
        abort(404)
    if direction not in ("up", "down"):
        product = photo.product
        error = _("Choose up or down to move the photo.")
        return _edit_page(product, _product_form(product), 400, photo_error=error)
    catalog.move_photo(db.session, photo, -1 if direction == "up" else 1)
    db.session.commit()
    flash(_("Photo moved."), "success")
    return redirect(url_for("admin.product_edit", product_id=photo.product_id, _anchor="photos"), code=303)


@bp.route("/photos/<int:photo_id>/delete", methods=["GET", "POST"])
@role_required("owner")
def photo_delete(photo_id: int):
    """Remove a photo and its files (files go only after the database change is committed); GET asks first."""
    photo = catalog.photo_by_id(db.session, photo_id)
    if photo is None:
        abort(404)
    product_id = photo.product_id
    if request.method == "GET":
        return _confirm_page(
            _("Remove this photo?"),
            _("It is deleted for good."),
            url_for("admin.photo_delete", photo_id=photo.id),
            _("Remove photo"),
            url_for("admin.product_edit", product_id=product_id, _anchor="photos"),
        )
    removed = catalog.remove_photo(db.session, photo)
    db.session.commit()
    delete_image(removed.key, Path(current_app.config["MEDIA_ROOT"]))
    flash(_("Photo removed."), "success")
    _flash_drafted(catalog.product_by_id(db.session, product_id), removed.drafted)
    return redirect(url_for("admin.product_edit", product_id=product_id), code=303)


@bp.route("/categories", methods=["GET", "POST"])
@role_required("owner")
def categories():
    """List and add categories."""
    form = CategoryForm()
    status = 200
    if form.validate_on_submit():
        try:
            catalog.add_category(
                db.session, form.name.data.strip(), slugify(form.slug.data or form.name.data), form.position.data or 0
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form.slug.errors.append(err.message)
            status = err.status_code
        else:
            flash(_("Category added."), "success")
            return redirect(url_for("admin.categories"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/categories.html", form=form, categories=catalog.categories(db.session)), status
