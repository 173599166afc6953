"""Admin > Brand: the owner sets the shop's name, logo, colours, hero, announcement, contact and notes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from ..auth.guards import role_required
from ..brand import service as brand_service
from ..brand.rules import HEX, Brand, BrandRefused, Picture, clean, parse_color
from ..brand.web import current_brand, forget
from ..catalog import service as catalog
from ..catalog.images import ImageRejected, delete_image, store_upload
from ..clock import utcnow
from ..domain import N_
from ..extensions import db
from .views import bp

COLOURS = ("theme_color", "background_color", "accent_color")
TEXTS = (
    "name", "short_name", "headline", "subheadline", "announcement", "announcement_url", "whatsapp", "phone",
    "email", "instagram", "facebook", "tiktok", "shipping_note", "returns_note", "contact_note",
)  # fmt: skip


class BrandForm(FlaskForm):
    """The brand's fields; checked by brand.rules.clean (contrast included) when saved."""

    name = StringField(_l("Shop name"))
    short_name = StringField(_l("Short name (under the home-screen icon, 12 characters)"))
    logo = FileField(_l("Logo (JPEG, PNG, WebP or GIF; square works best)"))
    remove_logo = BooleanField(_l("Remove the logo"))
    theme_color = StringField(_l("Brand colour (header, buttons, links)"))
    background_color = StringField(_l("Page background colour"))
    accent_color = StringField(_l("Accent colour (announcement bar)"))
    hero = FileField(_l("Hero image (wide, at the top of the home page)"))
    remove_hero = BooleanField(_l("Remove the hero image"))
    headline = StringField(_l("Headline"))
    subheadline = StringField(_l("Sub-headline"))
    hero_category = SelectField(_l("Hero button leads to"), choices=[], validate_choice=False)
    announcement = StringField(_l("Announcement"))
    announcement_url = StringField(_l("Announcement link (optional)"))
    announcement_on = BooleanField(_l("Show the announcement bar"))
    whatsapp = StringField(_l("WhatsApp number, with country code"))
    phone = StringField(_l("Phone"))
    email = StringField(_l("E-mail"))
    instagram = StringField(_l("Instagram link (https://...)"))
    facebook = StringField(_l("Facebook link (https://...)"))
    tiktok = StringField(_l("TikTok link (https://...)"))
    shipping_note = TextAreaField(_l("Shipping note (shown by the buy button)"))
    returns_note = TextAreaField(_l("Returns note"))
    contact_note = TextAreaField(_l("Contact note"))


@bp.route("/brand", methods=["GET", "POST"])
@role_required("owner")
def brand():
    """Show and save the brand; a refused value (low contrast too) is shown again with its message (422)."""
    brand_now = current_brand()
    categories = catalog.categories(db.session)
    form = BrandForm()
    form.hero_category.choices = [("", _("No button"))] + [(str(c.id), c.name) for c in categories]
    if request.method == "GET":
        _fill(form, brand_now)
        return _page(form, categories, featured=list(brand_now.featured))
    featured = _featured_from_form(categories)
    if not form.validate_on_submit():
        return _page(form, categories, featured=featured), 422
    media = Path(current_app.config["MEDIA_ROOT"])
    stored: list[str] = []
    try:
        fields = _fields(form, brand_now, featured)
        clean(replace(brand_now, **fields))  # refuse bad text before storing any upload
        for name in ("logo", "hero"):
            picture = _upload(form, name, media)
            if picture:
                stored.append(picture.key)
                fields[name] = picture
            elif form[f"remove_{name}"].data:
                fields[name] = None
        brand_service.save_brand(db.session, current_app.config, user_id=current_user.id, now=utcnow(), **fields)
        db.session.commit()
    except (BrandRefused, ImageRejected) as err:
        db.session.rollback()
        for key in stored:
            delete_image(key, media)  # no orphan files
        target = getattr(err, "field", "") or ("logo" if isinstance(err, ImageRejected) else "name")
        message = err.message if isinstance(err, BrandRefused) else _(err.message)
        field = form[target] if target in form else form.name  # noqa: SIM401 - a Form has no .get
        field.errors = [*field.errors, message]
        return _page(form, categories, featured=featured, error=message), 422
    except Exception:  # a database error in the save or the commit: no orphan files either
        db.session.rollback()
        for key in stored:
            delete_image(key, media)
        raise
    for name in ("logo", "hero"):  # the old files go once the new brand is committed
        old = getattr(brand_now, name)
        if old and name in fields and (fields[name] is None or fields[name].key != old.key):
            delete_image(old.key, media)
    forget()
    flash(_("Brand saved. Every page, the app icon and the installed app follow now."), "success")
    return redirect(url_for("admin.brand"), code=303)


