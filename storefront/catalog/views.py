"""Shopper catalog pages: home, category, search and the shareable product page.

Each is served through the page cache (core.pagecache): rendered once per catalog generation,
locale and arguments, with the visitor's own bits (CSRF token, cart badge, flashes) filled in
per request. A render function passed to it must depend only on what its `vary` arguments say.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ..core.caching import revalidated
from ..core.pagecache import FilledPage, dont_store, shopper_page
from ..extensions import db
from ..inventory.rules import stock_state
from . import service
from .models import Product, Variant
from .rules import MAX_QUERY_CHARS, parse_page, parse_sort, search_terms

bp = Blueprint("catalog", __name__)


def _public(page: FilledPage | str, status: int = 200):
    """A shopper page: storable (the service worker keeps it for offline) but revalidated by ETag.

    Its forms carry the visitor's CSRF token and the cart badge, so it varies by cookie and
    is never served from a cache without asking the server first.
    """
    filled = page if isinstance(page, FilledPage) else None
    response = current_app.make_response((filled.html if filled else page, status))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    if status != 200:
        return response
    return revalidated(response, filled.etag if filled else None)  # unchanged: an empty 304


@bp.get("/")
def home():
    """The shop's front page: featured products and the categories."""

    def render() -> str:
        featured, categories = service.featured(db.session), service.categories(db.session)
        return render_template("catalog/home.html", products=featured, categories=categories)

    return _public(shopper_page(render))


@bp.get("/c/<slug>")
def category(slug: str):
    """One category, sorted and paginated."""
    sort, page = parse_sort(request.args.get("sort")), parse_page(request.args.get("page"))

    def render() -> str:
        cat = service.category_by_slug(db.session, slug)
        listing = service.category_page(db.session, cat, sort, page, current_app.config["PAGE_SIZE"])
        if listing.page != page:
            dont_store()  # a page past the end shows the last one: a flood of numbers must not fill the cache
        categories = service.categories(db.session)
        return render_template("catalog/category.html", category=cat, listing=listing, sort=sort, categories=categories)

    return _public(shopper_page(render, slug, sort, page))


@bp.get("/search")
def search():
    """Search titles and descriptions; empty, long and odd queries get a polite answer."""
    raw = request.args.get("q", "")
    query, truncated = " ".join(search_terms(raw)), len(raw.strip()) > MAX_QUERY_CHARS
    sort, page = parse_sort(request.args.get("sort")), parse_page(request.args.get("page"))

    def render() -> str:
        listing = service.search(db.session, query, sort, page, current_app.config["PAGE_SIZE"])
        if not listing.total or listing.page != page:
            dont_store()  # a random word finds nothing, a page past the end shows the last: keep the cache for the rest
        return render_template("catalog/search.html", query=query, listing=listing, sort=sort, truncated=truncated)

    kind = "search" if _search_worth_caching(query, truncated, page) else None
    return _public(shopper_page(render, query, truncated, sort, page, kind=kind))


def _search_worth_caching(query: str, truncated: bool, page: int) -> bool:
    """Visitors choose search keys: only a short query's first pages may take a place in the cache."""
    cfg = current_app.config
    short = 0 < len(query) <= cfg["SEARCH_CACHE_MAX_QUERY_CHARS"]
    return short and not truncated and page <= cfg["SEARCH_CACHE_MAX_PAGE"]


def render_product(item: Product, *, selected: Variant | None = None, error: str | None = None, status: int = 200):
    """The product page; re-shown with an error (and the shopper's choice) after a refused add."""
    return _public(_product_html(item, selected=selected, error=error), status)


def _product_html(item: Product, *, selected: Variant | None = None, error: str | None = None) -> str:
    """The product page's HTML (the default choice: the first variant not sold out)."""
    variants = item.active_variants
    states = {v.id: stock_state(v.available, v.low_stock_threshold) for v in variants}
    prices = sorted({v.unit_price for v in variants}) or [item.price]
    # A refused add re-shows the page with the shopper's choice, unless that variant is now sold out.
    if selected is None or states.get(selected.id) == "sold_out":
        selected = next((v for v in variants if states[v.id] != "sold_out"), None)
    return render_template(
        "catalog/product.html",
        product=item,
        variants=variants,
        states=states,
        prices=prices,
        selected=selected,
        error=error,
        max_quantity=current_app.config["MAX_LINE_QUANTITY"],
    )


@bp.get("/p/<slug>")
def product(slug: str):
    """The shareable product page (its share box carries the sharer's seller code, if any)."""
    from ..sellers.tracking import share_code

    return _public(shopper_page(lambda: _product_html(service.product_by_slug(db.session, slug)), slug, share_code()))
