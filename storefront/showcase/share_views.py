"""The seller's "share several products at once" page: GET /seller/share?p=<slug>&p=<slug>...

The dashboard's checkboxes submit here (a plain GET form: works without JavaScript). The page shows
the products and one message to send: a read-only text block to copy, WhatsApp and Telegram links,
and a Share button (static/js/share-many.js) that hands the photos, text and title to the phone's
share sheet where the browser can share files (Web Share Level 2). It reads only; nothing is written.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..brand.web import current_brand
from ..catalog.models import Product
from ..clock import utcnow
from ..core.security import private_blueprint
from ..core.templating import media_url, money
from ..extensions import db
from ..sellers.access import require_seller
from . import share

bp = Blueprint("showcase_share", __name__, url_prefix="/seller")
private_blueprint(bp)
bp.before_request(require_seller)  # signed-in sellers only; owners and staff get 403
# Template globals for the partial templates/showcase/_share_many.html and the dashboard's checkboxes.
bp.add_app_template_global(share.whatsapp_url, "share_whatsapp_url")
bp.add_app_template_global(share.telegram_url, "share_telegram_url")


@bp.app_template_global()
def share_many_max() -> int:
    """How many products one share may carry (the dashboard says so above its checkboxes)."""
    return share.MAX_PRODUCTS


def _photo_url(product: Product) -> str | None:
    """The main photo's middle jpg rendition (what cards show): small enough to share, same origin."""
    photo = product.main_photo
    if photo is None or not photo.width_list:
        return None
    widths = photo.width_list
    return media_url(photo.key, widths[1] if len(widths) > 1 else widths[0], "jpg")


def _wording(seller_name: str, shop_name: str) -> share.Wording:
    """The message's words in the seller's current language."""
    return share.Wording(
        heading=_("From %(seller)s at %(shop)s:", seller=seller_name, shop=shop_name),
        ranged=lambda price: _("from %(price)s", price=price),
        was=lambda price, regular: _("%(price)s (was %(regular)s)", price=price, regular=regular),
    )


def _notices(dropped: int, over_limit: int) -> list[str]:
    """What the page says about products left out."""
    notices = []
    if dropped:
        notices.append(
            ngettext(
                "%(num)s product is not on sale any more and was left out.",
                "%(num)s products are not on sale any more and were left out.",
                dropped,
            )
        )
    if over_limit:
        notices.append(
            _("You can share at most %(max)s products at once: the first %(max)s are here.", max=share.MAX_PRODUCTS)
        )
    return notices


@bp.get("/share")
def share_many():
    """The chosen products and one message carrying them all, each link with the seller's code."""
    picked = share.pick_slugs(request.args.getlist("p"))
    products, dropped = share.load_products(db.session, picked.slugs)
    seller = g.seller
    items = share.share_items(
        products,
        utcnow(),
        lambda slug: url_for("catalog.product", slug=slug, ref=seller.code, _external=True),
        _photo_url,
    )
    shop_name = current_brand().name
    text = share.message(items, money, _wording(seller.name, shop_name)) if items else ""
    page = render_template(
        "showcase/share_many.html",
        seller=seller,
        items=items,
        text=text,
        title=shop_name,
        notices=_notices(len(dropped), picked.over_limit),
    )
    return page, (200 if items else 422)
