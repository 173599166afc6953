"""A late card payment revives an order whose code use was given back: it takes the use again within the
limits, or, when the code was used up meanwhile, the payment is refunded like one for goods sold out
(both databases; the payment provider is the fake Stripe)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.payments import service
from storefront.payments.models import Payment, Refund
from storefront.promotions.models import DiscountCode, Redemption
from tests.builders import CHECKOUT_PICKUP, ShopClient
from tests.payments.conftest import app, coat, fake_stripe  # noqa: F401 - fixtures
from tests.payments.helpers import deliver, session_id_of

from .helpers import apply_code, make_code


def _order_of(session_id: str) -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Payment).where(Payment.session_ref == session_id)).one().order


def _card_order_with_code_that_runs_out(app, shop, coat, fake_stripe) -> str:  # noqa: F811
    with app.app_context():
        make_code("ONCE", "fixed", 500, max_uses=1)
    assert shop.add(coat, 1).status_code == 303
    apply_code(shop, "ONCE")
    session_id = session_id_of(shop.checkout({**CHECKOUT_PICKUP, "payment_method": "card"}))
    fake_stripe.pay(session_id, slowly=True)  # a bank debit: the money comes after the hold ends
    with app.app_context():
        order = _order_of(session_id)
        assert order.discount == 500
        db.session.execute(
            update(Order).where(Order.id == order.id).values(hold_expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        assert service.release_hold(db.session, order.id, utcnow())  # the hold ran out: unpaid, use given back
        db.session.commit()
        assert _order_of(session_id).status == "unpaid"
        assert db.session.scalar(select(DiscountCode.uses)) == 0  # given back
    return session_id


def _late_debit_succeeds(shop, fake_stripe, session_id: str) -> None:  # noqa: F811
    fake_stripe.settle(session_id, succeeded=True)
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_succeeded", session_id).status_code == 200


def test_a_late_payment_takes_the_use_again(app, shop, coat, fake_stripe):  # noqa: F811
    session_id = _card_order_with_code_that_runs_out(app, shop, coat, fake_stripe)
    _late_debit_succeeds(shop, fake_stripe, session_id)
    with app.app_context():
        assert _order_of(session_id).status == "placed"
        assert db.session.scalar(select(DiscountCode.uses)) == 1
        assert db.session.scalar(select(Redemption.released_at)) is None


def test_a_late_payment_after_the_code_was_used_up_is_refunded(app, shop, coat, fake_stripe):  # noqa: F811
    session_id = _card_order_with_code_that_runs_out(app, shop, coat, fake_stripe)
    other = ShopClient(app.test_client())  # meanwhile another shopper takes the one use
    assert other.add(coat, 1).status_code == 303
    apply_code(other, "ONCE")
    assert other.checkout({**CHECKOUT_PICKUP, "phone": "+1 503 555 0111"}).status_code == 303
    _late_debit_succeeds(shop, fake_stripe, session_id)
    with app.app_context():
        order = _order_of(session_id)
        assert order.status == "cancelled" and order.payment.refund_due
        assert db.session.scalar(select(DiscountCode.uses)) == 1  # the limit held: one use, the other order's
        (refund,) = db.session.scalars(select(Refund)).all()
        assert refund.amount == order.total
