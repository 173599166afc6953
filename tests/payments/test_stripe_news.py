"""What happens in Stripe's dashboard and at the shopper's bank shows in the shop, once per event.

Every scenario is a signed event through the real webhook route, built by the fake Stripe.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.payments.models import Dispute, Payment, Refund
from storefront.sellers.models import CommissionEntry, Seller
from tests.builders import ShopClient, make_user
from tests.sellers.builders import make_seller

from .helpers import paid_card_order


def _post(client, payload: bytes, signature: str):
    return client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature})


def _send(client, fake, kind: str, obj: dict, times: int = 1, event_id: str | None = None) -> list[int]:
    """Deliver one signed event `times` times (a redelivery keeps its id)."""
    payload, signature = fake.signed(kind, obj, event_id=event_id)
    return [_post(client, payload, signature).status_code for _ in range(times)]


def _refunds(app) -> list[tuple[int, str, str | None]]:
    with app.app_context():
        db.session.expire_all()
        return [(r.amount, r.status, r.provider_ref) for r in db.session.scalars(select(Refund).order_by(Refund.id))]


def _booked(app) -> int:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalars(select(Payment)).one().amount_refunded


def _owner(app) -> ShopClient:
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code in (302, 303)
    return owner


def _page(shop, order) -> str:
    return shop.client.get(f"/o/{order['token']}").get_data(as_text=True)


def test_a_dashboard_refund_is_recorded_once_whatever_events_report_it(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 2)  # 105.00
    made = fake_stripe.dashboard_refund(order["session_id"], 2000)
    assert (
        _send(shop.client, fake_stripe, "charge.refunded", fake_stripe.charge(order["session_id"]), times=3)
        == [200] * 3
    )
    assert _send(shop.client, fake_stripe, "refund.created", dict(fake_stripe.refunds[made["id"]])) == [200]
    # The same charge again, this time without its refunds list (newer API versions): listed from the API.
    assert _send(
        shop.client, fake_stripe, "charge.refunded", fake_stripe.charge(order["session_id"], with_refunds=False)
    ) == [200]
    assert fake_stripe.count("get", "/v1/refunds") == 1
    assert _refunds(app) == [(2000, "succeeded", made["id"])] and _booked(app) == 2000
    assert "Partly refunded: $20.00 of $105.00." in _page(shop, order)
    owner = _owner(app)
    assert "up to $85.00" in owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)


def test_the_shops_own_refund_is_not_counted_again_when_stripe_reports_it(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    key = re.search(r'name="refund_key" value="([^"]+)"', html).group(1)
    # Stripe makes the refund but its answer is lost: the webhook arrives before the shop knows the id.
    fake_stripe.path_failures["/v1/refunds"] = ["network"]
    owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "15.00", "refund_key": key})
    assert _refunds(app) == [(1500, "pending", None)]
    intent = fake_stripe.intents[next(iter(fake_stripe.intents))]
    made = fake_stripe._add_refund(intent, 1500, {"shop_refund_key": key})
    assert (
        _send(shop.client, fake_stripe, "charge.refunded", fake_stripe.charge(order["session_id"]), times=2)
        == [200] * 2
    )
    assert _refunds(app) == [(1500, "succeeded", made["id"])] and _booked(app) == 1500
    assert _send(shop.client, fake_stripe, "refund.updated", dict(made)) == [200]
    assert len(_refunds(app)) == 1 and _booked(app) == 1500


def test_a_failed_refund_shows_as_failed_and_the_amount_is_owed_again(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    key = re.search(r'name="refund_key" value="([^"]+)"', html).group(1)
    owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "55.00", "refund_key": key})
    assert "Refunded in full" in _page(shop, order)
    (refund_id,) = fake_stripe.refunds
    failed = fake_stripe.set_refund_status(refund_id, "failed", "expired_or_canceled_card")
    assert _send(shop.client, fake_stripe, "refund.failed", failed, times=2, event_id="evt_failed") == [200] * 2
    assert _refunds(app) == [(5500, "failed", refund_id)] and _booked(app) == 0
    page = _page(shop, order)
    assert "A refund of $55.00 failed and did not reach you." in page and "Refunded in full" not in page
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    assert "up to $55.00" in html and "expired_or_canceled_card" in html  # the owner can refund it again
    from storefront.analytics.models import Event

    with app.app_context():  # the reports count it as given back, then not
        assert db.session.scalars(select(Event.value).where(Event.name == "refund").order_by(Event.id)).all() == [
            5500,
            -5500,
        ]


def _seller_order(app, shop, fake_stripe, coat) -> dict:
    with app.app_context():
        make_seller("ANNA24", rate_bp=1000)
        slug = db.session.scalars(select(Product.slug)).first()
    assert shop.client.get(f"/p/{slug}?ref=ANNA24").status_code == 200
    return paid_card_order(app, shop, fake_stripe, coat, 1)


def _commission(app) -> tuple[str, int, bool, int]:
    with app.app_context():
        db.session.expire_all()
        entry = db.session.scalars(select(CommissionEntry)).one()
        owed = db.session.scalars(select(Seller.owed)).one()
        return entry.status, entry.amount, entry.held_at is not None, owed


def test_a_dispute_is_recorded_shown_and_holds_the_commission_until_won(app, shop, coat, fake_stripe):
    app.config["SELLER_RETURN_WINDOW_DAYS"] = 0
    order = _seller_order(app, shop, fake_stripe, coat)
    owner = _owner(app)
    assert owner.post(f"/admin/orders/{order['reference']}/event", {"event": "confirm"}).status_code == 303
    dispute = fake_stripe.open_dispute(order["session_id"], reason="product_not_received")
    assert _send(shop.client, fake_stripe, "charge.dispute.created", dispute, times=2, event_id="evt_dp1") == [200] * 2
    with app.app_context():
        (row,) = db.session.scalars(select(Dispute)).all()
        assert (row.provider_ref, row.amount, row.reason, row.status, row.closed_at) == (
            dispute["id"],
            5500,
            "product_not_received",
            "needs_response",
            None,
        )
    assert _commission(app) == ("pending", 500, True, 0)
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    assert "data-disputes" in html and "Goods not received" in html and "commission is held" in html
    dashboard = owner.client.get("/admin/").get_data(as_text=True)
    assert "Open disputes" in dashboard and order["reference"] in dashboard
    assert "You disputed $55.00 of this payment with your bank" in _page(shop, order)
    for step in ("pack", "ship", "deliver"):  # delivered with a 0-day window: approved, but for the hold
        assert owner.post(f"/admin/orders/{order['reference']}/event", {"event": step}).status_code == 303
    assert _commission(app) == ("pending", 500, True, 0)
    won = fake_stripe.close_dispute(dispute["id"], "won")
    assert _send(shop.client, fake_stripe, "charge.dispute.closed", won, times=2) == [200] * 2
    assert _commission(app) == ("approved", 500, False, 500)
    assert "Open disputes" not in owner.client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Dispute)).one().closed_at is not None


def test_a_lost_dispute_reverses_the_commission_and_tells_the_shopper(app, shop, coat, fake_stripe):
    app.config["SELLER_RETURN_WINDOW_DAYS"] = 0
    order = _seller_order(app, shop, fake_stripe, coat)
    owner = _owner(app)
    for step in ("confirm", "pack", "ship", "deliver"):
        assert owner.post(f"/admin/orders/{order['reference']}/event", {"event": step}).status_code == 303
    assert _commission(app) == ("approved", 500, False, 500)
    dispute = fake_stripe.open_dispute(order["session_id"])
    assert _send(shop.client, fake_stripe, "charge.dispute.created", dispute) == [200]
    assert _commission(app) == ("approved", 500, True, 0)  # approved but held: not payable
    lost = fake_stripe.close_dispute(dispute["id"], "lost")
    assert _send(shop.client, fake_stripe, "charge.dispute.closed", lost, times=2) == [200] * 2
    assert _commission(app) == ("reversed", 0, False, 0)
    assert "Your bank returned $55.00 to you after your dispute." in _page(shop, order)


def test_a_dispute_heard_of_only_when_closed_is_recorded_and_a_late_created_changes_nothing(
    app, shop, coat, fake_stripe
):
    order = _seller_order(app, shop, fake_stripe, coat)
    dispute = fake_stripe.open_dispute(order["session_id"])
    lost = fake_stripe.close_dispute(dispute["id"], "lost")
    assert _send(shop.client, fake_stripe, "charge.dispute.closed", lost) == [200]
    assert _send(shop.client, fake_stripe, "charge.dispute.created", dispute) == [200]  # late
    with app.app_context():
        row = db.session.scalars(select(Dispute)).one()
        assert row.status == "lost" and row.closed_at is not None
    assert _commission(app)[:3] == ("reversed", 0, False)


def test_news_about_a_payment_the_shop_never_took_is_acknowledged(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    dispute = {**fake_stripe.open_dispute(order["session_id"]), "payment_intent": "pi_someone_else"}
    assert _send(shop.client, fake_stripe, "charge.dispute.created", dispute) == [200]
    assert _send(
        shop.client,
        fake_stripe,
        "refund.updated",
        {"id": "re_x", "object": "refund", "amount": 5, "status": "succeeded", "payment_intent": "pi_nope"},
    ) == [200]
    with app.app_context():
        assert db.session.scalars(select(Dispute)).all() == [] and db.session.scalars(select(Refund)).all() == []


def test_a_forged_refund_event_is_refused(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    made = fake_stripe.dashboard_refund(order["session_id"], 1000)
    payload, signature = fake_stripe.signed("refund.updated", made, secret="whsec_wrong")
    assert _post(shop.client, payload, signature).status_code == 400
    assert _refunds(app) == []


def test_concurrent_reports_of_one_dashboard_refund_record_it_once(app, shop, coat, fake_stripe):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    order = paid_card_order(app, shop, fake_stripe, coat, 2)
    made = fake_stripe.dashboard_refund(order["session_id"], 3000)
    events = [fake_stripe.signed("charge.refunded", fake_stripe.charge(order["session_id"])) for _ in range(3)]
    events += [fake_stripe.signed("refund.updated", dict(made)) for _ in range(3)]
    barrier = threading.Barrier(len(events))

    def deliver(event):
        client = app.test_client()
        barrier.wait()
        return _post(client, *event).status_code

    with ThreadPoolExecutor(len(events)) as pool:
        assert sorted(pool.map(deliver, events)) == [200] * len(events)
    assert _refunds(app) == [(3000, "succeeded", made["id"])] and _booked(app) == 3000
    from storefront.analytics.models import Event

    with app.app_context():
        assert db.session.scalars(select(Event.value).where(Event.name == "refund")).all() == [3000]
