"""The facts the after-sales package announces (see storefront.core.events for what a phase means).

AFTERSALES_OPENED, in the transaction: a shopper opened a request (flushed, with its lines and first step).
    Payload: session, request (the AftersalesRequest), order, status ("requested"), now.
    Subscribers: notify (alert the staff).

AFTERSALES_MOVED, in the transaction: a request took one step of rules.TRANSITIONS (accepted,
    refused, received, refunded, replaced, answered, resolved, withdrawn); announced once per step,
    by the guarded update that made it (a second press of the same button is refused before it).
    Payload: session, request, order, step (rules.Step), old_status, new_status, author
    ("staff" | "customer"), note (the refusal's reason, or ""), now.
    Subscribers: notify (the shopper's news for the steps they care about).

AFTERSALES_REPLIED, in the transaction: a message was added to a request's thread.
    Payload: session, request, order, message (the RequestMessage, flushed: it has its id),
    author ("staff": news for the shopper; "customer": an alert for the staff), now.
    Subscribers: notify.
"""

from __future__ import annotations

from ..core.events import Phase, declare

AFTERSALES_OPENED = declare("aftersales-opened", Phase.IN_TRANSACTION)
AFTERSALES_MOVED = declare("aftersales-moved", Phase.IN_TRANSACTION)
AFTERSALES_REPLIED = declare("aftersales-replied", Phase.IN_TRANSACTION)
