"""The collection editor's steps, shared by the seller's pages (/seller/collections) and the owner's
(/admin/collections): the same service calls, templates and answers, other endpoints and maker.

Plain forms that work without JavaScript: every change is one POST answered 303 back to the page;
bad input shows the page again with the message (4xx) and changes nothing. A collection of another
maker is a 404 (never a 403 that would say it exists). The blueprints keep the routes and guards;
each route is one call to its editor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import redirect, render_template, request, url_for

from ..clock import utcnow
from ..domain import DomainError
from ..extensions import db
from ..sellers import share_list
from . import rules, service
from .models import Collection

# The endpoints the shared templates post to, by step: "list", "create", "move", "edit", "save",
# "delete", "item_add", "item_move", "item_remove".
STEPS = ("list", "create", "move", "edit", "save", "delete", "item_add", "item_move", "item_remove")


def search():
    """One page of the shop's products on sale matching ?q= (sold-out included: a maker may still pick it)."""
    query = request.values.get("q", "")
    return share_list.search_products(db.session, query, True, share_list.parse_page(request.values.get("page")))


def back(endpoint: str, anchor: str = "", **values):
    """303 back to a page, keeping the maker's product search."""
    query = " ".join(request.form.get("q", "").split())[: share_list.MAX_QUERY]
    if query:
        values["q"] = query
    return redirect(url_for(endpoint, **values) + anchor, code=303)


@dataclass(frozen=True)
class CollectionEditor:
    """One maker's collection pages.

    maker: the maker's seller id at request time (None: the shop's own collections).
    endpoints: STEPS -> endpoint names. base_template: the layout the shared templates extend.
    list_page: renders the maker's list page with an error message and status.
    """

    maker: Callable[[], int | None]
    endpoints: Mapping[str, str]
    base_template: str
    list_page: Callable[[str | None, int], tuple]

    def own(self, collection_id: int) -> Collection:
        """The maker's collection, else NotFound (a 404 page)."""
        return service.collection_for(db.session, collection_id, self.maker())

    def edit_page(self, collection: Collection, error: str | None = None, status: int = 200, form=None):
        return render_template(
            "showcase/seller_collection_edit.html",
            base_template=self.base_template,
            collection=collection,
            products=service.items(db.session, collection),
            listing=search(),
            error=error,
            form=form or {"title": collection.title, "description": collection.description},
            editor=self.endpoints,
            limit=rules.MAX_ITEMS,
        ), status

    def create(self):
        """Create a collection (fields `title`, `description`), then edit it."""
        try:
            form = request.form
            made = service.create_collection(
                db.session, self.maker(), form.get("title"), form.get("description"), utcnow()
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            return self.list_page(err.message, err.status_code)
        return redirect(url_for(self.endpoints["edit"], collection_id=made.id), code=303)

    def move(self, collection_id: int):
        """Move a collection one place among the maker's (field `direction`: up or down)."""
        collection = self.own(collection_id)
        try:
            service.move_collection(db.session, collection, request.form.get("direction", ""), utcnow())
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            return self.list_page(err.message, err.status_code)
        return redirect(url_for(self.endpoints["list"]), code=303)

    def save(self, collection_id: int):
        """Save the title and description; a bad one shows the form again (422) with what was typed."""
        collection = self.own(collection_id)
        try:
            form = request.form
            service.update_collection(db.session, collection, form.get("title"), form.get("description"), utcnow())
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            return self.edit_page(self.own(collection_id), err.message, err.status_code, form=request.form)
        return redirect(url_for(self.endpoints["edit"], collection_id=collection_id), code=303)

    def change_items(self, collection_id: int, change: Callable[[Collection], object]):
        """One change to a collection's products (add, move, remove), then back to its page."""
        collection = self.own(collection_id)
        try:
            change(collection)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            return self.edit_page(self.own(collection_id), err.message, err.status_code)
        return back(self.endpoints["edit"], "#items", collection_id=collection_id)

    def item_add(self, collection_id: int):
        """Add a product (field `product`) at the end."""
        product = request.form.get("product")
        return self.change_items(
            collection_id, lambda c: service.add_item(db.session, c, service.parse_id(product), utcnow())
        )

    def item_move(self, collection_id: int, product_id: int):
        """Move a product one place (field `direction`: up or down)."""
        direction = request.form.get("direction", "")
        return self.change_items(
            collection_id, lambda c: service.move_item(db.session, c, product_id, direction, utcnow())
        )

    def item_remove(self, collection_id: int, product_id: int):
        """Take a product out."""
        return self.change_items(collection_id, lambda c: service.remove_item(db.session, c, product_id, utcnow()))

    def delete(self, collection_id: int):
        """Delete a collection: without `confirm=1` the confirm step is shown, with it the collection goes."""
        collection = self.own(collection_id)
        if request.form.get("confirm") != "1":
            return render_template(
                "showcase/seller_collection_delete.html",
                base_template=self.base_template,
                collection=collection,
                editor=self.endpoints,
            )
        service.delete_collection(db.session, collection, utcnow())
        db.session.commit()
        return redirect(url_for(self.endpoints["list"]), code=303)
