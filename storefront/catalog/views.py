"""Shopper catalog pages: home, category, search and the shareable product page.

Each is served through the page cache (core.pagecache): rendered once per catalog generation,
locale and arguments, with the visitor's own bits (CSRF token, cart badge, flashes) filled in
per request. A render function passed to it must depend only on what its `vary` arguments say.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ..core.inputs import parse_id
from ..core.pagecache import dont_store, shopper_page
from ..extensions import db
from . import service
from .pages import product_html, public_page
from .rules import MAX_QUERY_CHARS, parse_page, parse_sort, search_terms

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    """The shop's front page: featured products and the categories."""

    def render() -> str:
        featured, categories = service.featured(db.session), service.categories(db.session)
        return render_template("catalog/home.html", products=featured, categories=categories)

    return public_page(shopper_page(render))


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

    return public_page(shopper_page(render, slug, sort, page))


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
        suggestions = service.search_suggestions(db.session, query) if query and not listing.total else None
        return render_template(
            "catalog/search.html",
            query=query,
            listing=listing,
            sort=sort,
            truncated=truncated,
            suggestions=suggestions,
        )

    kind = "search" if _search_worth_caching(query, truncated, page) else None
    return public_page(shopper_page(render, query, truncated, sort, page, kind=kind))


def _search_worth_caching(query: str, truncated: bool, page: int) -> bool:
    """Visitors choose search keys: only a short query's first pages may take a place in the cache."""
    cfg = current_app.config
    short = 0 < len(query) <= cfg["SEARCH_CACHE_MAX_QUERY_CHARS"]
    return short and not truncated and page <= cfg["SEARCH_CACHE_MAX_PAGE"]


@bp.get("/p/<slug>")
def product(slug: str):
    """The shareable product page (its share box carries the sharer's seller code, if any).

    `?variant=<id>` opens it with that variant chosen: each offer's own URL in the structured data
    and each feed item's link.
    """
    variant_id = parse_id(request.args.get("variant"))

    # The reviews section's sort (?reviews=photos) and page (?reviews_page=N): part of the cache key.
    photos_first, reviews_page = request.args.get("reviews") == "photos", parse_page(request.args.get("reviews_page"))

    def render() -> str:
        item = service.product_by_slug(db.session, slug)
        chosen = next((v for v in item.active_variants if v.id == variant_id), None)
        if variant_id is not None and chosen is None:
            dont_store()  # not one of its variants: made-up numbers must not fill the cache
        return product_html(item, selected=chosen, reviews_view=(photos_first, reviews_page))

    return public_page(shopper_page(render, slug, _share_code(), variant_id, photos_first, reviews_page))


def _share_code() -> str | None:
    """The seller code this page's share box carries (a template global of the sellers blueprint), if any.

    Read through the app, not imported: catalog sits below sellers. Cached copies vary by it.
    """
    provider = current_app.jinja_env.globals.get("share_code")
    return provider() if provider is not None else None
