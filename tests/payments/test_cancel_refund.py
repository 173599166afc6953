"""Cancelling a paid card order gives the money back (or the owner keeps it), and the shopper's page says so."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.payments.models import Payment, Refund
from tests.builders import ShopClient, make_user

from .helpers import paid_card_order


def _owner(app, role: str = "owner") -> ShopClient:
    with app.app_context():
        make_user(f"{role}@example.com", role)
    owner = ShopClient(app.test_client())
    assert owner.login(f"{role}@example.com").status_code in (302, 303)
    return owner


def _step(owner: ShopClient, reference: str, event: str, **fields):
    return owner.post(f"/admin/orders/{reference}/event", {"event": event, **fields})


def _refunds(app) -> list[tuple[int, str]]:
    with app.app_context():
        db.session.expire_all()
        return [(r.amount, r.status) for r in db.session.scalars(select(Refund).order_by(Refund.id))]


def _shopper_page(shop, order) -> str:
    return shop.client.get(f"/o/{order['token']}").get_data(as_text=True)


def test_cancelling_a_paid_order_refunds_it_in_full_once(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)  # 55.00
    owner = _owner(app)
    admin_page = owner.client.get(f"/admin/orders/{order['reference']}/cancel").get_data(as_text=True)
    assert 'name="refund" value="full" checked' in admin_page and 'value="keep"' in admin_page
    response = _step(owner, order["reference"], "cancel")  # the default choice: refund in full
    assert response.status_code == 303
    assert "Refunded $55.00" in owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert fake_stripe.refunded(order["session_id"]) == 5500
    assert _refunds(app) == [(5500, "succeeded")]
    page = _shopper_page(shop, order)
    assert re.search(r"Cancelled — refunded \$55\.00 on [A-Z][a-z]{2} \d", page), page
    assert 'data-cancel-refund="refunded"' in page
    assert _step(owner, order["reference"], "cancel").status_code == 409  # twice: refused, not refunded twice
    assert fake_stripe.refunded(order["session_id"]) == 5500 and len(_refunds(app)) == 1


def test_the_owner_may_keep_the_payment_and_refund_later(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    response = _step(owner, order["reference"], "cancel", refund="keep")
    assert response.status_code == 303
    assert "The payment was kept" in owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert fake_stripe.refunded(order["session_id"]) == 0 and _refunds(app) == []
    page = _shopper_page(shop, order)
    assert "Cancelled — your payment of $55.00 has not been refunded yet." in page
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    key = re.search(r'name="refund_key" value="([^"]+)"', html).group(1)  # the refund form is still there
    owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "55.00", "refund_key": key})
    assert "Cancelled — refunded $55.00 on" in _shopper_page(shop, order)


def test_a_cancel_refund_without_an_answer_is_pending_then_retried(app, shop, coat, fake_stripe, runner):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    fake_stripe.path_failures["/v1/refunds"] = ["network"]
    assert _step(owner, order["reference"], "cancel", refund="full").status_code == 303
    assert _refunds(app) == [(5500, "pending")]
    page = _shopper_page(shop, order)
    assert "Cancelled — refund pending: $55.00 is on its way back to you." in page
    assert "refunded $55.00" not in page
    assert "settled 1 refunds" in runner.invoke(args=["expire-holds"]).output
    assert _refunds(app) == [(5500, "succeeded")] and fake_stripe.refunded(order["session_id"]) == 5500
    assert "Cancelled — refunded $55.00 on" in _shopper_page(shop, order)


def test_a_refund_stripe_reports_pending_is_not_succeeded_until_stripe_says_so(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    fake_stripe.refund_status = "pending"  # e.g. a bank that takes days
    assert _step(owner, order["reference"], "cancel").status_code == 303
    assert _refunds(app) == [(5500, "pending")]
    assert "refund pending" in _shopper_page(shop, order)
    (refund_id,) = fake_stripe.refunds
    event_id = "evt_refund_done"
    payload, signature = fake_stripe.signed(
        "refund.updated", fake_stripe.set_refund_status(refund_id, "succeeded"), event_id=event_id
    )
    for _ in range(2):  # redelivered: applied once
        assert (
            shop.client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature}).status_code
            == 200
        )
    assert _refunds(app) == [(5500, "succeeded")]
    assert "Cancelled — refunded $55.00 on" in _shopper_page(shop, order)
    from storefront.analytics.models import Event

    with app.app_context():
        assert db.session.scalars(select(Event.value).where(Event.name == "refund")).all() == [5500]


def test_a_refused_cancel_refund_keeps_the_order_cancelled_and_says_the_money_is_owed(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    fake_stripe.intents[next(iter(fake_stripe.intents))]["amount_refunded"] = 5500  # Stripe says: nothing left
    response = _step(owner, order["reference"], "cancel")
    assert response.status_code == 303
    page = owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The order is cancelled, but the payment service refused the refund" in page
    assert _refunds(app) == [(5500, "failed")]
    with app.app_context():
        assert db.session.scalars(select(Payment)).one().amount_refunded == 0
    assert "has not been refunded yet" in _shopper_page(shop, order)


def test_a_bad_refund_choice_is_refused_and_changes_nothing(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    response = _step(owner, order["reference"], "cancel", refund="half")
    assert response.status_code == 400 and "Choose whether to refund the payment." in response.get_data(as_text=True)
    assert _refunds(app) == [] and "Cancelled" not in _shopper_page(shop, order)


def test_a_fully_refunded_order_cannot_be_confirmed_packed_or_shipped(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    assert _step(owner, order["reference"], "confirm").status_code == 303  # paid: fine
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    key = re.search(r'name="refund_key" value="([^"]+)"', html).group(1)
    owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "10.00", "refund_key": key})
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    assert 'value="pack"' in html  # partly refunded: still offered
    key = re.search(r'name="refund_key" value="([^"]+)"', html).group(1)
    owner.post(f"/admin/orders/{order['reference']}/refund", {"amount": "45.00", "refund_key": key})
    html = owner.client.get(f"/admin/orders/{order['reference']}").get_data(as_text=True)
    assert 'value="pack"' not in html and 'data-step="cancel"' in html and "data-refunded-in-full" in html
    response = _step(owner, order["reference"], "pack")
    assert response.status_code == 409
    assert "refunded in full, so it cannot be confirmed, packed or sent" in response.get_data(as_text=True)
    with app.app_context():
        from storefront.orders.models import Order

        db.session.expire_all()
        assert db.session.get(Order, order["id"]).status == "confirmed"
    assert _step(owner, order["reference"], "cancel").status_code == 303  # nothing left to refund
    assert fake_stripe.refunded(order["session_id"]) == 5500 and len(_refunds(app)) == 2


def test_staff_cancelling_an_order_paid_by_card_keep_the_payment_for_the_owner(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    staff = _owner(app, "staff")
    assert _step(staff, order["reference"], "cancel").status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 0  # refunding is the owner's (review #18)


def test_the_cancelled_and_refunded_page_reads_in_every_language(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _owner(app)
    dispute = fake_stripe.open_dispute(order["session_id"])
    payload, signature = fake_stripe.signed("charge.dispute.created", dispute)
    assert shop.client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": signature}).status_code == 200
    assert _step(owner, order["reference"], "cancel").status_code == 303
    expected = {
        "es-MX,es;q=0.9": ("Cancelado — se reembolsaron", "Disputaste"),
        "bn-BD,bn;q=0.9": ("বাতিল —", "বিরোধ তুলেছেন"),
        "zh-CN,zh;q=0.9": ("已取消 — 已于", "提出争议"),
    }
    for language, texts in expected.items():
        page = shop.client.get(f"/o/{order['token']}", headers={"Accept-Language": language}).get_data(as_text=True)
        assert all(text in page for text in texts), (language, page)
        admin = owner.client.get(f"/admin/orders/{order['reference']}", headers={"Accept-Language": language})
        assert admin.status_code == 200
    dashboard = owner.client.get("/admin/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "未结争议" in dashboard


def test_cancelling_an_order_paid_with_the_wrong_amount_refunds_nothing_more_and_never_says_sold_out(
    app, shop, coat, fake_stripe
):
    from .helpers import deliver, only_order, pay_by_card, session_id_of

    session_id = session_id_of(pay_by_card(shop, coat, 1))
    with app.app_context():
        placed = only_order()
        order = {"reference": placed.reference, "token": placed.token, "total": placed.total}
    fake_stripe.pay(session_id, charged=(order["total"] + 100, "usd"))
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    owner = _owner(app)
    assert _step(owner, order["reference"], "cancel").status_code == 303  # the unpaid order, tidied away
    assert fake_stripe.refunded(session_id) == order["total"] + 100  # refunded once, in full
    assert _refunds(app) == [(order["total"] + 100, "succeeded")]
    page = _shopper_page(shop, order)
    assert "data-amount-mismatch" in page
    assert "sold out" not in page  # the shopper paid the wrong amount; nothing sold out
