"""The shopper's /stores page: nearest stores by shared location or typed city/postcode; choosing a store.

Works without JavaScript: the shopper types a city or postcode (GET form), or picks from the
full list. static/js/stores.js adds "Use my location" (browser geolocation fills lat/lng into a
GET form). Choosing a store (POST with CSRF) keeps its id in the `store` cookie, which order
placement reads through chosen_store_id() when it binds a new customer.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.inputs import parse_id
from ..core.security import safe_next
from ..domain import DomainError
from ..extensions import db
from . import rules, service
from .models import Store
from .web import STORE_COOKIE, STORE_COOKIE_MAX_AGE, chosen_store_id

bp = Blueprint("stores", __name__)
LIST_SIZE = 20


def _page(status: int = 200, back: str | None = None, **context):
    """The stores page; `back` is this listing's own address, where choosing a store returns."""
    html = render_template(
        "stores/stores.html", chosen=chosen_store_id(), back=back or url_for("stores.stores"), **context
    )
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


@bp.get("/stores")
def stores():
    """Stores nearest to ?lat=&lng= (shared location) or ?q= (city or postcode); else all, by name."""
    query = (request.args.get("q") or "").strip()[: rules.MAX_PLACE_CHARS]
    if "lat" in request.args or "lng" in request.args:
        try:
            centre = rules.parse_coordinates(request.args.get("lat"), request.args.get("lng"))
        except DomainError as err:
            listing = [(None, s) for s in service.active_stores(db.session)[:LIST_SIZE]]
            return _page(400, listing=listing, error=err.message, place=query, mode="all")
        listing = service.nearest_stores(db.session, centre, LIST_SIZE)
        return _page(listing=listing, place=query, mode="location", back=_this_listing())
    if query:
        search = service.stores_near_place(db.session, query, LIST_SIZE)
        mode = "place" if search.centre else "unknown_place"
        return _page(listing=search.stores, place=query, mode=mode, back=_this_listing())
    return _page(listing=[(None, s) for s in service.active_stores(db.session)[:LIST_SIZE]], place="", mode="all")


def _this_listing() -> str:
    """This listing's path and query, so that after choosing a store the same ranking and distances come back."""
    return url_for("stores.stores", **{k: v for k, v in request.args.items() if k in ("lat", "lng", "q")})


@bp.post("/stores/choose")
def choose():
    """Remember the shopper's store in a cookie (used when their first order binds them)."""
    store_id = parse_id(request.form.get("store_id"))
    store = db.session.get(Store, store_id) if store_id else None
    if store is None or not store.active:
        listing = [(None, s) for s in service.active_stores(db.session)[:LIST_SIZE]]
        return _page(404, listing=listing, error=_("That store is not available. Please choose another."), place="")
    flash(_("%(name)s is now your store.", name=store.name), "success")
    response = redirect(safe_next(request.form.get("next"), url_for("stores.stores")), code=303)
    response.set_cookie(STORE_COOKIE, str(store.id), max_age=STORE_COOKIE_MAX_AGE, httponly=True, samesite="Lax")
    return response
