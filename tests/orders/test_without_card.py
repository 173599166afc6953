"""With no Stripe key the shop offers cash only, exactly as before card payments existed."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order
from storefront.payments.models import Payment
from tests.builders import CHECKOUT_DELIVERY, make_product


def test_no_card_option_and_cash_checkout_works(app, shop):
    with app.app_context():
        variant_id = make_product("Scarf", price=2000, variants=(("One", 3),)).variants[0].id
    assert shop.add(variant_id, 1).status_code == 303
    form = shop.client.get("/checkout").get_data(as_text=True)
    assert 'value="cash"' in form and 'value="card"' not in form
    refused = shop.checkout({**CHECKOUT_DELIVERY, "payment_method": "card"})
    assert refused.status_code == 422 and "Please choose one of the payment options shown." in refused.get_data(
        as_text=True
    )
    placed = shop.checkout(CHECKOUT_DELIVERY)
    assert placed.status_code == 303 and placed.headers["Location"].startswith("/o/")
    with app.app_context():
        (order,) = db.session.scalars(select(Order)).all()
        assert (order.status, order.payment_method) == ("placed", "cash")
        assert db.session.scalars(select(Payment)).all() == []
    assert shop.client.post("/stripe/webhook", data=b"{}").status_code == 404
    csp = shop.client.get("/").headers["Content-Security-Policy"]
    assert "form-action 'self';" in csp and "stripe" not in csp
