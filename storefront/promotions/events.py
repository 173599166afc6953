"""The facts the promotions package announces (see storefront.core.events for what a phase means).

CODE_REDEEMED, in the transaction: an order just took one use of a discount code.
    Payload: session, order, code (the code's text, upper case), now.
    Subscribers: campaigns (an order that used a campaign's code, by one of its recipients, counts
    for the campaign even when the shopper typed the code instead of following the link).
"""

from __future__ import annotations

from ..core.events import Phase, declare

CODE_REDEEMED = declare("code-redeemed", Phase.IN_TRANSACTION)
