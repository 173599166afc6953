"""Owner refunds of card payments: partial, full, never doubled, never more than was paid."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

from sqlalchemy import func, select

from storefront.analytics.models import Event
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.payments.models import Payment, Refund
from storefront.reports.rules import DateRange
from storefront.reports.service import overview
from storefront.reports.views import shop_zone
from tests.builders import ShopClient, make_user

from .helpers import paid_card_order


def _owner(app, role: str = "owner") -> ShopClient:
    with app.app_context():
        make_user(f"{role}@example.com", role)
    owner = ShopClient(app.test_client())
    assert owner.login(f"{role}@example.com").status_code in (302, 303)
    return owner


def _refund_key(owner: ShopClient, reference: str) -> str:
    html = owner.client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    match = re.search(r'name="refund_key" value="([^"]+)"', html)
    assert match, "no refund form on the order page"
    return match.group(1)


def _refund(owner: ShopClient, reference: str, amount: str, key: str | None = None):
    key = key or _refund_key(owner, reference)
    return owner.post(f"/admin/orders/{reference}/refund", {"amount": amount, "refund_key": key, "reason": "Damaged"})


def _refunded(app) -> tuple[int, int]:
    with app.app_context():
        db.session.expire_all()
        payment = db.session.scalars(select(Payment)).one()
        succeeded = db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.status == "succeeded")
        )
        return payment.amount_refunded, succeeded


def test_partial_then_full_refund(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 2)  # 105.00
    owner = _owner(app)
    assert _refund(owner, order["reference"], "10.00").status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 1000 and _refunded(app) == (1000, 1000)
    page = shop.client.get(f"/o/{order['token']}").get_data(as_text=True)
    assert "Partly refunded" in page and "$10.00" in page
    assert _refund(owner, order["reference"], "95.00").status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 10500 and _refunded(app) == (10500, 10500)
    assert "Refunded in full" in shop.client.get(f"/o/{order['token']}").get_data(as_text=True)
    with app.app_context():
        values = db.session.scalars(select(Event.value).where(Event.name == "refund").order_by(Event.id)).all()
        assert values == [1000, 9500]  # each refund is logged for the reports, server side
    # Nothing is left to refund: the form is gone and a forged post is refused.
    assert 'name="refund_key"' not in owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    response = _refund(owner, order["reference"], "1.00", key="k" * 32)
    assert response.status_code == 422 and "already been refunded in full" in response.get_data(as_text=True)


def test_the_same_refund_form_sent_twice_refunds_once(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    key = _refund_key(owner, order["reference"])
    assert _refund(owner, order["reference"], "20.00", key).status_code == 303
    assert _refund(owner, order["reference"], "20.00", key).status_code == 303  # reload + resend
    assert fake_stripe.refunded(order["session_id"]) == 2000 and _refunded(app) == (2000, 2000)
    with app.app_context():
        assert db.session.scalar(select(func.count(Refund.id))) == 1


def test_two_refunds_at_once_never_exceed_the_payment(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)  # 55.00
    owner, second = _owner(app), ShopClient(app.test_client())
    assert second.login("owner@example.com").status_code in (302, 303)
    keys = [_refund_key(owner, order["reference"]), _refund_key(second, order["reference"])]
    barrier = threading.Barrier(2)

    def refund(args):
        client, key = args
        barrier.wait()
        return _refund(client, order["reference"], "40.00", key).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(refund, [(owner, keys[0]), (second, keys[1])]))
    assert statuses in ([303, 409], [303, 422])  # one goes through, the other is told why not
    assert fake_stripe.refunded(order["session_id"]) == 4000 and _refunded(app) == (4000, 4000)


def test_bad_refund_input_is_refused_with_a_message(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    for amount, status, text in [
        ("abc", 422, "Enter the amount like 12.50."),
        ("0", 422, "Enter an amount above zero."),
        ("55.01", 422, "At most 55.00 USD can still be refunded."),
        ("1.234", 422, "Enter the amount like 12.50."),
    ]:
        response = _refund(owner, order["reference"], amount)
        assert response.status_code == status and text in response.get_data(as_text=True), amount
    response = owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "1.00", "refund_key": "short"})
    assert response.status_code == 400
    assert fake_stripe.refunded(order["session_id"]) == 0 and _refunded(app) == (0, 0)


def test_staff_cannot_refund(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    staff = _owner(app, "staff")
    assert 'name="refund_key"' not in staff.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    assert _refund(staff, order["reference"], "1.00", key="k" * 32).status_code == 403
    assert fake_stripe.refunded(order["session_id"]) == 0


def test_a_refund_stripe_refuses_books_nothing(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    fake_stripe.intents[next(iter(fake_stripe.intents))]["amount_refunded"] = 5000  # refunded in Stripe's dashboard
    response = _refund(
        owner,
        order["reference"],
        "10.00",
    )
    assert response.status_code == 502 and "refused" in response.get_data(as_text=True)
    assert _refunded(app) == (0, 0)
    with app.app_context():
        assert db.session.scalars(select(Refund)).one().status == "failed"


def test_a_refund_that_gets_no_answer_stays_pending_and_is_retried_once(app, shop, coat, fake_stripe, runner):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    fake_stripe.path_failures["/v1/refunds"] = ["network"]
    key = _refund_key(owner, order["reference"])
    response = _refund(owner, order["reference"], "10.00", key)
    assert response.status_code == 303
    assert "retried automatically" in owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert _refunded(app) == (1000, 0)  # booked, not yet confirmed
    assert "settled 1 refunds" in runner.invoke(args=["expire-holds"]).output
    assert _refunded(app) == (1000, 1000) and fake_stripe.refunded(order["session_id"]) == 1000
    assert _refund(owner, order["reference"], "10.00", key).status_code == 303  # the old form again
    assert fake_stripe.refunded(order["session_id"]) == 1000


def test_the_overview_report_shows_refunds_and_net_revenue(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 2)  # 105.00
    owner = _owner(app)
    assert _refund(owner, order["reference"], "10.00").status_code == 303
    page = owner.client.get("/admin/reports/").get_data(as_text=True)  # the page rolls up first
    assert "Net revenue" in page and "$95.00" in page
    with app.test_request_context():
        today = utcnow().replace(tzinfo=UTC).astimezone(shop_zone()).date()
        report = overview(db.session, DateRange(today - timedelta(days=1), today))
    assert (report.totals["revenue"], report.totals["refunds"], report.net_revenue) == (10500, 1000, 9500)
