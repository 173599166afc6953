"""Cart pages and form posts; JSON answers for the progressive-enhancement script."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..catalog import service as catalog
from ..catalog.models import Variant
from ..catalog.pages import render_product
from ..catalog.rules import shown_stock
from ..clock import utcnow
from ..core.numerals import count_ngettext
from ..core.security import private_blueprint, safe_next
from ..domain import DomainError
from ..errors import wants_json
from ..extensions import db
from . import service
from .models import Cart
from .rules import parse_id, parse_quantity
from .web import cart_token, current_cart, known_customer_id, set_cart_cookies

bp = Blueprint("cart", __name__)
private_blueprint(bp)


def _render_cart(error: str | None = None, status: int = 200):
    """The cart page (also re-shown with an error after a refused change)."""
    cart = current_cart()
    items = service.cart_items(cart)
    subtotal = sum(i.total for i in items)
    count = sum(i.quantity for i in items)
    response = current_app.make_response(
        (
            render_template(
                "cart/cart.html",
                items=items,
                subtotal=subtotal,
                error=error,
                count=count,
                max_quantity=current_app.config["MAX_LINE_QUANTITY"],
            ),
            status,
        )
    )
    return set_cart_cookies(response, None, count) if cart is not None or cart_token() else response


@bp.get("/cart")
def view():
    """The shopper's cart, priced by the server."""
    return _render_cart()


class _Changed(NamedTuple):
    """What the answer to a cart change needs, read before the commit (which expires the cart)."""

    token: str
    count: int


def _changed(cart: Cart) -> _Changed:
    """The cart's token and unit count, as they will be committed."""
    return _Changed(cart.token, sum(line.quantity for line in cart.lines))


def _answer(changed: _Changed, message: str, fallback: str, flashed: Markup | None = None):
    """After a successful change: JSON for scripts, else back to where the shopper was.

    Built from values read before the commit: reading the expired cart again would start a
    second transaction (a second write lock on SQLite) just to count its lines. `flashed` is
    what the page shows instead of the bare message (the add's links on).
    """
    if wants_json():
        response = jsonify(ok=True, message=message, count=changed.count)
    else:
        flash(flashed or message, "success")
        response = redirect(safe_next(request.form.get("next"), fallback), code=303)
    return set_cart_cookies(response, changed.token, changed.count)


def _refused(err: DomainError, variant: Variant | None = None):
    """A refused change: nothing saved; JSON error, or the page re-shown with the message."""
    db.session.rollback()
    if wants_json():
        if variant is None:
            return jsonify(error=err.code, message=err.message), err.status_code
        # The page that sent this may be older than the stock: give it the variant's state now.
        return jsonify(error=err.code, message=err.message, variant=_variant_state(variant)), err.status_code
    if variant is not None and variant.product.published:
        product = catalog.product_by_slug(db.session, variant.product.slug)
        return render_product(product, selected=variant, error=err.message, status=err.status_code)
    return _render_cart(err.message, err.status_code)


def _variant_state(variant: Variant) -> dict:
    """A variant's stock as the product page shows it (read after the rollback, so current)."""
    state, count = shown_stock(variant.available, variant.low_stock_threshold)
    if state == "sold_out":
        label = _("Sold out")
    elif state == "low":
        label = count_ngettext("Only %(num)s left", "Only %(num)s left", count)  # in the page's digits
    else:
        label = _("In stock")
    # The count only when the page would say "only N left": larger stock levels stay the shop's business.
    return {"id": variant.id, "state": state, "available": count, "label": label}


@bp.post("/cart/add")
def add():
    """Add units of one variant; creates the cart on first use."""
    cfg = current_app.config
    variant = None
    try:
        variant_id = parse_id(request.form.get("variant_id"))
        variant = service.variant_with_product(db.session, variant_id)
        quantity = parse_quantity(request.form.get("quantity", "1"), allow_zero=False, maximum=cfg["MAX_LINE_QUANTITY"])
        now = utcnow()
        cart = service.find_cart_to_change(db.session, cart_token()) or service.new_cart(db.session, now)
        line = service.add_item(
            db.session, cart, variant_id, quantity, now, cfg["MAX_LINE_QUANTITY"], cfg["MAX_CART_LINES"]
        )
        known = known_customer_id()
        if known is not None and cart.customer_id != known:  # a known browser's cart is its customer's
            service.belongs_to(db.session, cart, known)
        message = _("Added %(item)s to your cart.", item=line.variant.label)
        changed = _changed(cart)
        db.session.commit()
    except DomainError as err:
        return _refused(err, variant)
    return _answer(changed, message, url_for("cart.view"), _with_ways_on(message))


def _with_ways_on(message: str) -> Markup:
    """The no-script add's flash: the message plus "View cart" and "Checkout", as app.js's panel.

    Markup survives the session cookie (Flask's tagged JSON); every part is escaped by format().
    """
    return Markup(
        '{} <span class="flash-links"><a class="btn" href="{}">{}</a>'
        ' <a class="btn btn-primary" href="{}">{}</a></span>'
    ).format(message, url_for("cart.view"), _("View cart"), url_for("checkout.checkout"), _("Checkout"))


@bp.post("/cart/update")
def update():
    """Change the quantity of a line (0 removes it)."""
    try:
        cart = current_cart()
        variant_id = parse_id(request.form.get("variant_id"))
        quantity = parse_quantity(
            request.form.get("quantity"), allow_zero=True, maximum=current_app.config["MAX_LINE_QUANTITY"]
        )
        if cart is None:
            return _render_cart(_("Your cart is empty."), 404)
        service.set_quantity(db.session, cart, variant_id, quantity, utcnow(), current_app.config["MAX_LINE_QUANTITY"])
        changed = _changed(cart)
        db.session.commit()
    except DomainError as err:
        return _refused(err)
    return _answer(changed, _("Cart updated."), url_for("cart.view"))


@bp.post("/cart/remove")
def remove():
    """Remove a line from the cart."""
    try:
        cart = current_cart()
        variant_id = parse_id(request.form.get("variant_id"))
        if cart is None:
            return _render_cart(_("Your cart is empty."), 404)
        service.remove_item(db.session, cart, variant_id, utcnow())
        changed = _changed(cart)
        db.session.commit()
    except DomainError as err:
        return _refused(err)
    return _answer(changed, _("Removed from your cart."), url_for("cart.view"))
