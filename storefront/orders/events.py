"""The facts the orders package announces (see storefront.core.events for what a phase means).

ORDER_PLACED, in the transaction: an order was just placed (flushed, its lines and stock moved).
    Payload: session, order, now, cart_token (the shopper's cart token, or None),
    pickup_store_id and chosen_store_id (the store picked for pickup / on /stores, or None),
    attribution (the seller links the shopper arrived by, a sellers.service.Attribution, or None),
    sold (True when the order is a sale at once: cash; card and transfer orders are sales
    when paid, see payments.events.PAYMENT_SUCCEEDED).
    Subscribers: stores (decide the order's store, bind a new customer; may refuse a pickup store
    that no longer offers pickup, which rolls the order back), sellers (credit the commission),
    analytics (record the purchase when `sold`).

ORDER_STATUS_CHANGED, in the transaction: an order moved along the lifecycle table.
    Payload: session, order, old_status, new_status, event (the OrderEvent applied), now, user_id.
    Subscribers: sellers (the commission follows: paid, completed, cancelled).
"""

from __future__ import annotations

from ..core.events import Phase, declare

ORDER_PLACED = declare("order-placed", Phase.IN_TRANSACTION)
ORDER_STATUS_CHANGED = declare("order-status-changed", Phase.IN_TRANSACTION)
