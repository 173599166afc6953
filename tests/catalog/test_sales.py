"""Limited-time sales in the shop: shown, charged, cached, fed and structured as the sale says, at its time."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
import time_machine

from storefront.catalog import sales
from storefront.catalog.models import Sale
from storefront.catalog.sale_rules import FIXED, PERCENT, SaleTerms
from storefront.clock import utcnow
from storefront.domain import Invalid
from storefront.extensions import db
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, make_category, make_product

pytestmark = pytest.mark.usefixtures("quick_password_hash")

DAY = timedelta(days=1)


@pytest.fixture
def coat(app) -> dict:
    """A 50.00 coat in a category, with two variants (S 50.00, L 60.00), and its pages."""
    with app.app_context():
        coats = make_category("Coats")
        product = make_product(
            "Wool coat", price=5000, variants=(("S", 5), ("L", 5)), category=coats, overrides={"L": 6000}
        )
        return {
            "id": product.id,
            "slug": product.slug,
            "variants": [v.id for v in product.variants],
            "pages": [f"/p/{product.slug}", "/c/coats", "/search?q=wool"],
        }


def put_on_sale(app, coat, terms_kwargs) -> int:
    """Create a sale through the use-case (committed); its id."""
    with app.app_context():
        sale = sales.create_sale(db.session, coat["id"], SaleTerms(**terms_kwargs), utcnow())
        db.session.commit()
        return sale.id


def _running(kind=PERCENT, value=20, days=2, variant_id=None) -> dict:
    now = utcnow()
    return {
        "kind": kind,
        "value": value,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + days * DAY,
        "variant_id": variant_id,
    }


def at(naive_utc, tick: bool = False):
    """Move the pinned clock to a naive UTC instant."""
    return time_machine.travel(naive_utc.replace(tzinfo=UTC), tick=tick)


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_pages_show_the_sale_price_the_struck_regular_one_and_the_time_left(app, client, coat):
    put_on_sale(app, coat, _running(value=20, days=2))
    product = _text(client.get(coat["pages"][0]))
    assert "Was $50.00, now $40.00" in product
    assert re.search(r'<s class="sale-was">\$50\.00</s>', product)
    assert "Ends in 2 days" in product
    assert "Was $60.00, now $48.00" in product  # the L variant's own line
    for page in coat["pages"][1:]:
        html = _text(client.get(page))
        assert "Was $50.00, now $40.00" in html and "Ends in 2 days" in html, page


def test_hours_left_are_said_in_hours(app, client, coat):
    now = utcnow()
    put_on_sale(
        app,
        coat,
        {"kind": FIXED, "value": 3000, "starts_at": now - DAY, "ends_at": now + timedelta(hours=2, minutes=50)},
    )
    assert "Ends in 3 hours" in _text(client.get(coat["pages"][0]))


@pytest.mark.clock_sensitive  # also around midnight, DST changes and New Year
def test_a_sale_ending_while_a_page_is_cached_the_next_request_shows_the_normal_price(app, client, coat):
    put_on_sale(app, coat, _running(value=20, days=2))
    end = utcnow() + 2 * DAY
    for page in coat["pages"]:
        assert "now $40.00" in _text(client.get(page))
        assert "now $40.00" in _text(client.get(page))  # now served from the cache
    with at(end):
        for page in coat["pages"]:
            html = _text(client.get(page))
            assert "$40.00" not in html and "Was $50.00" not in html, page
            assert "$50.00" in html, page


def test_a_sale_starting_while_a_page_is_cached_shows_on_the_next_request(app, client, coat):
    start = utcnow() + timedelta(hours=5)
    put_on_sale(app, coat, {"kind": FIXED, "value": 4500, "starts_at": start, "ends_at": start + DAY})
    for page in coat["pages"]:
        assert "Was $50.00" not in _text(client.get(page))
    with at(start):
        for page in coat["pages"]:
            assert "Was $50.00, now $45.00" in _text(client.get(page)), page


@pytest.mark.clock_sensitive  # also around midnight, DST changes and New Year
def test_the_time_left_text_is_renewed_in_a_cached_page(app, client, coat):
    put_on_sale(app, coat, _running(value=20, days=3))
    assert "Ends in 3 days" in _text(client.get(coat["pages"][0]))
    with at(utcnow() + DAY + timedelta(minutes=1)):
        assert "Ends in 2 days" in _text(client.get(coat["pages"][0]))


def test_shopper_pages_are_revalidated_and_say_until_when_they_hold(app, client, coat):
    put_on_sale(app, coat, _running(value=20, days=2))
    end = utcnow() + 2 * DAY  # ends_at as the sale stores it, within the test's ticking clock
    response = client.get(coat["pages"][0])
    assert "no-cache" in response.headers["Cache-Control"]  # revalidated every time: nothing outlives the sale
    assert "max-age" not in response.headers["Cache-Control"]
    until = int(response.headers["X-Valid-Until"])
    # The first change: "Ends in 2 days" becomes "Ends in 1 day" a day before the end.
    assert abs((end - DAY).replace(tzinfo=UTC).timestamp() - until) < 60
    cached = client.get(coat["pages"][0])
    assert cached.headers["X-Valid-Until"] == response.headers["X-Valid-Until"]
    assert "max-age" not in cached.headers["Cache-Control"]


def test_the_cart_and_the_order_charge_the_sale_price_while_it_runs(app, shop, coat):
    put_on_sale(app, coat, _running(kind=FIXED, value=3500, variant_id=coat["variants"][0]))
    assert shop.add(coat["variants"][0], 2).status_code == 303
    cart = _text(shop.client.get("/cart"))
    assert "Was $50.00, now $35.00" in cart and "$70.00" in cart
    placed = shop.checkout(CHECKOUT_PICKUP)
    assert placed.status_code == 303
    with app.app_context():
        order = db.session.query(Order).one()
        assert [(line.unit_price, line.quantity) for line in order.lines] == [(3500, 2)]
        assert order.subtotal == 7000


def test_a_sale_ending_before_the_order_charges_the_regular_price_after_the_shopper_confirms(app, shop, coat):
    sale_end = utcnow() + timedelta(hours=2)
    put_on_sale(app, coat, {"kind": FIXED, "value": 3500, "starts_at": utcnow() - DAY, "ends_at": sale_end})
    assert shop.add(coat["variants"][0], 1).status_code == 303
    form = _text(shop.client.get("/checkout"))
    key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', form).group(1)
    shown = re.search(r'name="shown_total_pickup" type="hidden" value="([^"]*)"', form).group(1)
    assert shown == "3500"
    with at(sale_end, tick=True):
        refused = shop.post("/checkout", {**CHECKOUT_PICKUP, "checkout_key": key, "shown_total_pickup": shown})
        assert refused.status_code == 409
        page = _text(refused)
        assert "The total has changed" in page and "$50.00" in page
        with app.app_context():
            assert db.session.query(Order).count() == 0
        again = re.search(r'name="shown_total_pickup" type="hidden" value="([^"]*)"', page).group(1)
        assert again == "5000"
        key = re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', page).group(1)
        placed = shop.post("/checkout", {**CHECKOUT_PICKUP, "checkout_key": key, "shown_total_pickup": again})
        assert placed.status_code == 303
    with app.app_context():
        assert [line.unit_price for line in db.session.query(Order).one().lines] == [5000]


def test_structured_data_states_the_sale_price_its_end_and_the_strikethrough_price(app, client, coat):
    put_on_sale(app, coat, _running(value=20, days=2))
    html = _text(client.get(coat["pages"][0]))
    data = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert '"price": "40.00"' in data or '"price":"40.00"' in data
    assert "StrikethroughPrice" in data and "50.00" in data
    assert "priceValidUntil" in data


def test_overlapping_sales_on_one_variant_are_refused(app, coat):
    put_on_sale(app, coat, _running(value=20, days=2))
    with app.app_context():
        overlapping = SaleTerms(FIXED, 1000, utcnow() + DAY, utcnow() + 3 * DAY, coat["variants"][1])
        with pytest.raises(Invalid):
            sales.create_sale(db.session, coat["id"], overlapping, utcnow())
        db.session.rollback()
        after = SaleTerms(FIXED, 1000, utcnow() + 3 * DAY, utcnow() + 4 * DAY, coat["variants"][1])
        sales.create_sale(db.session, coat["id"], after, utcnow())  # back to back with the first: fine
        db.session.commit()
        assert db.session.query(Sale).count() == 2


def test_a_sale_price_not_below_every_regular_price_is_refused(app, coat):
    with app.app_context():
        terms = SaleTerms(FIXED, 5500, utcnow(), utcnow() + DAY)  # below L (60.00) but above S (50.00)
        with pytest.raises(Invalid):
            sales.create_sale(db.session, coat["id"], terms, utcnow())
        db.session.rollback()
        sales.create_sale(
            db.session, coat["id"], SaleTerms(FIXED, 5500, utcnow(), utcnow() + DAY, coat["variants"][1]), utcnow()
        )
        db.session.commit()


def test_ending_a_sale_now_restores_the_regular_price_at_once(app, client, coat):
    sale_id = put_on_sale(app, coat, _running(value=20, days=2))
    assert "now $40.00" in _text(client.get(coat["pages"][0]))
    with app.app_context():
        sales.end_sale(db.session, sale_id, utcnow())
        db.session.commit()
    assert "$40.00" not in _text(client.get(coat["pages"][0]))
