"""The seller's own page and collections, edited from a phone (/seller/page, /seller/collections).

Plain forms that work without JavaScript: every change is one POST answered 303 back to the page;
bad input shows the page again with the message (4xx) and changes nothing. Every query is scoped
to g.seller: another seller's collection is a 404, never a 403 that would say it exists.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from ..clock import utcnow
from ..core.security import private_blueprint
from ..domain import DomainError
from ..extensions import db
from ..sellers.access import require_seller
from . import rules, service
from .editor import CollectionEditor, back, search

bp = Blueprint("showcase_seller", __name__, url_prefix="/seller")
private_blueprint(bp)
bp.before_request(require_seller)  # signed-in sellers only; g.seller is theirs

EDITOR = {  # the endpoints the shared collection templates post to (the owner's admin has its own)
    "list": "showcase_seller.collections",
    "create": "showcase_seller.collection_create",
    "move": "showcase_seller.collection_move",
    "edit": "showcase_seller.collection_edit",
    "save": "showcase_seller.collection_save",
    "delete": "showcase_seller.collection_delete",
    "item_add": "showcase_seller.collection_item_add",
    "item_move": "showcase_seller.collection_item_move",
    "item_remove": "showcase_seller.collection_item_remove",
}


# --- the seller's page: their picks ------------------------------------------------------------


def _page(error: str | None = None, status: int = 200):
    return render_template(
        "showcase/seller_page_edit.html",
        seller=g.seller,
        picks=service.picked(db.session, g.seller.id),
        listing=search(),
        error=error,
        limit=rules.MAX_PICKS,
    ), status


@bp.get("/page")
def page():
    """The seller's picks in their order (up, down, remove) and the shop's products to add."""
    return _page()


@bp.post("/page/picks")
def pick_add():
    """Add a product (field `product`) to the end of the seller's page."""
    try:
        service.add_pick(db.session, g.seller.id, service.parse_id(request.form.get("product")), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _page(err.message, err.status_code)
    return back("showcase_seller.page", "#picks")


@bp.post("/page/picks/<int:product_id>/move")
def pick_move(product_id: int):
    """Move a pick one place (field `direction`: up or down)."""
    try:
        service.move_pick(db.session, g.seller.id, product_id, request.form.get("direction", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _page(err.message, err.status_code)
    return back("showcase_seller.page", "#picks")


@bp.post("/page/picks/<int:product_id>/remove")
def pick_remove(product_id: int):
    """Take a product off the seller's page."""
    try:
        service.remove_pick(db.session, g.seller.id, product_id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _page(err.message, err.status_code)
    return back("showcase_seller.page", "#picks")


# --- collections: the shared editor (editor.py), the seller as maker -------------------------------


def _list(error: str | None = None, status: int = 200):
    mine = service.collections_of(db.session, g.seller.id)
    return render_template(
        "showcase/seller_collections.html",
        seller=g.seller,
        collections=mine,
        counts=service.item_counts(db.session, [c.id for c in mine]),
        error=error,
        form=request.form if status >= 400 else {},
        editor=EDITOR,
    ), status


COLLECTIONS = CollectionEditor(lambda: g.seller.id, EDITOR, "sellers/base.html", _list)


@bp.get("/collections")
def collections():
    """The seller's collections in order (up, down), with product counts, and the new-collection form."""
    return _list()


@bp.post("/collections")
def collection_create():
    """Create a collection (fields `title`, `description`), then edit it."""
    return COLLECTIONS.create()


@bp.post("/collections/<int:collection_id>/move")
def collection_move(collection_id: int):
    """Move a collection one place (field `direction`: up or down) among the seller's."""
    return COLLECTIONS.move(collection_id)


@bp.get("/collections/<int:collection_id>")
def collection_edit(collection_id: int):
    """One collection: its title, its products in order, products to add, the share panel."""
    return COLLECTIONS.edit_page(COLLECTIONS.own(collection_id))


@bp.post("/collections/<int:collection_id>")
def collection_save(collection_id: int):
    """Save the title and description; a bad one shows the form again (422) with what was typed."""
    return COLLECTIONS.save(collection_id)


@bp.post("/collections/<int:collection_id>/items")
def collection_item_add(collection_id: int):
    """Add a product (field `product`) at the end of the collection."""
    return COLLECTIONS.item_add(collection_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/move")
def collection_item_move(collection_id: int, product_id: int):
    """Move a product one place (field `direction`: up or down)."""
    return COLLECTIONS.item_move(collection_id, product_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/remove")
def collection_item_remove(collection_id: int, product_id: int):
    """Take a product out of the collection."""
    return COLLECTIONS.item_remove(collection_id, product_id)


@bp.post("/collections/<int:collection_id>/delete")
def collection_delete(collection_id: int):
    """Delete a collection: without `confirm=1` the confirm step is shown, with it the collection goes."""
    return COLLECTIONS.delete(collection_id)
