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
from ..showcase import service
from ..showcase.editor import CollectionEditor
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


COLLECTIONS = CollectionEditor(lambda: None, EDITOR, BASE, _list)  # the shop's own: seller_id NULL


@bp.get("/collections")
@role_required("owner")
def collections():
    """The shop's own collections (create, reorder, edit) and every seller's (hide or show)."""
    return _list()


@bp.post("/collections")
@role_required("owner")
def collection_create():
    """Create one of the shop's collections (fields `title`, `description`), then edit it."""
    return COLLECTIONS.create()


@bp.post("/collections/<int:collection_id>/move")
@role_required("owner")
def collection_move(collection_id: int):
    """Move one of the shop's collections one place (field `direction`)."""
    return COLLECTIONS.move(collection_id)


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
    return COLLECTIONS.edit_page(COLLECTIONS.own(collection_id))


@bp.post("/collections/<int:collection_id>")
@role_required("owner")
def collection_save(collection_id: int):
    """Save the title and description; a bad one shows the form again (422)."""
    return COLLECTIONS.save(collection_id)


@bp.post("/collections/<int:collection_id>/items")
@role_required("owner")
def collection_item_add(collection_id: int):
    """Add a product (field `product`) at the end."""
    return COLLECTIONS.item_add(collection_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/move")
@role_required("owner")
def collection_item_move(collection_id: int, product_id: int):
    """Move a product one place (field `direction`)."""
    return COLLECTIONS.item_move(collection_id, product_id)


@bp.post("/collections/<int:collection_id>/items/<int:product_id>/remove")
@role_required("owner")
def collection_item_remove(collection_id: int, product_id: int):
    """Take a product out."""
    return COLLECTIONS.item_remove(collection_id, product_id)


@bp.post("/collections/<int:collection_id>/delete")
@role_required("owner")
def collection_delete(collection_id: int):
    """Delete one of the shop's collections, after the confirm step (`confirm=1`)."""
    return COLLECTIONS.delete(collection_id)
