"""The products report's median dwell over several days: exact, from the middle buckets' slices only."""

from __future__ import annotations

import random
import statistics
from datetime import date, timedelta

from sqlalchemy import event

from storefront.analytics import rollup_rules as rr
from storefront.analytics.models import RollupProduct
from storefront.extensions import db
from storefront.reports import service
from storefront.reports.rules import DateRange

START = date(2026, 11, 1)


def test_the_products_median_dwell_is_the_median_of_every_sessions_value(report_app):
    rng = random.Random(22)
    days = {
        "busy": [[rng.randint(0, 180_000) for _ in range(n)] for n in (900, 400, 3, 0, 1)],  # long and short rows
        "ties": [[1000] * 300, [999] * 300, [1000, 999]],  # the middle two straddle a bucket edge
        "wide": [[rng.choice([5, rr.DWELL_MAX]) for _ in range(200)], [7] * 199],
        "solo": [[4000, 1, 90_000]],  # one day: its stored median
        "shorts": [[30, 40], [5, 100], [1]],
    }
    with report_app.app_context():
        for slug, per_day in days.items():
            for offset, values in enumerate(per_day):
                fields = rr.dwell_fields(sorted(values))
                db.session.add(RollupProduct(day=START + timedelta(days=offset), product_slug=slug, views=1, **fields))
        db.session.commit()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        figures = {f.slug: f for f in service.products(db.session, DateRange(START, START + timedelta(days=9)))}
        for slug, per_day in days.items():
            everything = [v for values in per_day for v in values]
            assert figures[slug].median_dwell_ms == round(statistics.median(everything)), slug
            assert figures[slug].dwell_sessions == len(everything)
        # The long rows' values are read as slices, never whole (the histograms find the middle).
        reads = [s for s in statements if "dwell_values" in s and "rollup_products" in s]
        assert len(reads) == 2 and "substr" in reads[1]
        one_day = service.products(db.session, DateRange(START, START))
        assert {f.slug: f.median_dwell_ms for f in one_day}["busy"] == round(statistics.median(days["busy"][0]))
