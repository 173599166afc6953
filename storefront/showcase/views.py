"""Public pages: a seller's page /s/<code> and a collection /collections/<slug>, their previews and QR.

Routes (public):
  /s/<code>                         a seller's page (cached like the catalog; a seller link: attributes)
  /collections/<slug>               a collection (a seller's attributes to them; the shop's honours ?ref=)
  /og/s/<code>.jpg?v=<version>      the seller page's preview image (long-cached; a stale ?v= redirects)
  /og/collections/<slug>.jpg?v=...  the collection's collage
  /qr/collections/<slug>.svg        the collection link as a QR code (the shop's with ?ref=CODE when given)
Template globals for the seller and admin pages: seller_page_url, seller_preview_url, collection_url,
collection_preview_url, collection_qr_url, seller_photo_width.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..catalog.models import Product
from ..catalog.pages import public_page
from ..core.pagecache import shopper_page
from ..domain import N_, Invalid, NotFound
from ..extensions import db
from ..orders.limit_rules import whatsapp_number
from ..sellers import accounts, qr, web
from ..sellers import rules as seller_rules
from ..sellers.models import Seller
from . import preview, reads, rules
from .models import Collection

bp = Blueprint("showcase", __name__)

PREVIEW_WIDTHS = (640, 1024, 320, 1600)  # the rendition drawn into a preview: big enough, quick to open
PORTRAIT_WIDTHS = (320, 640, 1024, 1600)
ONE_YEAR = 31536000


def _seller_code(view_args: dict) -> str | None:
    """A seller's page is their link: its code, whatever `?ref=` says."""
    return view_args.get("code")


def _maker(slug: str | None) -> tuple[bool, str | None]:
    """(the collection exists, its seller's code or None for the shop's own): one read per request.

    Both the referral hook and the page's share box ask, before the cached page is read.
    """
    if not rules.is_slug(slug):
        return False, None
    known = g.setdefault("collection_makers", {})
    if slug not in known:
        stmt = (
            select(Collection.id, Seller.code)
            .outerjoin(Seller, Seller.id == Collection.seller_id)
            .where(Collection.slug == slug)
        )
        row = db.session.execute(stmt).first()
        known[slug] = (row is not None, row[1] if row is not None else None)
    return known[slug]


def _collection_code(view_args: dict) -> str | None:
    """A seller's collection is their link; the shop's own (None) lets the page's `?ref=` count."""
    return _maker(view_args.get("slug"))[1]


web.referral_source("showcase.seller_page", _seller_code)
web.referral_source("showcase.collection", _collection_code)


@bp.get("/s/<code>")
def seller_page(code: str):
    """A seller's page: who they are, how to reach them, the products they picked in their order."""

    def render() -> str:
        seller = reads.public_seller(db.session, code)
        return render_template(
            "showcase/seller_page.html",
            seller=seller,
            products=reads.picks(db.session, seller.id),
            collections=reads.seller_collections(db.session, seller.id),
            whatsapp=whatsapp_number(seller.whatsapp, current_app.config.get("SHOP_CALLING_CODE", "")),
        )

    return public_page(shopper_page(render, (code or "").upper()))


@bp.get("/collections/<slug>")
def collection(slug: str):
    """One collection's products in its maker's order, with a share box."""

    def render() -> str:
        found = reads.public_collection(db.session, slug)
        return render_template(
            "showcase/collection.html",
            collection=found,
            products=reads.collection_products(db.session, found.id),
            share_code=code,
        )

    # Whose code the share box carries: nobody's for a seller's own collection (its link is theirs).
    code = web.share_code() if _is_shop_collection(slug) else None
    return public_page(shopper_page(render, slug, code))


def _is_shop_collection(slug: str) -> bool:
    """True when `slug` names the shop's own collection (read once with the referral hook's question)."""
    found, code = _maker(slug)
    return found and code is None


# --- preview images -------------------------------------------------------------------------


def _rendition(key: str | None, widths: tuple[int, ...]) -> Path | None:
    """The first JPEG rendition of `key` found on disk in `widths` order (any width as a last resort)."""
    if not key:
        return None
    root = Path(current_app.config["MEDIA_ROOT"])
    for width in widths:
        path = root / f"{key}-{width}.jpg"
        if path.exists():
            return path
    found = sorted(root.glob(f"{key}-*.jpg"))
    return found[0] if found else None


def _product_photos(products: list[Product]) -> tuple[Path | None, ...]:
    """The first photos of up to four products (those with a photo first: a collage of blanks says nothing)."""
    with_photo = [p for p in products if p.photos][: preview.MAX_PHOTOS]
    return tuple(_rendition(p.photos[0].key, PREVIEW_WIDTHS) for p in with_photo)


