"""`flask ops reconcile`: passes on a clean shop and on the demo, and finds each kind of planted inconsistency."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.jobs import enqueue
from storefront.jobs.models import Job
from storefront.orders.models import Order, OrderStatusChange
from storefront.payments.models import Payment
from storefront.sellers.models import CommissionEntry, Seller
from tests.builders import CHECKOUT_PICKUP, make_product, make_user, nth_shopper, pickup_by, variant_ids

CHECKS = {"stock_ledger", "payments", "paid_once", "jobs", "commissions"}


def _reconcile(runner) -> tuple[int, dict]:
    result = runner.invoke(args=["ops", "reconcile", "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, json.loads(result.output)


def _orders(app, count: int) -> list[int]:
    """`count` cash orders placed through the checkout, by different shoppers; their ids."""
    with app.app_context():
        variant = variant_ids(make_product("Clay pot", variants=(("M", 20),)))[0]
    for n in range(count):
        shop = nth_shopper(app, n)
        shop.add(variant, 1)
        assert shop.checkout({**CHECKOUT_PICKUP, **pickup_by(n)}).status_code == 303
    with app.app_context():
        return list(db.session.scalars(select(Order.id).order_by(Order.id)))


def test_a_clean_shop_passes(app, runner):
    _orders(app, 2)
    code, result = _reconcile(runner)
    assert code == 0 and result["ok"] is True
    assert set(result["checks"]) == CHECKS
    assert all(check == {"ok": True, "problems": []} for check in result["checks"].values())
    plain = runner.invoke(args=["ops", "reconcile"])
    assert plain.exit_code == 0 and "All checks passed." in plain.output


def test_each_planted_inconsistency_is_found(app, runner):
    first, second, third = _orders(app, 3)
    now = utcnow()
    with app.app_context():
        db.session.execute(update(Variant).values(on_hand=Variant.on_hand + 1))  # stock without a ledger line
        db.session.add(  # money taken, the order never marked paid
            Payment(order_id=first, provider="card", status="paid", amount=900, currency="USD", idempotency_key="k1")
        )
        for _ in range(2):  # marked paid twice, and without a payment
            db.session.add(OrderStatusChange(order_id=second, from_status="x", to_status="placed", event="pay"))
        failed = enqueue(db.session, "ops.test", {}, key="failed-one", now=now)
        stuck = enqueue(db.session, "ops.test", {}, key="stuck-one", now=now)
        db.session.execute(update(Job).where(Job.id == failed).values(status="failed", attempts=5, last_error="Boom"))
        db.session.execute(
            update(Job).where(Job.id == stuck).values(status="running", locked_until=now - timedelta(minutes=1))
        )
        seller = Seller(user_id=make_user("seller@example.com", role="seller").id, code="ANNA24")
        db.session.add(seller)
        db.session.flush()
        db.session.execute(update(Order).where(Order.id == third).values(status="cancelled"))
        db.session.add(
            CommissionEntry(
                order_id=third, seller_id=seller.id, currency="USD", base=900, original_amount=90, amount=90,
                status="approved",
            )
        )  # fmt: skip
        db.session.commit()
        reference = db.session.get(Order, second).reference
    code, result = _reconcile(runner)
    assert code == 1 and result["ok"] is False
    checks = result["checks"]
    assert {name for name, check in checks.items() if not check["ok"]} == CHECKS
    assert "on_hand 18 but its ledger sums to 17" in checks["stock_ledger"]["problems"][0]
    payments = " | ".join(checks["payments"]["problems"])
    assert "never marked paid" in payments and f"order {reference}" in payments and "no payment" in payments
    assert checks["paid_once"]["problems"] == [f"order {reference} (#{second}) was marked paid 2 times"]
    jobs = " | ".join(checks["jobs"]["problems"])
    assert f"job #{failed} ops.test failed after 5 attempts: Boom" in jobs and f"job #{stuck}" in jobs
    assert "is approved for order" in checks["commissions"]["problems"][0]
    plain = runner.invoke(args=["ops", "reconcile"])
    assert plain.exit_code == 1 and "Problems found." in plain.output and "stock_ledger: PROBLEMS" in plain.output


@pytest.mark.filterwarnings("ignore")
def test_the_seeded_demo_passes(app, runner):
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    code, result = _reconcile(runner)
    assert code == 0, result
