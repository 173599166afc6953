"""The seller's own dashboard at /seller (phone-first): share links, clicks, orders, commission."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from ..catalog.service import product_by_slug
from ..clock import utcnow
from ..core.security import private_blueprint
from ..extensions import db
from . import reports, share_list
from .access import require_seller
from .rules import ENTRY_LABELS

bp = Blueprint("seller", __name__, url_prefix="/seller")
private_blueprint(bp)


bp.before_request(require_seller)  # signed-in sellers only; owners and staff have the admin (403 here)


@bp.get("/")
def dashboard():
    """Best products first, figures, the shop link, then a searched, paged share list (sold-out hidden unless asked)."""
    data = reports.dashboard(db.session, g.seller, utcnow(), recent=5)
    listing = share_list.search_products(
        db.session,
        request.args.get("q", ""),
        request.args.get("sold_out") == "1",
        share_list.parse_page(request.args.get("page")),
    )
    slugs = [p.slug for p in listing.products] + [t.slug for t in data.top_products]
    return render_template(
        "sellers/dashboard.html",
        seller=g.seller,
        data=data,
        listing=listing,
        catalogue=share_list.with_photos(db.session, slugs),
        labels=ENTRY_LABELS,
    )


@bp.get("/commissions")
def commissions():
    """Every commission (newest first) and every payout."""
    data = reports.dashboard(db.session, g.seller, utcnow(), recent=200)
    return render_template("sellers/commissions.html", seller=g.seller, data=data, labels=ENTRY_LABELS)


@bp.get("/poster")
def poster():
    """A printable poster: the QR code of the shop link, or of one product's link (?product=<slug>)."""
    slug = request.args.get("product", "")
    product = product_by_slug(db.session, slug) if slug else None
    return render_template("sellers/poster.html", seller=g.seller, product=product)
