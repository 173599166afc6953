"""Rendering the shopper's catalog pages, shared by the catalog views and the cart's refused add."""

from __future__ import annotations

import math
from datetime import UTC

from flask import current_app, render_template

from ..core.caching import revalidated
from ..core.pagecache import FilledPage
from .models import Product, Variant
from .rules import stock_state


def public_page(page: FilledPage | str, status: int = 200):
    """A shopper page: storable (the service worker keeps it for offline) but revalidated by ETag.

    Its forms carry the visitor's CSRF token and the cart badge, so it varies by cookie and
    is never served from a cache without asking the server first.
    """
    filled = page if isinstance(page, FilledPage) else None
    response = current_app.make_response((filled.html if filled else page, status))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    if filled is not None and filled.valid_until is not None:
        # A sale starts or ends then: the service worker never serves its copy past it (service-worker.js).
        response.headers["X-Valid-Until"] = str(math.ceil(filled.valid_until.replace(tzinfo=UTC).timestamp()))
    if status != 200:
        return response
    return revalidated(response, filled.etag if filled else None)  # unchanged: an empty 304


def render_product(item: Product, *, selected: Variant | None = None, error: str | None = None, status: int = 200):
    """The product page; re-shown with an error (and the shopper's choice) after a refused add."""
    return public_page(product_html(item, selected=selected, error=error), status)


def product_html(
    item: Product,
    *,
    selected: Variant | None = None,
    error: str | None = None,
    reviews_view: tuple[bool, int] = (False, 1),
) -> str:
    """The product page's HTML (the default choice: the first variant not sold out).

    `reviews_view` is the reviews section's (photos first, page), read by the reviews package's template.
    """
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
        reviews_photos_first=reviews_view[0],
        reviews_page=reviews_view[1],
    )
