"""Request-side helpers of discount codes: the cart's quotes for the pages and refusals in words."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app
from flask_babel import gettext

from ..cart.models import Cart
from ..clock import utcnow
from ..core.templating import money
from ..domain import DomainError
from ..extensions import db
from ..orders.rules import Totals
from . import service


def refusal_message(err: DomainError) -> str:
    """Why a code was refused, in the shopper's language, with amounts written as money."""
    if "missing" in err.params:
        return gettext(err.template, minimum=money(err.params["minimum"]), missing=money(err.params["missing"]))
    return err.message


def discounted(cart: Cart | None, items, quotes: dict) -> tuple[dict, service.Quote | None, str | None]:
    """Each delivery method's totals with the cart's code taken off, the code's quote and any refusal."""
    shown, problem = None, None
    result = {}
    for method, totals in quotes.items():
        found, err = service.cart_quote(db.session, cart, items, totals.shipping, utcnow())
        if err is not None:
            problem = refusal_message(err)
        if found is not None:
            shown = found if shown is None or found.amount > shown.amount else shown
            totals = replace(totals, discount=found.amount)
        result[method] = totals
    return result, shown, problem


def cart_totals(cart: Cart | None, items) -> tuple[Totals, service.Quote | None, str | None]:
    """The cart page's totals (no delivery chosen yet), the code's quote and any refusal."""
    subtotal = sum(i.total for i in items)
    totals, found, problem = discounted(cart, items, {"cart": Totals(subtotal, 0)})
    return totals["cart"], found, problem


def currency() -> str:
    """The shop's currency."""
    return current_app.config["SHOP_CURRENCY"]
