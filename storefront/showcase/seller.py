"""The seller's own page and collections, edited from a phone (/seller/page, /seller/collections).

Plain forms that work without JavaScript: every change is one POST answered 303 back to the page;
bad input shows the page again with the message (4xx) and changes nothing. Every query is scoped
to g.seller: another seller's collection is a 404, never a 403 that would say it exists.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from ..clock import utcnow
from ..core.security import private_blueprint
from ..domain import DomainError
from ..extensions import db
from ..sellers import share_list
from ..sellers.access import require_seller
from . import rules, service

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


def _search():
    """One page of the shop's products on sale matching ?q= (sold-out included: a seller may still pick it)."""
    query = request.values.get("q", "")
    return share_list.search_products(db.session, query, True, share_list.parse_page(request.values.get("page")))


def _back(endpoint: str, anchor: str = "", **values):
    """303 back to a page, keeping the seller's search."""
    query = " ".join(request.form.get("q", "").split())[: share_list.MAX_QUERY]
    if query:
        values["q"] = query
    return redirect(url_for(endpoint, **values) + anchor, code=303)


# --- the seller's page: their picks ------------------------------------------------------------


def _page(error: str | None = None, status: int = 200):
    return render_template(
        "showcase/seller_page_edit.html",
        seller=g.seller,
        picks=service.picked(db.session, g.seller.id),
        listing=_search(),
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
    return _back("showcase_seller.page", "#picks")


@bp.post("/page/picks/<int:product_id>/move")
def pick_move(product_id: int):
    """Move a pick one place (field `direction`: up or down)."""
    try:
        service.move_pick(db.session, g.seller.id, product_id, request.form.get("direction", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _page(err.message, err.status_code)
    return _back("showcase_seller.page", "#picks")


@bp.post("/page/picks/<int:product_id>/remove")
def pick_remove(product_id: int):
    """Take a product off the seller's page."""
    try:
        service.remove_pick(db.session, g.seller.id, product_id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _page(err.message, err.status_code)
    return _back("showcase_seller.page", "#picks")


# --- collections ---------------------------------------------------------------------------------


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


def _edit(collection, error: str | None = None, status: int = 200, form=None):
    return render_template(
        "showcase/seller_collection_edit.html",
        seller=g.seller,
        collection=collection,
        products=service.items(db.session, collection),
        listing=_search(),
        error=error,
        form=form or {"title": collection.title, "description": collection.description},
        editor=EDITOR,
        limit=rules.MAX_ITEMS,
    ), status


def _mine(collection_id: int):
    """The seller's own collection, else a 404 (DomainError NotFound, turned into the 404 page)."""
    return service.collection_for(db.session, collection_id, g.seller.id)


@bp.get("/collections")
def collections():
    """The seller's collections in order (up, down), with product counts, and the new-collection form."""
    return _list()


@bp.post("/collections")
def collection_create():
    """Create a collection (fields `title`, `description`), then edit it."""
    try:
        made = service.create_collection(
            db.session, g.seller.id, request.form.get("title"), request.form.get("description"), utcnow()
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _list(err.message, err.status_code)
    return redirect(url_for("showcase_seller.collection_edit", collection_id=made.id), code=303)


@bp.post("/collections/<int:collection_id>/move")
def collection_move(collection_id: int):
    """Move a collection one place (field `direction`: up or down) among the seller's."""
    collection = _mine(collection_id)
    try:
        service.move_collection(db.session, collection, request.form.get("direction", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _list(err.message, err.status_code)
    return redirect(url_for("showcase_seller.collections"), code=303)


@bp.get("/collections/<int:collection_id>")
def collection_edit(collection_id: int):
    """One collection: its title, its products in order, products to add, the share panel."""
    return _edit(_mine(collection_id))


@bp.post("/collections/<int:collection_id>")
def collection_save(collection_id: int):
    """Save the title and description; a bad one shows the form again (422) with what was typed."""
    collection = _mine(collection_id)
    try:
        service.update_collection(
            db.session, collection, request.form.get("title"), request.form.get("description"), utcnow()
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_mine(collection_id), err.message, err.status_code, form=request.form)
    return redirect(url_for("showcase_seller.collection_edit", collection_id=collection_id), code=303)


@bp.post("/collections/<int:collection_id>/items")
def collection_item_add(collection_id: int):
    """Add a product (field `product`) at the end of the collection."""
    collection = _mine(collection_id)
    try:
        service.add_item(db.session, collection, service.parse_id(request.form.get("product")), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_mine(collection_id), err.message, err.status_code)
    return _back("showcase_seller.collection_edit", "#items", collection_id=collection_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/move")
def collection_item_move(collection_id: int, product_id: int):
    """Move a product one place (field `direction`: up or down)."""
    collection = _mine(collection_id)
    try:
        service.move_item(db.session, collection, product_id, request.form.get("direction", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_mine(collection_id), err.message, err.status_code)
    return _back("showcase_seller.collection_edit", "#items", collection_id=collection_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/remove")
def collection_item_remove(collection_id: int, product_id: int):
    """Take a product out of the collection."""
    collection = _mine(collection_id)
    try:
        service.remove_item(db.session, collection, product_id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_mine(collection_id), err.message, err.status_code)
    return _back("showcase_seller.collection_edit", "#items", collection_id=collection_id)


@bp.post("/collections/<int:collection_id>/delete")
def collection_delete(collection_id: int):
    """Delete a collection: without `confirm=1` the confirm step is shown, with it the collection goes."""
    collection = _mine(collection_id)
    if request.form.get("confirm") != "1":
        return render_template(
            "showcase/seller_collection_delete.html", seller=g.seller, collection=collection, editor=EDITOR
        )
    service.delete_collection(db.session, collection, utcnow())
    db.session.commit()
    return redirect(url_for("showcase_seller.collections"), code=303)
