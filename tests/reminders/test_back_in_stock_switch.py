"""The owner's back-in-stock switch (reminders page): off hides the form on cached product pages, refuses
requests and answers none; on again, a waiting request is answered at the next stock return (both databases)."""

from __future__ import annotations

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify import service as notify
from storefront.notify.models import StockWatch
from storefront.reminders import rules

from .helpers import switch

ASK = "Sold out? We can tell you when it's back."


def _sold_out_scarf(app) -> tuple[str, int]:
    from tests.builders import make_product

    with app.app_context():
        product = make_product("Scarf", 2000, (("One", 0),))
        return product.slug, product.variants[0].id


def test_switched_off_the_form_goes_requests_are_refused_and_none_is_answered(app, shop):
    slug, variant_id = _sold_out_scarf(app)
    assert ASK in shop.client.get(f"/p/{slug}").get_data(as_text=True)  # on by default (and now cached)
    assert shop.post("/notify/back-in-stock", {"variant_id": variant_id, "email": "a@example.com"}).status_code == 303
    with app.app_context():
        switch(rules.Settings(stock_on=False))
    assert ASK not in shop.client.get(f"/p/{slug}").get_data(as_text=True)  # the cached page renewed at once
    refused = shop.post("/notify/back-in-stock", {"variant_id": variant_id, "email": "b@example.com"})
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.query(StockWatch).count() == 1
        from storefront.catalog.models import Variant

        db.session.get(Variant, variant_id).on_hand = 3
        db.session.commit()
        assert notify.answer_watches(db.session, variant_id, utcnow()) == 0  # off: nobody told
        switch(rules.Settings(stock_on=True))
        assert notify.answer_watches(db.session, variant_id, utcnow()) == 1  # on again: the waiting one
        db.session.commit()
