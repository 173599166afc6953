"""The shop's own events: who subscribes, what a checkout announces, and when."""

from __future__ import annotations

import pytest

from storefront.inventory.events import STOCK_CHANGED, STOCK_LOW, STOCK_RETURNED
from storefront.jobs.events import JOB_FAILED
from storefront.orders.events import ORDER_PLACED, ORDER_STATUS_CHANGED
from storefront.payments.events import (
    DISPUTE_CLOSED,
    PAYMENT_DISPUTED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_SUCCEEDED,
    REFUND_REVERSED,
)
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_product, variant_ids

SUBSCRIBERS = {
    ORDER_PLACED: {
        "storefront.stores.subscribers.assign_placed_order",
        "storefront.sellers.subscribers.credit_placed_order",
        "storefront.analytics.subscribers.record_placed_sale",
        "storefront.notify.subscribers.order_placed",
    },
    ORDER_STATUS_CHANGED: {
        "storefront.sellers.subscribers.follow_order_status",
        "storefront.notify.subscribers.order_moved",
    },
    PAYMENT_SUCCEEDED: {"storefront.analytics.subscribers.record_paid_sale"},
    PAYMENT_FAILED: {"storefront.notify.subscribers.payment_failed"},
    PAYMENT_REFUNDED: {
        "storefront.analytics.subscribers.record_refund",
        "storefront.sellers.subscribers.reduce_for_refund",
        "storefront.notify.subscribers.refunded",
    },
    REFUND_REVERSED: {
        "storefront.analytics.subscribers.record_reversed_refund",
        "storefront.notify.subscribers.refund_reversed",
    },
    PAYMENT_DISPUTED: {
        "storefront.sellers.subscribers.hold_for_dispute",
        "storefront.notify.subscribers.disputed",
    },
    DISPUTE_CLOSED: {"storefront.sellers.subscribers.release_after_dispute"},
    STOCK_LOW: {"storefront.notify.subscribers.stock_low"},
    STOCK_RETURNED: {"storefront.notify.subscribers.stock_returned"},
    JOB_FAILED: {"storefront.notify.subscribers.job_failed"},
}


def _names(event) -> set[str]:
    return {f"{r.__module__}.{r.__qualname__}" for r in event.signal.receivers.values()}


def test_the_app_factory_subscribes_each_package_once(app):
    for event, expected in SUBSCRIBERS.items():
        assert _names(event) >= expected, event.name
        assert len(event.signal.receivers) == len(_names(event)), f"{event.name}: connected twice"


@pytest.fixture
def heard(app):
    """(event name, in a transaction?) for what a request announces; unsubscribed afterwards."""
    log: list[tuple[str, bool, dict]] = []

    def listen(event, **payload):
        session = payload.pop("session", None)  # the request's scoped session, for in-transaction events
        if "order" in payload:  # read now: the order is gone with the request's session
            payload["order_id"] = payload.pop("order").id
        log.append((event.name, session is not None and session().in_transaction(), payload))

    events = (ORDER_PLACED, STOCK_CHANGED, STOCK_LOW)
    for event in events:
        event.connect(listen)
    yield log
    for event in events:
        event.disconnect(listen)


def test_a_cash_checkout_announces_the_order_and_low_stock_inside_and_the_stock_after_the_commit(app, heard):
    with app.app_context():
        variant = variant_ids(make_product(variants=(("M", 4),)))[0]  # threshold 3: one sold makes it low
    heard.clear()
    shop = ShopClient(app.test_client())
    shop.add(variant)
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303
    names = [name for name, _inside, _payload in heard]
    # Low stock is told as the stock moves (in the transaction: its alert is a durable job), the
    # order once placed, the new stock level once committed.
    assert names == ["stock-low", "order-placed", "stock-changed"], names
    low, placed, changed = heard
    assert placed[1] is True and low[1] is True, "order placed, stock low: subscribers run inside the transaction"
    assert placed[2]["sold"] is True and placed[2]["order_id"] is not None
    assert changed[1] is False
    assert changed[2] == {"variant_id": variant, "on_hand": 3, "available": 3, "low_stock_threshold": 3}
    assert low[2] == {"variant_id": variant, "available": 3, "low_stock_threshold": 3}


def test_a_refused_checkout_announces_no_stock_change(app, heard):
    with app.app_context():
        variant = variant_ids(make_product(variants=(("M", 1),)))[0]
    first, second = ShopClient(app.test_client()), ShopClient(app.test_client())
    first.add(variant)
    second.add(variant)
    assert first.checkout(CHECKOUT_PICKUP).status_code == 303
    heard.clear()
    refused = second.checkout({**CHECKOUT_PICKUP, "phone": "0171 555 0199"})
    assert refused.status_code == 409
    assert heard == [], "the rolled-back order took no stock: nothing after the commit"
