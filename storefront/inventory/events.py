"""The facts the inventory package announces (see storefront.core.events for what a phase means).

STOCK_CHANGED, after the commit: a variant's stock changed (an order took, held, released or gave
    back units; the owner adjusted or imported stock levels).
    Payload: variant_id, on_hand, available (on hand and not held), low_stock_threshold.
    Subscribers: none yet (the page cache already follows stock through catalog.generation).

STOCK_LOW, in the transaction: a variant's available stock fell to or under its low-stock threshold
    (it was above it before the change), the owner's cue to restock.
    Payload: session, variant_id, available, low_stock_threshold.
    Subscribers: notify (alert the staff who chose it, through the job queue).

STOCK_RETURNED, in the transaction: a sold-out variant has stock to sell again (a restock, a
    cancelled order's units back, a released hold).
    Payload: session, variant_id, available.
    Subscribers: notify (answer the shoppers' "tell me when it's back", through the job queue).
"""

from __future__ import annotations

from ..core.events import Phase, declare

STOCK_CHANGED = declare("stock-changed", Phase.AFTER_COMMIT)
STOCK_LOW = declare("stock-low", Phase.IN_TRANSACTION)
STOCK_RETURNED = declare("stock-returned", Phase.IN_TRANSACTION)
