"""Stock holds of card orders: released on expiry (webhook, command or the every-minute job); late payments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import run_due
from storefront.orders.models import Order
from storefront.payments import service
from storefront.payments.models import Payment, Refund
from tests.builders import CHECKOUT_PICKUP, ShopClient

from .helpers import deliver, pay_by_card, session_id_of

pytestmark = pytest.mark.clock_sensitive  # hold expiry is "now" minus the hold time


def _stock(variant_id: int) -> tuple[int, int]:
    db.session.expire_all()
    variant = db.session.get(Variant, variant_id)
    return variant.on_hand, variant.reserved


def _order_of(session_id: str) -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Payment).where(Payment.session_ref == session_id)).one().order


def _hold_ran_out(app, session_id: str) -> None:
    """Move the order's hold deadline into the past (as if 40 minutes went by)."""
    with app.app_context():
        order = _order_of(session_id)
        db.session.execute(
            update(Order).where(Order.id == order.id).values(hold_expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()


def test_expired_session_webhook_releases_the_hold(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 4))
    with app.app_context():
        assert _stock(coat) == (5, 4)
    fake_stripe.expire(session_id)
    assert deliver(shop.client, fake_stripe, "checkout.session.expired", session_id).status_code == 200
    with app.app_context():
        assert _stock(coat) == (5, 0)
        order = _order_of(session_id)
        assert order.status == "unpaid" and order.payment.status == "expired"
    # A second delivery (or the sweep) changes nothing more.
    assert deliver(shop.client, fake_stripe, "checkout.session.expired", session_id).status_code == 200
    with app.app_context():
        assert _stock(coat) == (5, 0)


def test_expire_holds_command_releases_stale_holds_without_any_webhook(app, shop, coat, fake_stripe, runner):
    fresh = ShopClient(app.test_client())
    stale_session = session_id_of(pay_by_card(shop, coat, 2))
    session_id_of(pay_by_card(fresh, coat, 1))
    _hold_ran_out(app, stale_session)
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0 and "Released 1 expired stock holds" in result.output
    with app.app_context():
        assert _stock(coat) == (5, 1)  # the fresh order keeps its hold
        assert _order_of(stale_session).status == "unpaid"
    assert "Released 0" in runner.invoke(args=["expire-holds"]).output


def test_a_shoppers_visit_never_calls_stripe_nor_releases_a_page_that_may_be_paid(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 5))
    _hold_ran_out(app, session_id)
    calls = len(fake_stripe.calls)
    for _visit in range(3):  # shopper requests do no housekeeping, however many come
        assert app.test_client().get("/").status_code == 200
    assert len(fake_stripe.calls) == calls  # only the background job asks Stripe
    with app.app_context():
        assert _stock(coat) == (5, 5) and _order_of(session_id).status == "awaiting_payment"


def test_the_every_minute_job_releases_a_stale_hold_on_time_with_no_visitor(app, shop, coat, fake_stripe):
    stale_session = session_id_of(pay_by_card(shop, coat, 2))
    fresh_session = session_id_of(pay_by_card(ShopClient(app.test_client()), coat, 1))
    _hold_ran_out(app, stale_session)
    with app.app_context():
        first = run_due(db.session, utcnow())
        assert "payments.expire_holds" in first.names and first.failed_attempts == 0
        assert fake_stripe.sessions[stale_session]["status"] == "expired"  # Stripe was asked first
        assert _stock(coat) == (5, 1) and _order_of(stale_session).status == "unpaid"
        assert _order_of(fresh_session).status == "awaiting_payment"
        # The next minute's slot runs it again (nothing left to do); within the minute, nothing runs.
        assert "payments.expire_holds" not in run_due(db.session, utcnow() + timedelta(seconds=1)).names
        assert "payments.expire_holds" in run_due(db.session, utcnow() + timedelta(minutes=1)).names
        assert _stock(coat) == (5, 1)


