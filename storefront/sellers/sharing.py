"""Sharing: QR codes (SVG) for product and shop links, the Open Graph share image, template helpers.

Routes (public, cacheable):
  /qr/p/<slug>.svg[?ref=CODE]   a product link, with a seller's code when given
  /qr/s/<CODE>.svg              a seller's shop link (the home page with ?ref=CODE)
  /og/p/<slug>.jpg?v=<version>  the 1200x630 preview image (long-cached; a stale ?v= redirects)
This blueprint also installs the seller-link hooks (web.py) and the template globals the
product page's `_og.html` and `_share.html` partials use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..catalog.models import Product
from ..catalog.service import product_by_slug
from ..domain import N_, Invalid, NotFound
from ..extensions import db
from ..money import format_amount_plain, format_money
from . import accounts, qr, rules, share_image, web

bp = Blueprint("share", __name__)
bp.before_app_request(web.note_referral)
bp.after_app_request(web.record_referral)
# The product page reads it too: its cached copies vary by the code their share box carries.
bp.add_app_template_global(web.share_code, "share_code")

ONE_YEAR = 31536000


@dataclass(frozen=True)
class ShareLinks:
    """Everything the share partial shows: the link to share and the chat apps' share URLs."""

    url: str
    code: str | None
    qr_url: str


def _ref_code_or_400() -> str | None:
    """The `?ref=` of a QR request: absent, or an active seller's code (400 malformed, 404 unknown)."""
    raw = request.args.get("ref")
    if raw is None or raw == "":
        return None
    code = rules.normalise_code(raw)
    if code is None:
        raise Invalid(N_("A referral code has 4 to 12 letters or digits, like ANNA24."))
    seller = accounts.seller_by_code(db.session, code)
    if seller is None or not seller.active:
        raise NotFound(N_("There is no active seller with that code."))
    return code


@bp.get("/qr/p/<slug>.svg")
def product_qr(slug: str):
    """The QR code of a product link (with a seller's code when `?ref=` names an active seller)."""
    product = product_by_slug(db.session, slug)
    code = _ref_code_or_400()
    return qr.svg_response(url_for("catalog.product", slug=product.slug, ref=code, _external=True), product.title)


@bp.get("/qr/s/<code>.svg")
def shop_qr(code: str):
    """The QR code of a seller's shop link: the home page carrying their code."""
    normal = rules.normalise_code(code)
    if normal is None:
        raise Invalid(N_("A referral code has 4 to 12 letters or digits, like ANNA24."))
    seller = accounts.seller_by_code(db.session, normal)
    if seller is None or not seller.active:
        raise NotFound(N_("There is no active seller with that code."))
    return qr.svg_response(url_for("catalog.home", ref=normal, _external=True), current_app.config["SHOP_NAME"])


# --- the Open Graph image ---------------------------------------------------------------------


def _lowest_price(product: Product) -> tuple[int, bool]:
    """The lowest price a shopper pays and whether other options cost more."""
    prices = sorted({v.unit_price for v in product.active_variants}) or [product.price]
    return prices[0], len(prices) > 1


def _price_text(product: Product) -> str:
    """The price drawn on the image, in the shop's own locale (the image is the same for everyone)."""
    cfg = current_app.config
    lowest, ranged = _lowest_price(product)
    text = format_money(lowest, cfg["SHOP_CURRENCY"], cfg["SHOP_LOCALE"])
    if not ranged:
        return text
    with force_locale(cfg["SHOP_LOCALE"]):
        return _("from %(price)s", price=text)


def _image_version(product: Product) -> str:
    photo = product.photos[0] if product.photos else None
    return share_image.image_version(
        product.title, _price_text(product), photo.key if photo else None, current_app.config["SHOP_NAME"]
    )


def _photo_file(product: Product) -> Path | None:
    """The largest JPEG rendition of the product's first photo, if it has one."""
    if not product.photos:
        return None
    photo = product.photos[0]
    return Path(current_app.config["MEDIA_ROOT"]) / f"{photo.key}-{max(photo.width_list)}.jpg"


@bp.get("/og/p/<slug>.jpg")
def og_image(slug: str):
    """The product's share image; a URL with an old version redirects to the current one."""
    product = product_by_slug(db.session, slug)
    version = _image_version(product)
    if request.args.get("v") != version:
        response = redirect(url_for("share.og_image", slug=product.slug, v=version), code=302)
        response.cache_control.max_age = 300
        return response
    cfg = current_app.config
    try:
        path = share_image.ensure_image(
            Path(cfg["MEDIA_ROOT"]),
            product.id,
            version,
            title=product.title,
            price_text=_price_text(product),
            shop_name=cfg["SHOP_NAME"],
            photo_file=_photo_file(product),
            accent=cfg["THEME_COLOR"],
        )
    except OSError:
        abort(503)
    response = send_file(path, mimetype="image/jpeg", max_age=ONE_YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


# --- template helpers -------------------------------------------------------------------------


@bp.app_template_global()
def og_image_url(product: Product) -> str:
    """Absolute URL of the product's current share image."""
    return url_for("share.og_image", slug=product.slug, v=_image_version(product), _external=True)


@bp.app_template_global()
def og_price_amount(product: Product) -> str:
    """The lowest price as a plain decimal for product:price:amount ("12.50")."""
    return format_amount_plain(_lowest_price(product)[0], current_app.config["SHOP_CURRENCY"])


@bp.app_template_global()
def share_links(product: Product) -> ShareLinks:
    """The product's share URL (absolute, with the sharer's ref code if any) and its QR code URL."""
    code = web.share_code()
    return ShareLinks(
        url=url_for("catalog.product", slug=product.slug, ref=code, _external=True),
        code=code,
        qr_url=url_for("share.product_qr", slug=product.slug, ref=code),
    )
