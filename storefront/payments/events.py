"""The facts the payments package announces (see storefront.core.events for what a phase means).

PAYMENT_SUCCEEDED, in the transaction: an order's money arrived and the order goes ahead with it
    (a card payment settled, or a transfer received). A payment whose goods sold out meanwhile is
    not announced: it is refunded instead.
    Payload: session, order, now, cart_hash (links the sale to the shopper's visit; None for a transfer).
    Subscribers: analytics (record the purchase).

PAYMENT_FAILED, in the transaction: an order's card payment failed or its page expired unpaid (its
    held stock went back in the same transaction).
    Payload: session, order_id, payment_id, status (the payment's new PaymentStatus), now.
    Subscribers: notify (alert the staff to a failed payment; the shopper hears of it through the
    order's move to "unpaid").

PAYMENT_REFUNDED, in the transaction: a refund succeeded (money is back with the shopper).
    Payload: session, order, amount (this refund), refunded_total (the order's refunds so far,
    cumulative), in_full (True when the whole payment is now refunded), now.
    Subscribers: analytics (record the refund), sellers (reduce or reverse the commission), notify
    (tell the shopper).

REFUND_REVERSED, in the transaction: a refund counted as succeeded failed afterwards (the
    provider took it back); the amount is owed to the shopper again.
    Payload: session, order, refund_id (the shop's refund row), amount, now.
    Subscribers: analytics (take the refund out of the reports), notify (alert the staff, once per refund).

PAYMENT_DISPUTED, in the transaction: the shopper's bank opened a dispute on the order's payment.
    Payload: session, order_id, dispute_id (the shop's dispute row; announced once per dispute), now.
    Subscribers: sellers (hold the commission while it is open), notify (alert the staff, once per dispute).

DISPUTE_CLOSED, in the transaction: a dispute on the order's payment closed.
    Payload: session, order_id, lost (the bank gave the shopper's money back), others_open (another
    dispute on the order is still open), now.
    Subscribers: sellers (release the commission when none is open; reverse it when lost).
"""

from __future__ import annotations

from ..core.events import Phase, declare

PAYMENT_SUCCEEDED = declare("payment-succeeded", Phase.IN_TRANSACTION)
PAYMENT_FAILED = declare("payment-failed", Phase.IN_TRANSACTION)
PAYMENT_REFUNDED = declare("payment-refunded", Phase.IN_TRANSACTION)
REFUND_REVERSED = declare("refund-reversed", Phase.IN_TRANSACTION)
PAYMENT_DISPUTED = declare("payment-disputed", Phase.IN_TRANSACTION)
DISPUTE_CLOSED = declare("dispute-closed", Phase.IN_TRANSACTION)
