"""The reports' products table carries each product's published rating and review count."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from storefront.analytics.models import RollupProduct
from storefront.extensions import db
from storefront.reports import service as reports
from storefront.reports.rules import DateRange
from tests.builders import make_product
from tests.reviews.conftest import product_row
from tests.reviews.test_pages import published

pytestmark = pytest.mark.usefixtures("quick_password_hash")
DAY = date(2026, 6, 16)


def test_products_table_has_rating_and_count(app, staff):
    with app.app_context():
        rated, quiet = make_product("Rated vase").id, make_product("Quiet vase").id
        for product_id in (rated, quiet):
            db.session.add(RollupProduct(day=DAY, product_slug=product_row(product_id).slug, views=3))
        db.session.commit()
    published(app, rated, [5, 4, 4])
    with app.app_context():
        figures = {p.slug: p for p in reports.products(db.session, DateRange(DAY, DAY))}
        assert (figures["rated-vase"].rating, figures["rated-vase"].reviews) == (Decimal("4.3"), 3)
        assert (figures["quiet-vase"].rating, figures["quiet-vase"].reviews) == (None, 0)
    answer = staff.client.get(f"/admin/reports/products.csv?from={DAY}&to={DAY}")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_slug = {row["Web address"]: row for row in rows}
    assert (by_slug["rated-vase"]["Rating"], by_slug["rated-vase"]["Reviews"]) == ("4.3", "3")
    assert (by_slug["quiet-vase"]["Rating"], by_slug["quiet-vase"]["Reviews"]) == ("", "0")
    page = staff.client.get(f"/admin/reports/products?from={DAY}&to={DAY}").text
    assert "4.3" in page