def _fill(form: BrandForm, brand: Brand) -> None:
    """Put the brand in force into the form."""
    for name in (*TEXTS, *COLOURS):
        form[name].data = getattr(brand, name)
    form.announcement_on.data = brand.announcement_on
    form.hero_category.data = str(brand.hero_category or "")


def _colour(form: BrandForm, name: str, current: str) -> str:
    """The typed hex value when the owner changed it, else the colour picker's (the two agree with JS on)."""
    typed = (form[name].data or "").strip()
    picked = request.form.get(f"{name}_pick", "")
    if typed and typed.lower().lstrip("#") != current.lstrip("#") or not HEX.fullmatch(picked):
        return typed
    form[name].data = picked
    return picked


def _fields(form: BrandForm, brand: Brand, featured: list[int]) -> dict:
    """The brand's new values from the form (text as typed: brand.rules checks and normalises it)."""
    fields: dict = {name: form[name].data or "" for name in TEXTS}
    fields.update({name: _colour(form, name, getattr(brand, name)) for name in COLOURS})
    for name in COLOURS:
        parse_color(fields[name], name)
    fields["announcement_on"] = bool(form.announcement_on.data)
    hero_category = (form.hero_category.data or "").strip()
    if hero_category and not hero_category.isdigit():
        raise BrandRefused(N_("That category no longer exists; reload the page."), "hero_category")
    fields["hero_category"] = int(hero_category) if hero_category and len(hero_category) < 10 else None
    fields["featured"] = tuple(featured)
    return fields


def _featured_from_form(categories: list) -> list[int]:
    """Featured categories from their position boxes (1, 2, 3 ...; empty = not featured), in that order."""
    chosen = []
    for category in categories:
        raw = request.form.get(f"featured_{category.id}", "").strip()
        if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100:
            chosen.append((int(raw), category.position, category.id))
    return [category_id for *_order, category_id in sorted(chosen)]


def _upload(form: BrandForm, name: str, media: Path) -> Picture | None:
    """Store an uploaded logo or hero image like a product photo (never SVG); None when none was sent."""
    upload = form[name].data
    if not upload or not getattr(upload, "filename", ""):
        return None
    cfg = current_app.config
    data = upload.stream.read(cfg["MAX_PHOTO_BYTES"] + 1)
    try:
        image = store_upload(data, media, max_bytes=cfg["MAX_PHOTO_BYTES"], max_pixels=cfg["MAX_PHOTO_PIXELS"])
    except ImageRejected as err:
        err.field = name
        raise
    return Picture(image.key, image.width, image.height, image.widths)


def _page(form: BrandForm, categories: list, *, featured: list[int], error: str = "") -> str:
    """The brand page: the form, with each category's featured position."""
    positions = {category_id: index for index, category_id in enumerate(featured, start=1)}
    saved = current_brand()
    pickers = {name: _picker_value(form[name].data, getattr(saved, name)) for name in COLOURS}
    return render_template(
        "admin/brand.html", form=form, categories=categories, positions=positions, pickers=pickers, error=error
    )


def _picker_value(typed: str | None, saved: str) -> str:
    """The colour picker's value: the typed colour when it is one, else the saved one (a picker needs #rrggbb)."""
    try:
        return parse_color(typed or "", "")
    except BrandRefused:
        return saved
