"""The facts the cart package announces (see storefront.core.events for what a phase means).

ADDING_TO_CART, in the transaction: a shopper is about to add units of a variant to their cart
    (announced before the units are checked against the stock).
    Payload: session, now, variant_id.
    Subscribers: payments (stock held by abandoned payments is for sale again first). That is
    housekeeping in a shopper's request: it goes once the periodic hold-expiry job runs it.
"""

from __future__ import annotations

from ..core.events import Phase, declare

ADDING_TO_CART = declare("adding-to-cart", Phase.IN_TRANSACTION)
