"""Public pages: a seller's page /s/<code> and a collection /collections/<slug> (cached like the catalog)."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..catalog.pages import public_page
from ..core.pagecache import shopper_page
from ..extensions import db
from . import reads

bp = Blueprint("showcase", __name__)


@bp.get("/s/<code>")
def seller_page(code: str):
    """A seller's page: who they are and the products they picked, in their order."""

    def render() -> str:
        seller = reads.public_seller(db.session, code)
        return render_template(
            "showcase/seller_page.html",
            seller=seller,
            products=reads.picks(db.session, seller.id),
            collections=reads.seller_collections(db.session, seller.id),
        )

    return public_page(shopper_page(render, code.upper()))


@bp.get("/collections/<slug>")
def collection(slug: str):
    """One collection's products, in its maker's order."""

    def render() -> str:
        found = reads.public_collection(db.session, slug)
        return render_template(
            "showcase/collection.html", collection=found, products=reads.collection_products(db.session, found.id)
        )

    return public_page(shopper_page(render, slug))
