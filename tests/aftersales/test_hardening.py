"""After-sales fixes from the issue-19 review: private pages, fair exchanges, every state has an exit."""

from __future__ import annotations

import pytest

from storefront.aftersales.models import AftersalesRequest
from storefront.domain import Invalid
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import make_product

from .helpers import count, delivered_cash_order, open_request


@pytest.fixture
def bags(app):
    """A coffee in a 1 kg bag at 10.00 and a 5 kg bag at 40.00; returns (small id, big id)."""
    with app.app_context():
        product = make_product("Coffee", price=1000, variants=(("1 kg", 10), ("5 kg", 10)), overrides={"5 kg": 4000})
        return product.variants[0].id, product.variants[1].id


def _order(app, order_id: int) -> tuple[str, int]:
    with app.app_context():
        order = db.session.get(Order, order_id)
        return order.token, order.lines[0].id


def test_the_help_page_is_private_even_when_refused(app, shop, mug):
    token, line_id = _order(app, delivered_cash_order(app, shop, mug[0], 1))
    shown = shop.client.get(f"/o/{token}/help")
    refused = shop.post(f"/o/{token}/help", {"kind": "gift", "reason": "other", f"qty-{line_id}": "1"})
    assert (shown.status_code, refused.status_code) == (200, 422)
    for response in (shown, refused):
        assert "no-store" in response.headers.get("Cache-Control", "")
        assert response.headers.get("Referrer-Policy") == "no-referrer"
        assert "noindex" in response.headers.get("X-Robots-Tag", "")


def test_an_exchange_for_a_dearer_variant_is_refused_and_not_offered(app, shop, bags):
    small, big = bags
    order_id = delivered_cash_order(app, shop, small, 1)
    token, line_id = _order(app, order_id)
    html = shop.client.get(f"/o/{token}/help").get_data(as_text=True)
    assert f'value="{big}"' not in html  # the 5 kg bag is not offered for the 1 kg one
    asked = {"kind": "exchange", "reason": "other", f"qty-{line_id}": "1", f"variant-{line_id}": str(big)}
    response = shop.post(f"/o/{token}/help", asked)
    assert response.status_code == 422
    assert "costing no more" in response.get_data(as_text=True)
    assert count(app, AftersalesRequest) == 0
    with pytest.raises(Invalid):
        open_request(app, order_id, "exchange", 1, exchange_variants={line_id: big})


def test_an_exchange_for_a_cheaper_variant_is_offered_with_its_price(app, shop, bags):
    small, big = bags
    order_id = delivered_cash_order(app, shop, big, 1)
    token, line_id = _order(app, order_id)
    html = shop.client.get(f"/o/{token}/help").get_data(as_text=True)
    assert f'value="{small}"' in html and f'aria-describedby="free-{line_id}"' in html
    assert open_request(app, order_id, "exchange", 1, exchange_variants={line_id: small})
