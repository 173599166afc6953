"""Template globals that put JSON-LD on shopper pages: product, category, home, stores and page trails.

Each gathers the page's facts (absolute URLs, the brand, the settings, sources.py's borrowed
facts) and hands them to the pure builders in jsonld.py. Nothing here depends on the visitor:
the result is part of the cached page (core.pagecache), so it may only depend on what the
page's cache key does (catalog generation, locale, host, the page's arguments).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..brand.web import current_brand
from ..clock import utcnow
from ..extensions import db
from . import jsonld, sources

if TYPE_CHECKING:
    from ..catalog.models import Category, Photo, Product, Variant
    from ..stores.models import Store

bp = Blueprint("seo", __name__)


class ShownReviews(Protocol):
    """The product page's reviews section as the reviews package hands it to templates."""

    rating: jsonld.RatingLike | None
    reviews: Sequence[object]  # rows with author_name, rating, published_at, body


def _scripts(*items: dict) -> Markup:
    """One JSON-LD element per item (each escaped for HTML by jsonld.script)."""
    return Markup("".join(jsonld.script(item) for item in items))  # noqa: S704 - jsonld.script escapes


def _home() -> str:
    """The home page's absolute URL (the shop's own address in every trail and as the seller)."""
    return url_for("catalog.home", _external=True)


def _shop() -> jsonld.Shop:
    """The seller and its policies, from the brand and the settings."""
    cfg = current_app.config
    return jsonld.Shop(
        name=current_brand().name,
        url=_home(),
        currency=cfg["SHOP_CURRENCY"],
        country=cfg["SHOP_COUNTRY"],
        shipping_fee=cfg["SHIPPING_FLAT_FEE"],
        return_days=sources.return_window_days(db.session),
    )


def _offer(item: Product, variant: Variant, now: datetime) -> jsonld.OfferFacts:
    """One variant's offer at `now`: a running sale's price, with the regular one and the sale's last day."""
    sale = variant.sale_at(now)
    price = variant.price_at(now)
    if sale is None:
        return jsonld.OfferFacts(variant.sku, variant.name, price, variant.available, _variant_url(item, variant))
    last_day = (sale.ends_at - timedelta(seconds=1)).date().isoformat()  # it ends at ends_at, exclusive
    return jsonld.OfferFacts(
        variant.sku,
        variant.name,
        price,
        variant.available,
        _variant_url(item, variant),
        variant.regular_price,
        last_day,
    )


def _image(photo: Photo) -> str:
    """Absolute URL of a photo's largest JPEG rendition."""
    return url_for("core.media", name=f"{photo.key}-{max(photo.width_list)}.jpg", _external=True)


@bp.app_template_global()
def product_jsonld(item: Product, variants: Sequence[Variant], shown: ShownReviews | None = None) -> Markup:
    """Product (one Offer per offered variant) and its breadcrumb trail.

    `shown`: the reviews section's rating and reviews when the page already read them (page 1, newest first).
    """
    url = url_for("catalog.product", slug=item.slug, _external=True)
    offers = tuple(_offer(item, v, utcnow()) for v in variants) or (
        jsonld.OfferFacts("", "", item.price, 0, url),  # nothing offered: shown as not available
    )
    facts = jsonld.ProductFacts(
        name=item.title,
        description=Markup(item.description_html or "").striptags(),  # noqa: S704 - sanitised at save, only read
        images=tuple(_image(p) for p in item.photos if p.width_list),
        url=url,
        sku=variants[0].sku if variants else "",
        offers=offers,
    )
    if shown is None:
        rating = sources.product_rating(db.session, item.id)
        reviews = sources.product_reviews(db.session, item.id) if rating is not None else ()
    else:  # the reviews section's rating and first page, read once for both
        rating, reviews = shown.rating, tuple(sources.review_facts(r) for r in shown.reviews)
    # The page shows a nameless review as "A shopper"; the structured data says the same.
    reviews = tuple(replace(r, author=r.author or _("A shopper")) for r in reviews)
    trail = [(_("Home"), _home())]
    if item.category is not None:
        trail.append((item.category.name, url_for("catalog.category", slug=item.category.slug, _external=True)))
    trail.append((item.title, url))
    return _scripts(jsonld.product(facts, _shop(), rating, reviews), jsonld.breadcrumbs(trail))


def _variant_url(item: Product, variant: Variant) -> str:
    """The product page with this variant chosen (catalog.views reads ?variant=)."""
    return url_for("catalog.product", slug=item.slug, variant=variant.id, _external=True)


@bp.app_template_global()
def category_jsonld(category: Category, products: Iterable[Product]) -> Markup:
    """The category's breadcrumb trail and the list of the products this page shows."""
    url = url_for("catalog.category", slug=category.slug, _external=True)
    urls = [url_for("catalog.product", slug=p.slug, _external=True) for p in products]
    items = [jsonld.breadcrumbs([(_("Home"), _home()), (category.name, url)])]
    if urls:
        items.append(jsonld.item_list(urls))
    return _scripts(*items)


@bp.app_template_global()
def page_jsonld(name: str) -> Markup:
    """The trail home > this page (the stores page, the shop's own pages)."""
    return _scripts(jsonld.breadcrumbs([(_("Home"), _home()), (name, request.base_url)]))


@bp.app_template_global()
def shop_jsonld() -> Markup:
    """The home page's Organization (name, logo, profiles, contact) and WebSite with its search."""
    brand = current_brand()
    home = _home()
    if brand.logo is not None:
        logo = url_for("core.media", name=f"{brand.logo.key}-{max(brand.logo.widths)}.jpg", _external=True)
    else:
        logo = url_for("pwa.icon", name="icon-512.png", _external=True)  # the shop's initials, 512 px
    org = jsonld.OrganizationFacts(
        name=brand.name,
        url=home,
        logo=logo,
        same_as=tuple(link for link in (brand.instagram, brand.facebook, brand.tiktok) if link),
        telephone=brand.phone,
        email=brand.email,
    )
    search = url_for("catalog.search", _external=True) + "?q={search_term_string}"
    return _scripts(jsonld.organization(org), jsonld.website(brand.name, home, search))


@bp.app_template_global()
def stores_jsonld(stores: Iterable[Store]) -> Markup:
    """A Store (LocalBusiness) for each store listed, and the page's breadcrumb trail."""
    country, phone = current_app.config["SHOP_COUNTRY"], current_brand().phone
    page = url_for("stores.stores", _external=True)
    items = [
        jsonld.store(
            jsonld.StoreFacts(
                name=s.name,
                street=s.address,
                locality=s.city,
                postcode=s.postcode,
                country=country,
                latitude=s.latitude,
                longitude=s.longitude,
                opening_hours=s.opening_hours,
                url=page,
                telephone=phone,
                id=f"{page}#store-{s.id}",
            )
        )
        for s in stores
    ]
    items.append(jsonld.breadcrumbs([(_("Home"), _home()), (_("Stores"), page)]))
    return _scripts(*items)
