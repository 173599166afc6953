"""Sales in the product feeds: g:sale_price and g:sale_price_effective_date, and a new feed at each boundary."""

from __future__ import annotations

from datetime import datetime, timedelta

from storefront.catalog import sales
from storefront.catalog.sale_rules import FIXED, PERCENT, SaleTerms
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.feeds import formats, service
from storefront.feeds.rules import FeedSettings, PhotoRow, ProductRow, VariantRow, feed_items
from tests.builders import make_product

SETTINGS = FeedSettings("https://shop.example/", "USD", "US", 500, "Alder", "Alder")
START, END = datetime(2026, 6, 17, 16, 0), datetime(2026, 6, 20, 4, 0)
PHOTOS = [PhotoRow("a" * 32, "320,640")]


def _items(sales_running: tuple) -> list:
    product = ProductRow(7, "mug", "Mug", "<p>Mug</p>", 1250, "Kitchen", sales_running)
    variants = [VariantRow(1, "SKU-1", "Blue", None, 3, 0), VariantRow(2, "SKU-2", "Red", 2000, 3, 0)]
    return feed_items(product, variants, PHOTOS, SETTINGS)


def test_a_running_sale_gives_each_covered_variant_its_sale_price_and_dates():
    blue, red = _items((SaleTerms(PERCENT, 20, START, END, None), SaleTerms(FIXED, 900, START, END, 1)))
    assert (blue.price, blue.sale_price) == ("12.50 USD", "9.00 USD")  # the lowest of the two: 9.00 < 10.00
    assert (red.price, red.sale_price) == ("20.00 USD", "16.00 USD")
    assert blue.sale_dates == "2026-06-17T16:00:00Z/2026-06-20T04:00:00Z"
    xml = formats.google_items([blue, red], SETTINGS)
    assert "<g:sale_price>9.00 USD</g:sale_price>" in xml
    assert "<g:sale_price_effective_date>2026-06-17T16:00:00Z/2026-06-20T04:00:00Z</g:sale_price_effective_date>" in xml
    csv = formats.meta_items([blue], SETTINGS)
    assert "9.00 USD" in csv


def test_without_a_sale_there_is_no_sale_price():
    blue, red = _items(())
    assert blue.sale_price is None and red.sale_dates is None
    assert "sale_price" not in formats.google_items([blue, red], SETTINGS)


def test_the_feed_reads_only_running_sales_and_its_key_changes_at_each_boundary(app):
    with app.app_context():
        product = make_product("Mug", price=1250, variants=(("Blue", 3),))
        now = utcnow()
        sales.create_sale(
            db.session, product.id, SaleTerms(PERCENT, 20, now + timedelta(hours=1), now + timedelta(hours=2)), now
        )
        db.session.commit()
        before = service.sales_phase(db.session, now)
        [[(row, _variants, _photos)]] = list(service.catalog_batches(db.session, now=now))
        assert row.sales == ()
        during = now + timedelta(hours=1, minutes=1)
        [[(row, _variants, _photos)]] = list(service.catalog_batches(db.session, now=during))
        assert [t.value for t in row.sales] == [20]
        assert service.sales_phase(db.session, during) != before
        after = now + timedelta(hours=2)
        [[(row, _variants, _photos)]] = list(service.catalog_batches(db.session, now=after))
        assert row.sales == ()
        assert service.sales_phase(db.session, after) not in (before, service.sales_phase(db.session, during))
