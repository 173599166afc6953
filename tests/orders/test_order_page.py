"""The shopper's order page: every line once and in order, every step reached, with many of both."""

from __future__ import annotations

import re
from datetime import timedelta

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders import service
from storefront.orders.models import Order
from tests.builders import CHECKOUT_PICKUP, make_product, variant_ids


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