def _seller_drawing(seller: Seller) -> preview.Drawing:
    cfg = current_app.config
    return preview.Drawing(
        kind="s",
        owner_id=seller.id,
        title=seller.name,
        subtitle=cfg["SHOP_NAME"],
        portrait=_rendition(seller.photo_key, PREVIEW_WIDTHS),
        photos=_product_photos(reads.picks(db.session, seller.id)),
        accent=cfg["THEME_COLOR"],
    )


def _collection_drawing(found: Collection) -> preview.Drawing:
    cfg = current_app.config
    with force_locale(cfg["SHOP_LOCALE"]):  # one image for everyone: in the shop's own language
        maker = _("By %(name)s", name=found.seller.name) if found.seller is not None else cfg["SHOP_NAME"]
    return preview.Drawing(
        kind="c",
        owner_id=found.id,
        title=found.title,
        subtitle=maker,
        portrait=None,
        photos=_product_photos(reads.collection_products(db.session, found.id)),
        accent=cfg["THEME_COLOR"],
    )


def _send_preview(drawing: preview.Drawing, current_url: str):
    """The drawing's image, or a redirect to its current version when `?v=` is another one."""
    if request.args.get("v") != drawing.version:
        response = redirect(current_url, code=302)
        response.cache_control.max_age = 300
        return response
    try:
        path = preview.ensure_image(Path(current_app.config["MEDIA_ROOT"]), drawing)
    except OSError:
        abort(503)
    response = send_file(path, mimetype="image/jpeg", max_age=ONE_YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.get("/og/s/<code>.jpg")
def seller_preview(code: str):
    """The seller page's preview image: their photo, name and a few of their products."""
    seller = reads.public_seller(db.session, code)
    return _send_preview(_seller_drawing(seller), seller_preview_url(seller))


@bp.get("/og/collections/<slug>.jpg")
def collection_preview(slug: str):
    """The collection's preview image: a collage of its first products, its title and maker."""
    found = reads.public_collection(db.session, slug)
    return _send_preview(_collection_drawing(found), collection_preview_url(found))


@bp.get("/qr/collections/<slug>.svg")
def collection_qr(slug: str):
    """The collection's link as a QR code; the shop's own carries `?ref=` when it names an active seller."""
    found = reads.public_collection(db.session, slug)
    code = None
    raw = request.args.get("ref")
    if found.seller_id is None and raw:
        code = seller_rules.normalise_code(raw)
        if code is None:
            raise Invalid(N_("A referral code has 4 to 12 letters or digits, like ANNA24."))
        seller = accounts.seller_by_code(db.session, code)
        if seller is None or not seller.active:
            raise NotFound(N_("There is no active seller with that code."))
    return qr.svg_response(collection_url(found, code), found.title)


# --- template globals -------------------------------------------------------------------------


@bp.app_template_global()
def seller_page_url(seller: Seller) -> str:
    """Absolute URL of a seller's page."""
    return url_for("showcase.seller_page", code=seller.code, _external=True)


@bp.app_template_global()
def seller_preview_url(seller: Seller) -> str:
    """Absolute URL of the seller page's current preview image."""
    return url_for("showcase.seller_preview", code=seller.code, v=_seller_drawing(seller).version, _external=True)


@bp.app_template_global()
def collection_url(collection: Collection, code: str | None = None) -> str:
    """Absolute URL of a collection; the shop's own carries `?ref=code` when given (a seller's is theirs)."""
    ref = code if collection.seller_id is None and code else None
    return url_for("showcase.collection", slug=collection.slug, ref=ref, _external=True)


@bp.app_template_global()
def collection_preview_url(collection: Collection) -> str:
    """Absolute URL of the collection's current preview image (its collage)."""
    version = _collection_drawing(collection).version
    return url_for("showcase.collection_preview", slug=collection.slug, v=version, _external=True)


@bp.app_template_global()
def collection_qr_url(collection: Collection, code: str | None = None) -> str:
    """URL of the collection's QR code (the shop's own with the seller's code when given)."""
    ref = code if collection.seller_id is None and code else None
    return url_for("showcase.collection_qr", slug=collection.slug, ref=ref)


@bp.app_template_global()
def seller_photo_width(seller: Seller) -> int | None:
    """The smallest stored width of the seller's photo (for media_url), or None without a photo."""
    path = _rendition(seller.photo_key, PORTRAIT_WIDTHS)
    if path is None:
        return None
    try:
        return int(path.stem.rsplit("-", 1)[1])
    except ValueError:
        return None