def test_a_checkout_takes_stock_a_stale_hold_gave_back_after_stripe_closed_its_page(
    app, shop, coat, fake_stripe, runner
):
    session_id = session_id_of(pay_by_card(shop, coat, 5))  # every unit held
    _hold_ran_out(app, session_id)
    buyer = ShopClient(app.test_client())
    calls = len(fake_stripe.calls)
    assert buyer.add(coat, 5).status_code != 303  # not yet: the page may have been paid
    assert len(fake_stripe.calls) == calls
    assert "Released 1" in runner.invoke(args=["expire-holds"]).output  # Stripe expired the page
    assert fake_stripe.sessions[session_id]["status"] == "expired"
    assert buyer.add(coat, 5).status_code == 303
    assert buyer.checkout(CHECKOUT_PICKUP).status_code == 303
    with app.app_context():
        assert _stock(coat) == (0, 0)


def _released_by_the_clock_alone(app, session_id: str) -> None:
    """A bank debit processing at Stripe, its hold released by the clock (the sweep before it asked Stripe)."""
    _hold_ran_out(app, session_id)  # the shop never heard of the payment: no webhook came
    with app.app_context():
        assert service.release_hold(db.session, _order_of(session_id).id, utcnow())
        db.session.commit()


def _late_debit_succeeds(shop, fake_stripe, session_id: str) -> None:
    fake_stripe.settle(session_id, succeeded=True)
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_succeeded", session_id).status_code == 200


def test_the_sweep_finds_a_last_second_payment_and_the_order_goes_ahead(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id)  # paid in the page's last second; the webhook is late
    _hold_ran_out(app, session_id)
    assert "Released 0" in runner.invoke(args=["expire-holds"]).output
    with app.app_context():
        assert _order_of(session_id).status == "placed"
        assert _stock(coat) == (3, 0)
        assert not db.session.scalars(select(Refund)).all()


def test_late_payment_with_stock_left_goes_ahead(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id, slowly=True)
    _released_by_the_clock_alone(app, session_id)
    _late_debit_succeeds(shop, fake_stripe, session_id)
    with app.app_context():
        assert _order_of(session_id).status == "placed"
        assert _stock(coat) == (3, 0)
        assert not db.session.scalars(select(Refund)).all()


def test_late_payment_after_the_stock_is_gone_is_refunded_never_oversold(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 3))
    fake_stripe.pay(session_id, slowly=True)
    _released_by_the_clock_alone(app, session_id)
    buyer = ShopClient(app.test_client())  # meanwhile someone buys the last units in cash
    assert buyer.add(coat, 5).status_code == 303
    assert buyer.checkout(CHECKOUT_PICKUP).status_code == 303
    _late_debit_succeeds(shop, fake_stripe, session_id)
    with app.app_context():
        order = _order_of(session_id)
        assert order.status == "cancelled"
        assert order.payment.status == "paid" and order.payment.refund_due
        assert _stock(coat) == (0, 0)  # never below zero, never oversold
        (refund,) = db.session.scalars(select(Refund)).all()
        assert refund.status == "succeeded" and refund.amount == order.total
        token, total = order.token, order.total
    assert fake_stripe.refunded(session_id) == total
    page = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert "sold out before your payment arrived" in page and "Refunded in full" in page
    # Redelivered: still one refund.
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_succeeded", session_id).status_code == 200
    runner.invoke(args=["expire-holds"])
    assert fake_stripe.refunded(session_id) == total


def test_an_automatic_refund_that_cannot_reach_stripe_is_retried_by_the_sweep(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 5))
    fake_stripe.pay(session_id, slowly=True)
    _released_by_the_clock_alone(app, session_id)
    buyer = ShopClient(app.test_client())
    assert buyer.add(coat, 1).status_code == 303 and buyer.checkout(CHECKOUT_PICKUP).status_code == 303
    fake_stripe.settle(session_id, succeeded=True)
    payload, signature = fake_stripe.event("checkout.session.async_payment_succeeded", session_id)
    fake_stripe.path_failures["/v1/refunds"] = ["network"]  # the session read works, the refund does not
    assert shop.client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature}).status_code == 200
    assert fake_stripe.refunded(session_id) == 0
    with app.app_context():
        assert db.session.scalars(select(Refund)).one().status == "pending"
    assert "settled 1 refunds" in runner.invoke(args=["expire-holds"]).output
    with app.app_context():
        order = _order_of(session_id)
        assert fake_stripe.refunded(session_id) == order.total
        assert db.session.scalars(select(Refund)).one().status == "succeeded"
