"""The shopper's order page: every line once and in order, every step reached, with many of both."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from babel.dates import format_datetime

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders import service
from storefront.orders.models import Order
from storefront.stores.models import OrderStore
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, make_product, variant_ids
from tests.helpers import recorded_statements
from tests.stores.builders import make_store


def test_an_order_with_several_lines_and_steps_shows_each_once_in_order(app, shop):
    titles = ["Wool coat", "Felt hat", "Linen scarf"]
    with app.app_context():
        ids = [
            variant_ids(make_product(title, price=1000 * (n + 1), variants=(("", 9),)))[0]
            for n, title in enumerate(titles)
        ]
    for n, variant_id in enumerate(ids):
        assert shop.add(variant_id, n + 1).status_code == 303
    placed = shop.checkout(CHECKOUT_PICKUP)
    assert placed.status_code == 303
    with app.app_context():
        order = db.session.scalars(db.select(Order)).one()
        now = utcnow()
        for minutes, event in enumerate(("confirm", "pack", "mark_ready"), start=1):
            service.apply_event(db.session, order, event, now + timedelta(minutes=minutes))
        db.session.commit()
    html = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    lines = re.findall(r'<li class="line"><span>(\d+) × ([^<]+)</span>', html)
    assert lines == [("1", "Wool coat"), ("2", "Felt hat"), ("3", "Linen scarf")]  # once each, as added
    done = re.findall(r'<li class="done[^"]*"', html)
    assert len(done) == 4 and 'class="done current" aria-current="step"' in html  # placed, confirmed, packed, ready
    assert "$140.00" in html  # 1 x 10 + 2 x 20 + 3 x 30


US_DELIVERY = {
    **CHECKOUT_DELIVERY,
    "street": "1 Market Street",
    "city": "San Francisco",
    "region": "CA",
    "postcode": "94104",
    "country": "US",
}


def _one_order(app, shop, fields, **headers) -> str:
    """Place an order for one $20 item; the order page's HTML."""
    with app.app_context():
        variant_id = variant_ids(make_product("Felt hat", price=2000, variants=(("", 5),)))[0]
    assert shop.add(variant_id).status_code == 303
    placed = shop.checkout(fields)
    assert placed.status_code == 303, placed.text
    return shop.client.get(placed.headers["Location"], headers=headers).get_data(as_text=True)


def test_a_us_address_reads_as_americans_write_it(app, shop):
    html = _one_order(app, shop, US_DELIVERY)
    address = re.search(r"<address data-delivery-address>(.*?)</address>", html, re.S).group(1)
    assert address == "1 Market Street<br>San Francisco, CA 94104<br>United States"
    assert "$5.00" in html and "$25.00" in html  # deliveries keep their delivery line


def test_a_german_address_in_spanish_names_the_country_in_spanish(app, shop):
    fields = {**CHECKOUT_DELIVERY, "street": "Hauptstraße 5", "city": "Berlin", "postcode": "10115", "country": "DE"}
    html = _one_order(app, shop, fields, **{"Accept-Language": "es"})
    address = re.search(r"<address data-delivery-address>(.*?)</address>", html, re.S).group(1)
    assert address == "Hauptstraße 5<br>10115 Berlin<br>Alemania"


def test_a_pickup_shows_its_store_with_hours_and_map_and_no_delivery_line(app, shop):
    with app.app_context():
        store = make_store(
            "Market Street",
            37.7793,
            -122.4193,
            "San Francisco",
            "94103",
            address="870 Market St",
            opening_hours="Mon-Sat 9-18",
        )
        store_id = store.id
    html = _one_order(app, shop, {**CHECKOUT_PICKUP, "pickup_store": str(store_id)})
    block = re.search(r"<div class=\"pickup-store\" data-pickup-store>(.*?)</div>", html, re.S).group(1)
    assert "<strong>Market Street</strong>" in block
    assert "<address>870 Market St<br>San Francisco 94103</address>" in block
    assert "Opening hours: Mon-Sat 9-18" in block
    assert 'href="https://www.openstreetmap.org/?mlat=37.7793&amp;mlon=-122.4193' in block
    assert "<span>Delivery</span>" not in html and "$0.00" not in html
    assert "$20.00" in html


def test_every_date_on_the_order_page_has_one_format(app, shop):
    with time_machine.travel(datetime(2026, 3, 9, 14, 5, 7, tzinfo=UTC), tick=False):
        html = _one_order(app, shop, CHECKOUT_PICKUP)
    medium = format_datetime(datetime(2026, 3, 9, 14, 5, 7), "medium", tzinfo=UTC, locale="en")
    short = format_datetime(datetime(2026, 3, 9, 14, 5, 7), "short", tzinfo=UTC, locale="en")
    assert medium == "Mar 9, 2026, 2:05:07\u202fPM"
    text = html.replace("&#8239;", "\u202f")
    assert text.count(medium) >= 3  # placed, the timeline's first step, and the page's data attribute
    assert short not in text


def _order_reads(statements: list[str]) -> list[str]:
    """The statements that read orders or their store records (not the catalog generation, brand ...)."""
    return [s for s in statements if re.search(r"\bFROM (orders|order_stores|stores)\b", s)]


def test_the_order_page_reads_the_order_its_lines_history_and_store_in_one_statement(app, shop):
    with app.app_context():
        store_id = make_store("Market Street", 37.7793, -122.4193, "San Francisco", "94103").id
        ids = [variant_ids(make_product(t, price=1000, variants=(("", 9),)))[0] for t in ("Wool coat", "Felt hat")]
    for variant_id in ids:
        assert shop.add(variant_id, 2).status_code == 303
    placed = shop.checkout({**CHECKOUT_PICKUP, "pickup_store": str(store_id)})
    with app.app_context():
        order = db.session.scalars(db.select(Order)).one()
        service.apply_event(db.session, order, "confirm", utcnow() + timedelta(minutes=1))
        db.session.commit()
    with recorded_statements(app) as statements:
        html = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    reads = _order_reads(statements)
    assert len(reads) == 1, reads  # the order, its lines, its history, its store record and the store
    assert all(f"JOIN {table} " in reads[0] for table in ("order_lines", "order_status_changes", "order_stores"))
    assert re.findall(r'<li class="line"><span>(\d+) × ([^<]+)</span>', html) == [("2", "Wool coat"), ("2", "Felt hat")]
    assert len(re.findall(r'<li class="done[^"]*"', html)) == 2  # placed and confirmed, each once
    assert "<strong>Market Street</strong>" in html and "data-pickup-store" in html


def test_an_order_without_a_store_record_still_costs_one_statement(app, shop):
    with app.app_context():
        variant_id = variant_ids(make_product("Felt hat", price=2000, variants=(("", 5),)))[0]
    assert shop.add(variant_id).status_code == 303
    placed = shop.checkout(US_DELIVERY)
    with app.app_context():
        assert db.session.scalar(db.select(OrderStore)) is None  # no pickup store, no bound store
    with recorded_statements(app) as statements:
        html = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    assert len(_order_reads(statements)) == 1
    assert "<address data-delivery-address>1 Market Street<br>" in html and "data-pickup-store" not in html


def test_an_order_link_of_no_order_is_not_found(app, shop):
    assert shop.client.get("/o/" + "x" * 24).status_code == 404  # shaped like a token: looked up, none
    assert shop.client.get("/o/short").status_code == 404  # not shaped like one: no read
