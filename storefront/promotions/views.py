"""The shopper's discount-code form: apply a code to the cart or remove it (POST, CSRF, rate-limited)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..cart import service as carts
from ..cart.web import current_cart
from ..clock import utcnow
from ..core.security import private_blueprint, safe_next
from ..domain import DomainError
from ..extensions import db, limiter, rate_limits_off
from . import service, web

bp = Blueprint("promotions", __name__)
private_blueprint(bp)


def _rate_limit() -> str:
    """Code tries per address (DISCOUNT_CODE_RATE_LIMIT): guessing codes one by one stays slow."""
    return current_app.config.get("DISCOUNT_CODE_RATE_LIMIT", "20 per minute")


def _back() -> str:
    """Where the form was (the cart or the checkout)."""
    return safe_next(request.form.get("next"), url_for("cart.view"))


@bp.post("/cart/code")
@limiter.limit(_rate_limit, key_func=get_remote_address, exempt_when=rate_limits_off)
def apply():
    """Check the typed code against the cart and keep it there; a refusal says why and keeps nothing."""
    cart = current_cart()
    items = carts.cart_items(cart)
    if cart is None or not items:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("cart.view"), code=303)
    try:
        found = service.apply_to_cart(db.session, cart, request.form.get("code", "")[:80], items, utcnow())
        code = found.code
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(web.refusal_message(err), "error")
        return redirect(_back(), code=303)
    flash(_("Code %(code)s applied.", code=code), "success")
    return redirect(_back(), code=303)


@bp.post("/cart/code/remove")
def remove():
    """Take the code off the cart."""
    cart = current_cart()
    if cart is not None and cart.discount_code:
        service.remove_from_cart(db.session, cart, utcnow())
        db.session.commit()
        flash(_("Code removed."), "success")
    return redirect(_back(), code=303)


@bp.app_template_global("cart_discount")
def cart_discount(items) -> dict:
    """What the cart page shows of the code: its quote, any refusal, and the total after it."""
    cart = items[0].line.cart if items else None  # the page's own cart: no second query
    totals, found, problem = web.cart_totals(cart, items)
    return {"code": cart.discount_code if cart else None, "quote": found, "problem": problem, "totals": totals}


@bp.app_template_global("order_discount_line")
def order_discount_line(order) -> str | None:
    """The order's discount code as its pages name it (None without a discount: no query then)."""
    if not order.discount:
        return None
    kept = service.order_discount(db.session, order.id)
    return kept.code if kept is not None else ""
