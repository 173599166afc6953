"""Staff may cancel a card-paid order but never refund it: the refund is the owner's (as the refund route)."""

from __future__ import annotations

from tests.builders import ShopClient, make_user

from .helpers import paid_card_order
from .test_cancel_refund import _refunds


def _signed_in(app, role: str) -> ShopClient:
    with app.app_context():
        make_user(f"{role}@example.com", role)
    client = ShopClient(app.test_client())
    assert client.login(f"{role}@example.com").status_code in (302, 303)
    return client


def test_staff_see_no_refund_choice_and_cancelling_keeps_the_payment(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    staff = _signed_in(app, "staff")
    page = staff.client.get(f"/admin/orders/{order['reference']}/cancel").get_data(as_text=True)
    assert 'name="refund"' not in page and "Refund in full" not in page
    assert "the owner refunds it" in page and 'data-cancel-refund="owner"' in page
    # a hand-made form asking for the refund is not trusted
    done = staff.post(f"/admin/orders/{order['reference']}/event", {"event": "cancel", "refund": "full"})
    assert done.status_code == 303
    assert "the owner refunds it" in staff.client.get(done.headers["Location"]).get_data(as_text=True)
    assert fake_stripe.refunded(order["session_id"]) == 0 and _refunds(app) == []


def test_the_owner_still_gets_the_refund_choice_and_the_refund(app, shop, coat, fake_stripe):
    order = paid_card_order(app, shop, fake_stripe, coat, 1)
    owner = _signed_in(app, "owner")
    page = owner.client.get(f"/admin/orders/{order['reference']}/cancel").get_data(as_text=True)
    assert 'name="refund" value="full" checked' in page and "the owner refunds it" not in page
    done = owner.post(f"/admin/orders/{order['reference']}/event", {"event": "cancel", "refund": "full"})
    assert done.status_code == 303
    assert fake_stripe.refunded(order["session_id"]) == 5500 and _refunds(app) == [(5500, "succeeded")]
