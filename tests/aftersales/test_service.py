"""After-sales use-cases on both databases: each path of the table, stock back once, quantities, the window."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from storefront.aftersales import outcomes, service
from storefront.aftersales.models import RequestStep
from storefront.aftersales.rules import StepRefused, WindowClosed
from storefront.domain import Conflict, Invalid
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders.models import Order, OrderLine
from tests.builders import ShopClient

from .helpers import (
    count,
    deliver,
    delivered_cash_order,
    manual_refunds,
    on_hand,
    open_request,
    place_cash_order,
    request_row,
    step,
)


def _refund(app, request_id: int, amount: int | None = None, user_id: int | None = None):
    with app.app_context():
        found = service.get_request(db.session, request_id)
        booking = outcomes.refund_return(
            db.session, found, amount or outcomes.line_value(found), "", datetime(2026, 6, 17), user_id
        )
        db.session.commit()
        return booking


def test_a_return_goes_requested_accepted_received_refunded(app, shop, mug):
    small, _large = mug
    order_id = delivered_cash_order(app, shop, small, 2)
    request_id = open_request(app, order_id, "return", 2)
    assert on_hand(app, small) == 8
    assert step(app, request_id, "accept") == "accepted"
    assert step(app, request_id, "receive") == "received"
    assert on_hand(app, small) == 10  # back on the shelf
    with pytest.raises(StepRefused):
        step(app, request_id, "receive")  # twice: refused, stock moved once
    assert on_hand(app, small) == 10
    booking = _refund(app, request_id)
    assert (booking.amount, booking.by_card) == (4000, False)
    found = request_row(app, request_id)
    assert (found.status, found.refund_amount) == ("refunded", 4000)
    assert [s.to_status for s in found.steps] == ["requested", "accepted", "received", "refunded"]
    assert manual_refunds(app, order_id) == [(4000, f"aftersales-{request_id}")]
    with app.app_context():
        assert db.session.scalar(select(OrderLine.refunded_quantity).where(OrderLine.order_id == order_id)) == 2
        (move,) = db.session.scalars(select(StockMovement).where(StockMovement.reason == "returned")).all()
        assert (move.delta, move.order_id, move.variant_id) == (2, order_id, small)
    with pytest.raises(StepRefused):
        _refund(app, request_id)  # the second refund is refused: the money went once
    assert len(manual_refunds(app, order_id)) == 1


def test_staff_may_lower_the_refund_but_never_raise_it(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    request_id = open_request(app, order_id, "return", 1)
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    with pytest.raises(Invalid):
        _refund(app, request_id, 2001)
    assert request_row(app, request_id).status == "received"  # refused: nothing moved
    _refund(app, request_id, 1500)
    assert manual_refunds(app, order_id) == [(1500, f"aftersales-{request_id}")]


def test_an_exchange_makes_one_replacement_order_taking_its_stock(app, shop, mug):
    small, large = mug
    order_id = delivered_cash_order(app, shop, small, 1)
    with app.app_context():
        line_id = db.session.get(Order, order_id).lines[0].id
    request_id = open_request(app, order_id, "exchange", 1, exchange_variants={line_id: large})
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    with app.app_context():
        found = service.get_request(db.session, request_id)
        replacement = outcomes.make_replacement(db.session, found, datetime(2026, 6, 17), None)
        db.session.commit()
        original = db.session.get(Order, order_id)
        assert (replacement.total, replacement.status, replacement.phone) == (0, "confirmed", original.phone)
        assert replacement.note == ""  # no shop text posing as the customer's note
        assert [(ln.variant_id, ln.unit_price, ln.quantity) for ln in replacement.lines] == [(large, 0, 1)]
        with pytest.raises(StepRefused):
            outcomes.make_replacement(
                db.session, service.get_request(db.session, request_id), datetime(2026, 6, 17), None
            )
        db.session.rollback()
    assert (on_hand(app, small), on_hand(app, large)) == (10, 9)  # the small one came back, a large one went
    assert request_row(app, request_id).status == "replaced"
    assert count(app, Order, Order.checkout_key == f"exchange-{request_id}") == 1


def test_an_exchange_asks_for_a_variant_of_the_same_product(app, shop, mug):
    from tests.builders import make_product

    order_id = delivered_cash_order(app, shop, mug[0], 1)
    with app.app_context():
        other = make_product("Teapot", variants=(("One", 3),)).variants[0].id
        line_id = db.session.get(Order, order_id).lines[0].id
    with pytest.raises(Invalid):
        open_request(app, order_id, "exchange", 1, exchange_variants={line_id: other})


def test_a_problem_is_answered_then_resolved_with_a_partial_refund(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    request_id = open_request(app, order_id, "problem", 1, reason="damaged", details="Chipped rim.")
    with app.app_context():
        found = service.get_request(db.session, request_id)
        service.add_message(db.session, found, "staff", "Sorry! We can refund part of it.", datetime(2026, 6, 17))
        db.session.commit()
    assert request_row(app, request_id).status == "answered"
    with app.app_context():
        found = service.get_request(db.session, request_id)
        outcomes.resolve_problem(db.session, found, 500, "cash at the door", datetime(2026, 6, 17), None)
        db.session.commit()
    assert request_row(app, request_id).status == "resolved"
    assert manual_refunds(app, order_id) == [(500, f"aftersales-{request_id}")]
    assert on_hand(app, mug[0]) == 8  # a problem sends nothing back


def test_a_problem_needs_words(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    with pytest.raises(Invalid):
        open_request(app, order_id, "problem", 1, details="  ")


def test_only_the_customer_withdraws_and_only_while_requested(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    request_id = open_request(app, order_id, "return", 2)
    with pytest.raises(StepRefused):
        step(app, request_id, "withdraw", author="staff")
    with pytest.raises(StepRefused):
        step(app, request_id, "accept", author="customer")
    assert step(app, request_id, "withdraw", author="customer") == "withdrawn"
    for name in ("accept", "refuse", "receive"):
        with pytest.raises(StepRefused):
            step(app, request_id, name)
    open_request(app, order_id, "return", 2)  # withdrawn units are free again


def test_refusing_needs_a_reason_the_customer_reads(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id)
    with app.app_context():
        with pytest.raises(Invalid):
            service.refuse(db.session, service.get_request(db.session, request_id), " ", datetime(2026, 6, 17), 1)
        db.session.rollback()
        service.refuse(db.session, service.get_request(db.session, request_id), "Used.", datetime(2026, 6, 17), None)
        db.session.commit()
    found = request_row(app, request_id)
    assert (found.status, found.refusal, found.steps[-1].note) == ("refused", "Used.", "Used.")


def test_quantities_never_exceed_what_was_bought_minus_what_was_asked(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    with pytest.raises(Invalid):
        open_request(app, order_id, "return", 3)
    open_request(app, order_id, "return", 1)
    open_request(app, order_id, "exchange", 1)
    with pytest.raises(Invalid):
        open_request(app, order_id, "return", 1)
    open_request(app, order_id, "problem", 2)  # a problem sends nothing back: not counted against the line


def test_customer_messages_only_on_open_requests(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id)
    with app.app_context():
        found = service.get_request(db.session, request_id)
        service.add_message(db.session, found, "customer", "Can you pick it up?", datetime(2026, 6, 17))
        db.session.commit()
    step(app, request_id, "withdraw", author="customer")
    with app.app_context(), pytest.raises(Conflict):
        service.add_message(
            db.session, service.get_request(db.session, request_id), "customer", "Hi", datetime(2026, 6, 17)
        )
    assert [m.body for m in request_row(app, request_id).messages] == ["Can you pick it up?"]


def test_the_window_opens_at_delivery_and_closes_after_day_14(app, shop, mug):
    order_id = place_cash_order(app, shop, mug[0], 1)
    with pytest.raises(WindowClosed):
        open_request(app, order_id, now=datetime(2026, 6, 1, 12))  # placed, not delivered
    deliver(app, order_id, at=datetime(2026, 6, 1, 10, 0))
    with pytest.raises(WindowClosed):
        open_request(app, order_id, now=datetime(2026, 6, 16, 0, 0))  # day 15
    open_request(app, order_id, now=datetime(2026, 6, 15, 23, 59))  # day 14, 23:59
    with app.app_context():
        service.save_window_days(db.session, 0, None, datetime(2026, 6, 2))
        db.session.commit()
    with pytest.raises(WindowClosed):
        open_request(app, order_id, now=datetime(2026, 6, 2))  # the owner takes no returns now


def test_a_cancelled_order_takes_no_request(app, shop, mug):
    order_id = place_cash_order(app, shop, mug[0], 1)
    deliver(app, order_id, steps=("cancel",))
    with pytest.raises(WindowClosed):
        open_request(app, order_id)


def test_the_queue_lists_open_requests_first(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 2)
    first = open_request(app, order_id, "return", 1)
    second = open_request(app, order_id, "return", 1)
    step(app, first, "withdraw", author="customer")
    with app.app_context():
        assert [r.id for r in service.queue(db.session, "all")] == [second, first]
        assert [r.id for r in service.queue(db.session, "open")] == [second]
        assert [r.id for r in service.queue(db.session, "withdrawn", "return")] == [first]
        assert service.queue(db.session, "all", "exchange") == []
    assert count(app, RequestStep) == 3


def test_two_shoppers_tabs_cannot_ask_for_the_same_units_twice(app, mug):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    order_id = delivered_cash_order(app, ShopClient(app.test_client()), mug[0], 1)
    barrier = threading.Barrier(5)

    def ask(_):
        with app.app_context():
            barrier.wait()
            try:
                open_request(app, order_id, "return", 1)
                return "ok"
            except Invalid:
                return "refused"

    with ThreadPoolExecutor(5) as pool:
        assert sorted(pool.map(ask, range(5))) == ["ok"] + ["refused"] * 4
