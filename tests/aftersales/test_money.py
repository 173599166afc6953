"""After-sales money on both databases: refunds booked once under concurrency, manual refunds capped, and
cash and transfer refunds reaching the seller's commission and the reports like card refunds do."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import select

from storefront.aftersales import outcomes, service
from storefront.aftersales.models import RequestStep
from storefront.analytics.models import Event
from storefront.catalog.models import Product
from storefront.clock import utcnow
from storefront.domain import DomainError, Invalid
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.payments import manual_refunds, transfer_service
from storefront.payments.transfer_rules import TransferMethodValues
from storefront.sellers.models import CommissionEntry
from tests.builders import CHECKOUT_PICKUP, ShopClient
from tests.sellers.builders import make_seller

from .helpers import deliver, delivered_cash_order, on_hand, open_request, step
from .helpers import manual_refunds as refunds_of

THREADS = 10


def _together(app, work) -> list[str]:
    """Run `work` in THREADS threads started at once, each in its own app context and connection; their outcomes."""
    barrier = threading.Barrier(THREADS)

    def run(_):
        with app.app_context():
            barrier.wait()
            try:
                work()
                return "ok"
            except DomainError:
                db.session.rollback()
                return "refused"

    with ThreadPoolExecutor(THREADS) as pool:
        return sorted(pool.map(run, range(THREADS)))


def test_ten_staff_refunding_one_return_at_once_refund_once(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    request_id = open_request(app, order_id, "return", 2)
    step(app, request_id, "accept")
    step(app, request_id, "receive")

    def refund():
        found = service.get_request(db.session, request_id)
        outcomes.refund_return(db.session, found, 4000, "", utcnow(), None)
        db.session.commit()

    assert _together(app, refund) == ["ok"] + ["refused"] * (THREADS - 1)
    assert refunds_of(app, order_id) == [(4000, f"aftersales-{request_id}")]
    with app.app_context():
        assert db.session.scalar(select(OrderLine.refunded_quantity).where(OrderLine.order_id == order_id)) == 2
        assert db.session.scalar(select(Event.value).where(Event.name == "refund")) == 4000


def test_ten_staff_accepting_and_receiving_at_once_move_it_and_the_stock_once(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    request_id = open_request(app, order_id, "return", 2)

    def take(name):
        def work():
            found = service.get_request(db.session, request_id)
            service.take_step(db.session, found, name, utcnow(), "staff")
            db.session.commit()

        return work

    assert _together(app, take("accept")) == ["ok"] + ["refused"] * (THREADS - 1)
    assert _together(app, take("receive")) == ["ok"] + ["refused"] * (THREADS - 1)
    assert on_hand(app, mug[0]) == 10
    with app.app_context():
        steps = db.session.scalars(select(RequestStep.event).where(RequestStep.request_id == request_id)).all()
        assert sorted(steps) == ["accept", "open", "receive"]


def test_manual_refunds_are_capped_at_the_order_total_under_concurrency(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)  # 40.00 + 5.00 delivery
    counter = iter(range(THREADS))
    lock = threading.Lock()

    def refund():
        with lock:
            n = next(counter)
        manual_refunds.record_manual_refund(db.session, order_id, 1000, f"k-{n}", utcnow(), None)
        db.session.commit()

    assert _together(app, refund) == ["ok"] * 4 + ["refused"] * (THREADS - 4)
    with app.app_context():
        assert manual_refunds.manual_refunded_total(db.session, order_id) == 4000
        kept = db.session.scalars(select(manual_refunds.ManualRefund.idempotency_key)).first()
        again = manual_refunds.record_manual_refund(db.session, order_id, 1000, kept, utcnow(), None)
        assert again.idempotency_key == kept  # the same key: the same refund, not a new one (nor refused)
        try:
            manual_refunds.record_manual_refund(db.session, order_id, 501, "k-last", utcnow(), None)
            raise AssertionError("refunded more than the order cost")
        except Invalid:
            db.session.rollback()


def _by_seller_link(app, shop: ShopClient) -> None:
    with app.app_context():
        make_seller("ANNA24", rate_bp=1000)
        slug = db.session.scalars(select(Product.slug)).first()
    assert shop.client.get(f"/p/{slug}?ref=ANNA24").status_code == 200


def _return_and_refund(app, order_id: int, quantity: int, amount: int) -> int:
    request_id = open_request(app, order_id, "return", quantity)
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    with app.app_context():
        found = service.get_request(db.session, request_id)
        outcomes.refund_return(db.session, found, amount, "TX123", utcnow(), None)
        db.session.commit()
    return request_id


def _entry(app, order_id: int) -> CommissionEntry:
    with app.app_context():
        db.session.expire_all()
        entry = db.session.scalars(select(CommissionEntry).where(CommissionEntry.order_id == order_id)).one()
        db.session.expunge(entry)
        return entry


def test_a_cash_return_reduces_the_commission_and_counts_in_the_reports(app, shop, mug):
    _by_seller_link(app, shop)
    order_id = delivered_cash_order(app, shop, mug[0], 2)  # 2 x 20.00: commission 4.00
    assert _entry(app, order_id).amount == 400
    _return_and_refund(app, order_id, 1, 2000)
    entry = _entry(app, order_id)
    assert (entry.refunded, entry.amount) == (2000, 200)
    with app.app_context():
        assert db.session.scalars(select(Event.value).where(Event.name == "refund")).all() == [2000]


def _transfer_order(app, shop: ShopClient, variant_id: int) -> int:
    with app.app_context():
        values = TransferMethodValues("bKash", "01712345678", "Send Money.", ("USD",), 24, True)
        method_id = transfer_service.save_method(db.session, None, values, utcnow()).id
        db.session.commit()
    assert shop.add(variant_id, 2).status_code == 303
    response = shop.checkout({**CHECKOUT_PICKUP, "payment_method": f"transfer-{method_id}"})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    token = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.token == token)).one()
        transfer_service.receive_transfer(db.session, order, "8N7A6B5C4D", None, utcnow())
        db.session.commit()
        return order.id


def test_a_transfer_return_refunded_in_full_reverses_the_commission(app, shop, mug):
    _by_seller_link(app, shop)
    order_id = _transfer_order(app, shop, mug[0])
    deliver(app, order_id, steps=("confirm", "pack", "mark_ready", "collect"))
    assert _entry(app, order_id).amount == 400
    request_id = _return_and_refund(app, order_id, 2, 4000)
    entry = _entry(app, order_id)
    assert (entry.amount, entry.status) == (0, "reversed")
    with app.app_context():
        (refund,) = db.session.scalars(select(manual_refunds.ManualRefund)).all()
        assert (refund.method, refund.reference, refund.idempotency_key) == (
            "transfer",
            "TX123",
            f"aftersales-{request_id}",
        )
        assert db.session.scalars(select(Event.value).where(Event.name == "refund")).all() == [4000]


def test_a_card_order_is_never_refunded_by_hand(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    with app.app_context():
        db.session.get(Order, order_id).payment_method = "card"
        db.session.commit()
        try:
            manual_refunds.record_manual_refund(db.session, order_id, 100, "k", datetime(2026, 6, 17), None)
            raise AssertionError("a card order was refunded by hand")
        except DomainError:
            db.session.rollback()
    assert refunds_of(app, order_id) == []
