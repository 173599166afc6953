"""Admin: collections under /admin/collections (owner only): the shop's own, and hiding a seller's.

The shop's own collections (seller_id NULL) are made and edited like a seller's, through the same
showcase.service and the same templates (templates/showcase/seller_*.html on the admin base).
Every seller's collection is listed with its seller, product count and a Hide/Show switch.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.guards import role_required
from ..clock import utcnow
from ..domain import N_, DomainError, Invalid, NotFound
from ..extensions import db
from ..sellers import share_list
from ..showcase import rules, service
from ..showcase.models import Collection
from .views import bp

BASE = "admin/base.html"
EDITOR = {
    "list": "admin.collections",
    "create": "admin.collection_create",
    "move": "admin.collection_move",
    "edit": "admin.collection_edit",
    "save": "admin.collection_save",
    "delete": "admin.collection_delete",
    "item_add": "admin.collection_item_add",
    "item_move": "admin.collection_item_move",
    "item_remove": "admin.collection_item_remove",
}


def _search():
    query = request.values.get("q", "")
    return share_list.search_products(db.session, query, True, share_list.parse_page(request.values.get("page")))


def _back(endpoint: str, anchor: str = "", **values):
    query = " ".join(request.form.get("q", "").split())[: share_list.MAX_QUERY]
    if query:
        values["q"] = query
    return redirect(url_for(endpoint, **values) + anchor, code=303)


def _sellers_collections() -> list[Collection]:
    stmt = (
        select(Collection)
        .where(Collection.seller_id.is_not(None))
        .options(selectinload(Collection.seller))
        .order_by(Collection.seller_id, Collection.position, Collection.id)
    )
    return list(db.session.scalars(stmt))


def _list(error: str | None = None, status: int = 200):
    own = service.collections_of(db.session, None)
    theirs = _sellers_collections()
    return render_template(
        "admin/collections.html",
        base_template=BASE,
        collections=own,
        theirs=theirs,
        counts=service.item_counts(db.session, [c.id for c in own + theirs]),
        error=error,
        form=request.form if status >= 400 else {},
        editor=EDITOR,
    ), status


def _edit(collection, error: str | None = None, status: int = 200, form=None):
    return render_template(
        "showcase/seller_collection_edit.html",
        base_template=BASE,
        collection=collection,
        products=service.items(db.session, collection),
        listing=_search(),
        error=error,
        form=form or {"title": collection.title, "description": collection.description},
        editor=EDITOR,
        limit=rules.MAX_ITEMS,
    ), status


def _own(collection_id: int) -> Collection:
    """One of the shop's own collections (a seller's is edited by its seller: 404 here)."""
    return service.collection_for(db.session, collection_id, None)


@bp.get("/collections")
@role_required("owner")
def collections():
    """The shop's own collections (create, reorder, edit) and every seller's (hide or show)."""
    return _list()


@bp.post("/collections")
@role_required("owner")
def collection_create():
    """Create one of the shop's collections (fields `title`, `description`), then edit it."""
    try:
        made = service.create_collection(
            db.session, None, request.form.get("title"), request.form.get("description"), utcnow()
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _list(err.message, err.status_code)
    return redirect(url_for("admin.collection_edit", collection_id=made.id), code=303)


@bp.post("/collections/<int:collection_id>/move")
@role_required("owner")
def collection_move(collection_id: int):
    """Move one of the shop's collections one place (field `direction`)."""
    collection = _own(collection_id)
    try:
        service.move_collection(db.session, collection, request.form.get("direction", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _list(err.message, err.status_code)
    return redirect(url_for("admin.collections"), code=303)


@bp.post("/collections/<int:collection_id>/hidden")
@role_required("owner")
def collection_hidden(collection_id: int):
    """Hide (field `hidden`=1) or show (0) any collection, a seller's included."""
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(N_("We could not find that collection."))
    raw = request.form.get("hidden", "")
    try:
        if raw not in ("0", "1"):
            raise Invalid(N_("Choose hide or show."))
        service.set_hidden(db.session, collection, raw == "1", utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _list(err.message, err.status_code)
    return redirect(url_for("admin.collections") + "#sellers-collections", code=303)


@bp.get("/collections/<int:collection_id>")
@role_required("owner")
def collection_edit(collection_id: int):
    """One of the shop's collections: its products in order, products to add, the share panel."""
    return _edit(_own(collection_id))


@bp.post("/collections/<int:collection_id>")
@role_required("owner")
def collection_save(collection_id: int):
    """Save the title and description; a bad one shows the form again (422)."""
    collection = _own(collection_id)
    try:
        service.update_collection(
            db.session, collection, request.form.get("title"), request.form.get("description"), utcnow()
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_own(collection_id), err.message, err.status_code, form=request.form)
    return redirect(url_for("admin.collection_edit", collection_id=collection_id), code=303)


@bp.post("/collections/<int:collection_id>/items")
@role_required("owner")
def collection_item_add(collection_id: int):
    """Add a product (field `product`) at the end."""
    collection = _own(collection_id)
    try:
        service.add_item(db.session, collection, service.parse_id(request.form.get("product")), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_own(collection_id), err.message, err.status_code)
    return _back("admin.collection_edit", "#items", collection_id=collection_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/move")
@role_required("owner")
def collection_item_move(collection_id: int, product_id: int):
    """Move a product one place (field `direction`)."""
    collection = _own(collection_id)
    try:
        service.move_item(db.session, collection, product_id, request.form.get("direction", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_own(collection_id), err.message, err.status_code)
    return _back("admin.collection_edit", "#items", collection_id=collection_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/remove")
@role_required("owner")
def collection_item_remove(collection_id: int, product_id: int):
    """Take a product out."""
    collection = _own(collection_id)
    try:
        service.remove_item(db.session, collection, product_id, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _edit(_own(collection_id), err.message, err.status_code)
    return _back("admin.collection_edit", "#items", collection_id=collection_id)


@bp.post("/collections/<int:collection_id>/delete")
@role_required("owner")
def collection_delete(collection_id: int):
    """Delete one of the shop's collections, after the confirm step (`confirm=1`)."""
    collection = _own(collection_id)
    if request.form.get("confirm") != "1":
        return render_template(
            "showcase/seller_collection_delete.html", base_template=BASE, collection=collection, editor=EDITOR
        )
    service.delete_collection(db.session, collection, utcnow())
    db.session.commit()
    return redirect(url_for("admin.collections"), code=303)
