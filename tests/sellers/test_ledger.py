"""Acceptance 1 and 4 against the database: credit once, pending -> approved -> paid, reversals, payouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.clock import utcnow
from storefront.domain import Conflict, Invalid, NotFound
from storefront.extensions import db
from storefront.sellers import accounts, service
from storefront.sellers.models import CommissionEntry, Payout, Seller
from storefront.sellers.rules import PayoutTooLarge
from tests.builders import make_category, make_product, make_user
from tests.sellers.builders import make_order, make_seller, touched

pytestmark = pytest.mark.clock_sensitive  # commissions' return window and attribution window


@pytest.fixture
def shop(app):
    """Two products (one in a category with a 25 % override), seller ANNA24 at 10 %, and a context."""
    with app.app_context():
        shoes = make_category("Shoes")
        coat = make_product("Wool coat", price=10000)
        boots = make_product("Boots", price=4000, category=shoes)
        anna = make_seller("ANNA24", rate_bp=1000, phone="+44 7700 900001", overrides={shoes.id: 2500})
        make_seller("BEN99", rate_bp=500)
        yield {"coat": coat, "boots": boots, "anna": anna.id}


def _owed(seller_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Seller, seller_id).owed


def _credit(order, *pairs, now=None):
    entry = service.credit_order(db.session, order, touched(*pairs), now or utcnow())
    db.session.commit()
    return entry


def test_a_referred_order_is_credited_once_with_category_rates(shop):
    now = utcnow()
    order = make_order([(shop["coat"], 2), (shop["boots"], 1)], shipping=700)
    entry = _credit(order, ("ANNA24", now - timedelta(days=3)), now=now)
    # 2 x 100.00 at 10 % + 40.00 at 25 % (shoes override); shipping earns nothing
    assert (entry.seller_id, entry.base, entry.amount, entry.status) == (shop["anna"], 24000, 3000, "pending")
    again = _credit(order, ("BEN99", now), now=now)
    assert again.id == entry.id and again.seller_id == shop["anna"], (
        "credit happens once; later calls get the same entry"
    )
    assert db.session.scalar(select(func.count(CommissionEntry.id))) == 1
    assert _owed(shop["anna"]) == 0, "pending commission is not owed yet"


def test_no_credit_for_expired_unknown_disabled_or_self_referral(shop, app):
    now = utcnow()
    expired = make_order([(shop["coat"], 1)])
    assert _credit(expired, ("ANNA24", now - timedelta(days=31)), now=now) is None
    unknown = make_order([(shop["coat"], 1)])
    assert _credit(unknown, ("ZZZZ99", now), now=now) is None
    assert service.credit_order(db.session, unknown, None, now) is None
    own = make_order([(shop["coat"], 1)], email="someone@example.com", phone="07700 900001")
    assert _credit(own, ("ANNA24", now), now=now) is None, "the seller's own phone"
    db.session.get(Seller, shop["anna"]).active = False
    db.session.commit()
    disabled = make_order([(shop["coat"], 1)])
    assert _credit(disabled, ("ANNA24", now), now=now) is None
    assert db.session.scalar(select(func.count(CommissionEntry.id))) == 0
    db.session.get(Seller, shop["anna"]).active = True
    # the window comes with the attribution (SELLER_ATTRIBUTION_DAYS on the request side)
    week_old = touched(("ANNA24", now - timedelta(days=8)), window_days=7)
    assert service.credit_order(db.session, disabled, week_old, now) is None
    entry = service.credit_order(
        db.session, disabled, touched(("ANNA24", now - timedelta(days=8)), window_days=10), now
    )
    assert entry is not None and entry.touched_at == now - timedelta(days=8)


def test_lifecycle_paid_completed_approved_paid_out(shop):
    now = utcnow()
    order = make_order([(shop["coat"], 1)])
    _credit(order, ("ANNA24", now), now=now)
    service.order_completed(db.session, order.id, now, return_window_days=14)
    service.order_paid(db.session, order.id, now)
    db.session.commit()
    assert service.approve_due(db.session, now + timedelta(days=13)) == 0, "still inside the return window"
    assert service.entry_for_order(db.session, order.id).status == "pending"
    assert service.approve_due(db.session, now + timedelta(days=14)) == 1
    db.session.commit()
    assert service.entry_for_order(db.session, order.id).status == "approved" and _owed(shop["anna"]) == 1000
    assert service.approve_due(db.session, now + timedelta(days=20)) == 0, "approved once"
    with pytest.raises(PayoutTooLarge):
        service.record_payout(db.session, shop["anna"], 1001, None, now)
    db.session.rollback()
    payout = service.record_payout(db.session, shop["anna"], 1000, None, now, note="bank transfer")
    db.session.commit()
    entry = service.entry_for_order(db.session, order.id)
    assert (entry.status, entry.payout_id, payout.currency) == ("paid", payout.id, "USD")
    assert _owed(shop["anna"]) == 0


def test_unpaid_orders_are_never_approved(shop):
    now = utcnow()
    order = make_order([(shop["coat"], 1)])
    _credit(order, ("ANNA24", now), now=now)
    service.order_completed(db.session, order.id, now, return_window_days=0)
    db.session.commit()
    assert service.approve_due(db.session, now + timedelta(days=60)) == 0
    service.order_paid(db.session, order.id, now + timedelta(days=61))  # cash collected late
    db.session.commit()
    assert service.entry_for_order(db.session, order.id).status == "approved", "paid after the window: approved at once"


def test_cancel_reverses_and_late_events_change_nothing(shop):
    now = utcnow()
    order = make_order([(shop["coat"], 1)])
    _credit(order, ("ANNA24", now), now=now)
    service.order_cancelled(db.session, order.id, now)
    service.order_paid(db.session, order.id, now)  # a late payment webhook
    service.order_completed(db.session, order.id, now, return_window_days=0)
    service.order_cancelled(db.session, order.id, now)
    db.session.commit()
    entry = service.entry_for_order(db.session, order.id)
    assert (entry.status, entry.amount, entry.original_amount) == ("reversed", 0, 1000)
    assert service.approve_due(db.session, now + timedelta(days=99)) == 0
    assert _owed(shop["anna"]) == 0
    assert service.order_paid(db.session, 999999, now) is None, "orders without commission are fine"


def test_refunds_reduce_then_reverse_and_take_back_approved_commission(shop):
    now = utcnow()
    order = make_order([(shop["coat"], 2)])  # base 200.00, commission 20.00
    _credit(order, ("ANNA24", now), now=now)
    service.order_paid(db.session, order.id, now)
    service.order_completed(db.session, order.id, now, return_window_days=0)
    db.session.commit()
    assert _owed(shop["anna"]) == 2000
    service.order_refunded(db.session, order.id, 5000, now)  # cumulative 50.00
    service.order_refunded(db.session, order.id, 5000, now)  # the same webhook again
    db.session.commit()
    entry = service.entry_for_order(db.session, order.id)
    assert (entry.status, entry.amount, entry.refunded) == ("approved", 1500, 5000) and _owed(shop["anna"]) == 1500
    service.order_refunded(db.session, order.id, 20500, now)  # everything, shipping included
    db.session.commit()
    entry = service.entry_for_order(db.session, order.id)
    assert (entry.status, entry.amount) == ("reversed", 0) and _owed(shop["anna"]) == 0


def test_refund_after_payout_is_owed_back(shop):
    now = utcnow()
    first, second = make_order([(shop["coat"], 1)]), make_order([(shop["coat"], 1)])
    for order in (first, second):
        _credit(order, ("ANNA24", now), now=now)
        service.order_paid(db.session, order.id, now)
        service.order_completed(db.session, order.id, now, return_window_days=0)
    service.record_payout(db.session, shop["anna"], 2000, None, now)
    db.session.commit()
    service.order_refunded(db.session, first.id, 10000, now)
    db.session.commit()
    assert _owed(shop["anna"]) == -1000, "the seller owes the reversed commission back"
    with pytest.raises(PayoutTooLarge):
        service.record_payout(db.session, shop["anna"], 1, None, now)
    db.session.rollback()
    third = make_order([(shop["coat"], 1)])
    _credit(third, ("ANNA24", now), now=now)
    service.order_paid(db.session, third.id, now)
    service.order_completed(db.session, third.id, now, return_window_days=0)
    db.session.commit()
    assert _owed(shop["anna"]) == 0, "the next commission settles the debt"
    assert service.entry_for_order(db.session, third.id).status == "approved"


def test_payouts_settle_oldest_entries_and_never_exceed_owed(shop):
    now = utcnow()
    orders = [make_order([(shop["coat"], n)]) for n in (1, 2, 3)]  # 10, 20, 30
    for order in orders:
        _credit(order, ("ANNA24", now), now=now)
        service.order_paid(db.session, order.id, now)
        service.order_completed(db.session, order.id, now, return_window_days=0)
    db.session.commit()
    assert _owed(shop["anna"]) == 6000
    service.record_payout(db.session, shop["anna"], 2500, None, now)
    db.session.commit()
    statuses = [service.entry_for_order(db.session, o.id).status for o in orders]
    assert statuses == ["paid", "approved", "approved"], "10 of 25 settles the first; 15 waits for more"
    service.record_payout(db.session, shop["anna"], 500, None, now)
    db.session.commit()
    statuses = [service.entry_for_order(db.session, o.id).status for o in orders]
    assert statuses == ["paid", "paid", "approved"]
    for bad in (0, -100, 3001):
        with pytest.raises((Invalid, PayoutTooLarge)):
            service.record_payout(db.session, shop["anna"], bad, None, now)
        db.session.rollback()
    with pytest.raises(NotFound):
        service.record_payout(db.session, 4242, 10, None, now)
    db.session.rollback()
    # the invariant: owed == approved + paid commission - payouts
    earned = db.session.scalar(
        select(func.sum(CommissionEntry.amount)).where(CommissionEntry.status.in_(["approved", "paid"]))
    )
    paid_out = db.session.scalar(select(func.sum(Payout.amount)))
    assert _owed(shop["anna"]) == earned - paid_out == 3000


def test_seller_accounts_cannot_take_over_admin_emails(sqlite_app):
    def create(email: str, code: str | None = None):
        return accounts.create_seller(
            db.session,
            email=email,
            name="Neo",
            phone="",
            password=None,
            code=code,
            rate_bp=100,
            overrides={},
            now=utcnow(),
        )

    with sqlite_app.app_context():
        make_seller("ANNA24")
        make_user("boss@example.com", "owner")
        for email, code in (("boss@example.com", None), ("new@example.com", "ANNA24")):
            with pytest.raises(Conflict):
                create(email, code)
            db.session.rollback()
        seller, password = create("New@Example.com")
        db.session.commit()
        assert seller.user.role == "seller" and seller.user.email == "new@example.com"
        assert len(password) >= 12 and seller.user.check_password(password) and len(seller.code) == 6


def test_the_approve_commissions_command(shop, runner):
    now = utcnow()
    order = make_order([(shop["coat"], 1)])
    _credit(order, ("ANNA24", now - timedelta(days=20)), now=now - timedelta(days=20))
    service.order_paid(db.session, order.id, now - timedelta(days=20))
    service.order_completed(db.session, order.id, now - timedelta(days=15), return_window_days=14)
    db.session.commit()
    result = runner.invoke(args=["approve-commissions"])
    assert result.exit_code == 0 and "Approved 1 commissions." in result.output, result.output
    assert service.entry_for_order(db.session, order.id).status == "approved" and _owed(shop["anna"]) == 1000
    assert "Approved 0 commissions." in runner.invoke(args=["approve-commissions"]).output
