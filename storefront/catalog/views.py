"""Shopper catalog pages: home, category, search and the shareable product page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ..core.caching import revalidated
from ..extensions import db
from ..inventory.rules import stock_state
from . import service
from .models import Product, Variant
from .rules import MAX_QUERY_CHARS, parse_page, parse_sort, search_terms

bp = Blueprint("catalog", __name__)


def _public(response_body: str, status: int = 200):
    """A shopper page: storable (the service worker keeps it for offline) but revalidated by ETag.

    Its forms carry the visitor's CSRF token and the cart badge, so it varies by cookie and
    is never served from a cache without asking the server first.
    """
    response = current_app.make_response((response_body, status))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return revalidated(response) if status == 200 else response  # unchanged: an empty 304


@bp.get("/")
def home():
    """The shop's front page: featured products and the categories."""
    return _public(
        render_template(
            "catalog/home.html", products=service.featured(db.session), categories=service.categories(db.session)
        )
    )


@bp.get("/c/<slug>")
def category(slug: str):
    """One category, sorted and paginated."""
    cat = service.category_by_slug(db.session, slug)
    sort, page = parse_sort(request.args.get("sort")), parse_page(request.args.get("page"))
    listing = service.category_page(db.session, cat, sort, page, current_app.config["PAGE_SIZE"])
    return _public(
        render_template(
            "catalog/category.html", category=cat, listing=listing, sort=sort, categories=service.categories(db.session)
        )
    )


@bp.get("/search")
def search():
    """Search titles and descriptions; empty, long and odd queries get a polite answer."""
    raw = request.args.get("q", "")
    query = " ".join(search_terms(raw))
    sort, page = parse_sort(request.args.get("sort")), parse_page(request.args.get("page"))
    listing = service.search(db.session, query, sort, page, current_app.config["PAGE_SIZE"])
    return _public(
        render_template(
            "catalog/search.html", query=query, listing=listing, sort=sort, truncated=len(raw.strip()) > MAX_QUERY_CHARS
        )
    )


def render_product(item: Product, *, selected: Variant | None = None, error: str | None = None, status: int = 200):
    """The product page; re-shown with an error (and the shopper's choice) after a refused add."""
    variants = item.active_variants
    states = {v.id: stock_state(v.available, v.low_stock_threshold) for v in variants}
    prices = sorted({v.unit_price for v in variants}) or [item.price]
    if selected is None:
        selected = next((v for v in variants if states[v.id] != "sold_out"), None)
    html = render_template(
        "catalog/product.html",
        product=item,
        variants=variants,
        states=states,
        prices=prices,
        selected=selected,
        error=error,
        max_quantity=current_app.config["MAX_LINE_QUANTITY"],
    )
    return _public(html, status)


@bp.get("/p/<slug>")
def product(slug: str):
    """The shareable product page."""
    return render_product(service.product_by_slug(db.session, slug))
