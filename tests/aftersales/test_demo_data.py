"""The demo's after-sales data: one open return request on a delivered order, shown on its order page."""

from __future__ import annotations

from sqlalchemy import select

from storefront.aftersales.models import AftersalesRequest
from storefront.demo import seed_aftersales
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import make_product


def test_the_demo_has_one_open_return_on_a_delivered_order(sqlite_app):
    with sqlite_app.app_context():
        variant_id = make_product("Bud vase", price=3200, variants=(("Moss", 6),)).variants[0].id
        seed_aftersales(db.session)
        db.session.commit()
        (found,) = db.session.scalars(select(AftersalesRequest)).all()
        order = db.session.get(Order, found.order_id)
        assert (found.kind, found.status, order.status) == ("return", "requested", "delivered")
        assert order.lines[0].variant_id == variant_id and order.total == order.subtotal + order.shipping
        token = order.token
    html = sqlite_app.test_client().get(f"/o/{token}").get_data(as_text=True)
    assert "Return, exchange or report a problem" in html and 'data-request-status="requested"' in html
