"""Slow payment methods and Stripe's edges: the sweep asks Stripe, "Pay now" after a timeout, odd pages.

Every scenario runs as signed webhook events through the fake Stripe, on SQLite and PostgreSQL,
with "now" pinned (tests/clock.py) and moved explicitly with time_machine where the page's and
the hold's deadlines matter.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

import pytest
import time_machine
from sqlalchemy import select, text, update

from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.core.templating import shop_datetime
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.payments.models import Payment, Refund
from storefront.payments.rules import MAX_HOLD_MINUTES, payment_window, reopen_deadlines
from tests.builders import ShopClient, make_user

from .fake_stripe import MIN_EXPIRY
from .helpers import deliver, only_order, pay_by_card, session_id_of

pytestmark = pytest.mark.clock_sensitive  # the page's and the hold's deadlines are "now" plus minutes

EXPIRE = "/v1/checkout/sessions/{}/expire"


def _stock(variant_id: int) -> tuple[int, int]:
    db.session.expire_all()
    variant = db.session.get(Variant, variant_id)
    return variant.on_hand, variant.reserved


def _hold_ran_out(app) -> None:
    """Move the only order's hold deadline into the past (as if 40 minutes went by)."""
    with app.app_context():
        order = only_order()
        db.session.execute(
            update(Order).where(Order.id == order.id).values(hold_expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()


def _token(app) -> str:
    with app.app_context():
        return only_order().token


def _page(shop, token: str) -> str:
    return shop.client.get(f"/o/{token}").get_data(as_text=True)


def _travel(moment):
    """Move the clock (the shop's and the fake Stripe's) to a naive UTC instant, ticking on from there."""
    return time_machine.travel(moment.replace(tzinfo=UTC), tick=True)


# -- 4. the sweep asks Stripe before releasing -----------------------------------------------


def test_a_processing_bank_debit_keeps_its_hold_and_its_page_tells_the_truth(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id, slowly=True)  # a bank debit: complete, payment_status unpaid, intent processing
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    token = _token(app)
    with app.app_context():
        order = only_order()
        assert order.status == "awaiting_payment" and order.payment.status == "processing"
    _hold_ran_out(app)  # the debit is still processing at 36 minutes
    assert "Released 0 expired stock holds" in runner.invoke(args=["expire-holds"]).output
    with app.app_context():
        assert _stock(coat) == (5, 2) and only_order().status == "awaiting_payment"
    html = _page(shop, token)
    assert 'data-payment-window="processing"' in html and "Nothing was charged" not in html
    assert f'action="/o/{token}/pay"' not in html  # nothing to pay again
    again = shop.post(f"/o/{token}/pay")  # a stale form, posted anyway
    assert again.headers["Location"].endswith(f"/o/{token}") and len(fake_stripe.sessions) == 1
    fake_stripe.settle(session_id, succeeded=True)
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_succeeded", session_id).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "placed" and order.payment.status == "paid"
        assert _stock(coat) == (3, 0)


def test_the_sweep_finds_a_debit_no_webhook_told_of_and_keeps_it_until_the_bank_says_no(
    app, shop, coat, fake_stripe, runner
):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id, slowly=True)  # no webhook reaches the shop
    _hold_ran_out(app)
    assert "Released 0 expired stock holds" in runner.invoke(args=["expire-holds"]).output
    assert fake_stripe.count("post", EXPIRE.format(session_id)) == 1  # it asked Stripe first
    assert fake_stripe.sessions[session_id]["status"] == "complete"
    with app.app_context():
        order = only_order()
        assert order.status == "awaiting_payment" and order.payment.status == "processing"
        assert _stock(coat) == (5, 2)
    runner.invoke(args=["expire-holds"])
    assert fake_stripe.count("post", EXPIRE.format(session_id)) == 1  # a processing payment is not asked again
    fake_stripe.settle(session_id, succeeded=False)
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_failed", session_id).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "unpaid" and order.payment.status == "failed"
        assert _stock(coat) == (5, 0)
    assert "Nothing was charged" in _page(shop, _token(app))  # true now: the debit bounced


def test_a_processing_debit_whose_webhook_was_lost_is_asked_about_hourly(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id, slowly=True)  # no webhook reaches the shop, now or later
    _hold_ran_out(app)
    runner.invoke(args=["expire-holds"])  # finds it processing: stock stays held
    reads = fake_stripe.count("get", f"/v1/checkout/sessions/{session_id}")
    fake_stripe.settle(session_id, succeeded=True)  # the bank pays; the async_payment_succeeded event is lost
    runner.invoke(args=["expire-holds"])
    assert fake_stripe.count("get", f"/v1/checkout/sessions/{session_id}") == reads  # not asked every minute
    with app.app_context():
        assert only_order().payment.status == "processing"
    with _travel(utcnow() + timedelta(hours=1, minutes=1)):
        runner.invoke(args=["expire-holds"])
    assert fake_stripe.count("get", f"/v1/checkout/sessions/{session_id}") == reads + 1
    with app.app_context():
        order = only_order()
        assert order.status == "placed" and order.payment.status == "paid"
        assert _stock(coat) == (3, 0)  # the held units were sold, not released
    assert "Nothing was charged" not in _page(shop, _token(app))


def test_the_sweep_expires_an_open_page_at_stripe_before_releasing_its_stock(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    _hold_ran_out(app)
    assert "Released 1 expired stock holds" in runner.invoke(args=["expire-holds"]).output
    assert fake_stripe.sessions[session_id]["status"] == "expired"  # it can no longer be paid
    with app.app_context():
        order = only_order()
        assert order.status == "unpaid" and order.payment.status == "expired"
        assert _stock(coat) == (5, 0)


def test_when_stripe_does_not_answer_the_hold_is_kept_and_asked_about_again(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    _hold_ran_out(app)
    fake_stripe.path_failures[EXPIRE.format(session_id)] = ["network"]
    assert "Released 0" in runner.invoke(args=["expire-holds"]).output
    with app.app_context():
        assert only_order().status == "awaiting_payment" and _stock(coat) == (5, 2)
    assert "Released 1" in runner.invoke(args=["expire-holds"]).output
    with app.app_context():
        assert only_order().status == "unpaid" and _stock(coat) == (5, 0)


def test_no_row_is_locked_while_the_sweep_asks_stripe(app, shop, coat, fake_stripe, runner):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    _hold_ran_out(app)
    seen = []

    def write_meanwhile(method, path):
        # Another worker (a checkout) must be able to write while the sweep waits for Stripe.
        if path.endswith("/expire"):
            with app.app_context():
                if db.engine.dialect.name == "postgresql":  # a held row lock fails fast instead of hanging
                    db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
                db.session.execute(update(Variant).values(reserved=Variant.reserved))
                db.session.execute(update(Order).values(updated_at=Order.updated_at))
                db.session.execute(update(Payment).values(updated_at=Payment.updated_at))
                db.session.commit()
            seen.append(path)

    fake_stripe.on_request = write_meanwhile
    assert "Released 1" in runner.invoke(args=["expire-holds"]).output
    assert seen == [EXPIRE.format(session_id)]


# -- 4. "Pay now" between Stripe's expiry and the hold's, and the real deadline ---------------


def test_the_deadline_shown_is_the_pages_not_the_holds(app, shop, coat, fake_stripe):
    session_id_of(pay_by_card(shop, coat, 1))
    token = _token(app)
    with app.app_context():
        order = only_order()
        closes, hold = order.payment.expires_at, order.hold_expires_at
    assert closes < hold
    html = _page(shop, token)
    with app.test_request_context():
        assert 'data-payment-window="open"' in html
        assert shop_datetime(closes) in html and shop_datetime(hold) not in html


def test_pay_now_after_the_page_timed_out_opens_a_new_page_that_stripe_accepts(app, shop, coat, fake_stripe):
    old = session_id_of(pay_by_card(shop, coat, 2))
    token = _token(app)
    with app.app_context():
        order = only_order()
        closes, hold = order.payment.expires_at, order.hold_expires_at
    with _travel(closes + timedelta(minutes=2)):  # Stripe closed the page; the hold has 3 minutes left
        html = _page(shop, token)
        assert 'data-payment-window="reopen"' in html and f'action="/o/{token}/pay"' in html
        answer = shop.post(f"/o/{token}/pay")
        assert answer.status_code == 303
        new = session_id_of(answer)
        now = utcnow()
    assert new != old and fake_stripe.sessions[old]["status"] == "expired"
    assert fake_stripe.sessions[new]["expires_at"] >= int(now.replace(tzinfo=UTC).timestamp()) + MIN_EXPIRY
    with app.app_context():
        order = only_order()
        assert order.payment.session_ref == new and order.payment.reopened == 1
        assert order.hold_expires_at > order.payment.expires_at >= now + timedelta(minutes=30)
        assert order.status == "awaiting_payment" and _stock(coat) == (5, 2)
    # The new page is paid; its webhook is recognised; the old page's late "expired" event is harmless.
    fake_stripe.pay(new)
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", new).status_code == 200
    late = deliver(shop.client, fake_stripe, "checkout.session.expired", old)
    assert late.status_code == 200 and late.get_json()["known"] is False
    with app.app_context():
        assert only_order().status == "placed" and _stock(coat) == (3, 0)
    assert hold < closes + timedelta(minutes=30)  # the old hold alone could not have satisfied Stripe


def test_pay_now_twice_after_a_timeout_opens_one_new_page(app, shop, coat, fake_stripe):
    session_id_of(pay_by_card(shop, coat, 1))
    token = _token(app)
    with app.app_context():
        closes = only_order().payment.expires_at
    with _travel(closes + timedelta(minutes=1)):
        first = session_id_of(shop.post(f"/o/{token}/pay"))
        second = session_id_of(shop.post(f"/o/{token}/pay"))
    assert first == second and len(fake_stripe.sessions) == 2


def test_pay_now_after_the_hold_ran_out_says_it_is_over(app, shop, coat, fake_stripe):
    old = session_id_of(pay_by_card(shop, coat, 2))
    token = _token(app)
    with app.app_context():
        hold = only_order().hold_expires_at
    with _travel(hold + timedelta(minutes=1)):
        assert 'data-payment-window="over"' in _page(shop, token)
        answer = shop.post(f"/o/{token}/pay", follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "The time to pay for this order is over." in html
    assert len(fake_stripe.sessions) == 1 and fake_stripe.sessions[old]["status"] == "expired"
    with app.app_context():
        assert only_order().status == "unpaid" and _stock(coat) == (5, 0)


def test_pay_now_on_a_timed_out_page_that_was_paid_slowly_opens_nothing(app, shop, coat, fake_stripe):
    old = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(old, slowly=True)  # paid by bank debit; the webhook has not come
    token = _token(app)
    with app.app_context():
        closes = only_order().payment.expires_at
    with _travel(closes + timedelta(minutes=1)):
        answer = shop.post(f"/o/{token}/pay", follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert len(fake_stripe.sessions) == 1  # never a second page to pay twice
    assert 'data-payment-window="processing"' in html and "Nothing was charged" not in html
    with app.app_context():
        assert only_order().payment.status == "processing" and _stock(coat) == (5, 2)


def test_reopening_never_holds_stock_past_its_limit():
    placed = utcnow().replace(microsecond=0)
    hold = placed + timedelta(minutes=36)
    closes, new_hold = reopen_deadlines(placed + timedelta(minutes=33), hold, placed)
    assert closes - (placed + timedelta(minutes=33)) >= timedelta(minutes=30) and new_hold > closes
    assert reopen_deadlines(hold, hold, placed) is None  # the hold is over
    late = placed + timedelta(minutes=MAX_HOLD_MINUTES - 10)
    assert reopen_deadlines(late, late + timedelta(minutes=3), placed) is None
    window = payment_window(placed + timedelta(minutes=31), hold, placed, placed + timedelta(minutes=32))
    assert not window.page_open and window.may_reopen and window.deadline == placed + timedelta(minutes=31)


# -- 7. pages the shop never opened, and pages paid with another amount -------------------------


def test_a_signed_event_for_a_page_the_shop_never_opened_is_acknowledged_and_logged(app, shop, fake_stripe, caplog):
    stray = fake_stripe.open_elsewhere()
    caplog.set_level(logging.INFO, logger="storefront.payments.views")
    answer = deliver(shop.client, fake_stripe, "checkout.session.completed", stray)
    assert answer.status_code == 200 and answer.get_json() == {"received": True, "handled": False, "known": False}
    assert not [call for call in fake_stripe.calls if stray in call[1]]  # nothing to ask Stripe
    assert any(stray in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("charged", ["more", "other currency"])
def test_a_page_paid_with_another_amount_is_refunded_and_flagged(app, shop, coat, fake_stripe, runner, charged):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    with app.app_context():
        order = only_order()
        token, reference, total = order.token, order.reference, order.total
    amount, currency = (total + 100, "usd") if charged == "more" else (total, "eur")
    fake_stripe.pay(session_id, charged=(amount, currency))
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    assert fake_stripe.refunded(session_id) == amount  # all of what was taken goes back, at once
    with app.app_context():
        order = only_order()
        assert order.status == "unpaid" and _stock(coat) == (5, 0)  # not left pending, stock back
        payment = order.payment
        assert payment.status == "paid" and payment.amount_mismatch
        assert (payment.amount, payment.currency) == (amount, currency.upper())
        (refund,) = db.session.scalars(select(Refund)).all()
        assert refund.status == "succeeded" and refund.amount == amount
        make_user()
    html = _page(shop, token)
    assert "data-amount-mismatch" in html and "Nothing was charged" not in html
    admin = ShopClient(app.test_client())
    admin.login()
    assert "data-amount-mismatch" in admin.client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    # A redelivery and the sweep refund nothing more.
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    runner.invoke(args=["expire-holds"])
    assert fake_stripe.refunded(session_id) == amount
    with app.app_context():
        assert len(db.session.scalars(select(Refund)).all()) == 1


def test_a_mismatched_payment_whose_refund_cannot_reach_stripe_is_refunded_by_the_sweep(
    app, shop, coat, fake_stripe, runner
):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    with app.app_context():
        total = only_order().total
    fake_stripe.pay(session_id, charged=(total - 1, "usd"))
    fake_stripe.path_failures["/v1/refunds"] = ["network"]
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    assert fake_stripe.refunded(session_id) == 0
    page = _page(shop, _token(app))  # never "refunded" before it is
    assert "is being refunded" in page and "refunded in full" not in page
    assert "settled 1 refunds" in runner.invoke(args=["expire-holds"]).output
    assert fake_stripe.refunded(session_id) == total - 1
    assert "Your payment is refunded in full." in _page(shop, _token(app))


@pytest.mark.parametrize("locale", ["es", "bn", "zh_Hans"])
def test_the_new_payment_states_read_in_the_shoppers_language(app, shop, coat, fake_stripe, locale):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    token = _token(app)
    with app.app_context():
        closes = only_order().payment.expires_at
    shop.client.set_cookie("locale", locale)
    with app.test_request_context(headers={"Cookie": f"locale={locale}"}):
        from flask_babel import gettext

        timed_out = gettext('The payment page timed out. Press "Pay now" to open a new one.')
        processing = gettext("Payment processing")
    assert timed_out != 'The payment page timed out. Press "Pay now" to open a new one.'
    with _travel(closes + timedelta(minutes=1)):
        html = _page(shop, token)
    assert timed_out.replace('"', "&#34;") in html or timed_out in html
    fake_stripe.pay(session_id, slowly=True)
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    assert processing in _page(shop, token)


def test_a_page_paid_in_a_currency_with_other_stripe_units_is_refunded_in_full(app, shop, coat, fake_stripe):
    """ISK is 2-decimal at Stripe but 0-decimal in the shop: the refund is sent in the payment's own units."""
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id, charged=(500000, "isk"))  # 5,000 kr as Stripe counts it
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    assert fake_stripe.refunded(session_id) == 500000  # all of it, not 5000 (50 kr)
    with app.app_context():
        payment = only_order().payment
        assert (payment.amount, payment.currency, payment.amount_refunded) == (5000, "ISK", 5000)
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.status, refund.amount) == ("succeeded", 5000)


def test_no_lock_is_held_while_the_webhook_retries_an_earlier_refund(app, shop, coat, fake_stripe):
    """The webhook settles two refunds in a row: the second Stripe call waits with no lock (SQLite's write lock)."""
    first = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(first, charged=(100, "usd"))
    fake_stripe.path_failures["/v1/refunds"] = ["network"]  # its refund stays pending, unanswered
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", first).status_code == 200
    second = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(second, charged=(200, "usd"))
    seen = []

    def write_meanwhile(method, path):
        if path != "/v1/refunds":
            return
        try:
            with app.app_context():
                if db.engine.dialect.name == "postgresql":
                    db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
                else:  # a held write lock fails fast instead of waiting out the busy timeout
                    db.session.execute(text("PRAGMA busy_timeout = 200"))
                db.session.execute(update(Payment).values(updated_at=Payment.updated_at))
                db.session.commit()
            seen.append("wrote")
        except Exception as exc:  # noqa: BLE001 - the lock is the failure under test
            seen.append(type(exc).__name__)

    fake_stripe.on_request = write_meanwhile
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", second).status_code == 200
    assert seen == ["wrote", "wrote"]  # the new payment's refund, then the earlier one's retry
    assert (fake_stripe.refunded(first), fake_stripe.refunded(second)) == (100, 200)
