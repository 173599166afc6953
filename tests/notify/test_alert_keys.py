"""Each staff alert is keyed by its event, never by the clock.

A dispute is one alert per dispute (two on one order are two; one announced twice is one), a
reversed refund one per refund, and "running low" once per variant and the shop's own day
(SHOP_TIMEZONE), not the UTC day.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from storefront.jobs.models import Job
from storefront.notify.service import FAN_OUT
from storefront.orders.models import Order
from storefront.payments import news
from storefront.payments import service as payment_service
from storefront.payments.models import Payment, Refund
from storefront.payments.provider import DisputeNews
from storefront.payments.rules import RefundStatus
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_product, make_user
from tests.helpers import _make_app

ZONE = ZoneInfo("America/New_York")


def alert_keys(prefix: str) -> list[str]:
    """The fan-out jobs' keys of one kind of alert ("alert:payment:", "alert:stock-low:"), oldest first."""
    db.session.expire_all()
    keys = db.session.scalars(select(Job.key).where(Job.name == FAN_OUT).order_by(Job.id)).all()
    return [key for key in keys if key.startswith(prefix)]


@pytest.fixture
def paid_order(app, shop: ShopClient) -> int:
    """A placed order with a settled card charge `ch_1` ($55.00); the order's id."""
    with app.app_context():
        variant_id = make_product("Wool coat", price=5000, variants=(("M", 5),)).variants[0].id
    assert shop.add(variant_id).status_code == 303
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        db.session.add(
            Payment(
                order_id=order.id,
                provider="card",
                status="succeeded",
                amount=order.total,
                currency="USD",
                idempotency_key="pay-1",
                payment_ref="ch_1",
            )
        )
        db.session.commit()
        return order.id


def dispute(ref: str) -> DisputeNews:
    """A dispute opened on the charge ch_1."""
    return DisputeNews(ref, "ch_1", 5500, "usd", "fraudulent", "needs_response", closed=False, opened_at=None)


def test_two_disputes_on_one_order_are_two_alerts_and_a_repeated_one_is_one(app, paid_order):
    with app.app_context():
        now = utcnow()
        first = news.apply_dispute_news(db.session, dispute("dp_1"), now)
        second = news.apply_dispute_news(db.session, dispute("dp_2"), now)  # the same transaction, the same now
        db.session.commit()
        assert first.id != second.id
        assert alert_keys("alert:payment:") == [
            f"alert:payment:disputed:{first.id}",
            f"alert:payment:disputed:{second.id}",
        ]
        news.apply_dispute_news(db.session, dispute("dp_1"), utcnow())  # announced again (redelivered)
        db.session.commit()
        assert len(alert_keys("alert:payment:")) == 2


def test_two_refunds_reversed_in_one_transaction_are_two_alerts(app, paid_order):
    with app.app_context():
        now = utcnow()
        payment = db.session.scalars(select(Payment)).one()
        payment.amount_refunded = 2000  # both refunds counted as money back
        refunds = [
            Refund(
                payment_id=payment.id,
                order_id=paid_order,
                amount=1000,
                status=RefundStatus.SUCCEEDED,
                idempotency_key=f"refund-{n}",
                provider_ref=f"re_{n}",
            )
            for n in (1, 2)
        ]
        db.session.add_all(refunds)
        db.session.commit()
        for refund in refunds:
            assert payment_service.move_refund(db.session, refund, RefundStatus.FAILED, now, "reversed")
        db.session.commit()
        assert alert_keys("alert:payment:") == [f"alert:payment:refund-reversed:{r.id}" for r in refunds]


# -- running low: the shop's day ----------------------------------------------------------------


@pytest.fixture
def ny_app(db_url, tmp_path):
    """The shop in New York."""
    yield from _make_app(db_url, tmp_path, {"SHOP_TIMEZONE": ZONE.key, "BABEL_DEFAULT_TIMEZONE": ZONE.key})


def run_low_at(app, variant_id: int, owner_id: int, local: datetime) -> None:
    """At `local` (New York), the variant drops to 2 left (its threshold is 3), then is filled up again."""
    with time_machine.travel(local, tick=False), app.app_context():
        adjust_stock(db.session, variant_id, -18, "count", utcnow(), owner_id)
        db.session.commit()
        adjust_stock(db.session, variant_id, +18, "count", utcnow(), owner_id)
        db.session.commit()


@pytest.mark.parametrize(
    ("first", "second", "alerts"),
    [
        # 04:59 and 05:01 UTC on Dec 6, but two days in New York: two alerts.
        (datetime(2026, 12, 5, 23, 59, tzinfo=ZONE), datetime(2026, 12, 6, 0, 1, tzinfo=ZONE), 2),
        # Dec 5 and Dec 6 in UTC, but one evening in New York: one alert.
        (datetime(2026, 12, 5, 18, 59, tzinfo=ZONE), datetime(2026, 12, 5, 19, 1, tzinfo=ZONE), 1),
    ],
    ids=["across-local-midnight", "across-utc-midnight"],
)
def test_running_low_is_once_per_variant_and_shop_day(ny_app, first, second, alerts):
    with ny_app.app_context():
        owner_id = make_user("owner@example.com", "owner").id
        variant_id = make_product("Wool coat", price=5000, variants=(("M", 20),)).variants[0].id
    run_low_at(ny_app, variant_id, owner_id, first)
    run_low_at(ny_app, variant_id, owner_id, second)
    with ny_app.app_context():
        keys = alert_keys("alert:stock-low:")
    assert keys == [f"alert:stock-low:{variant_id}:{day}" for day in sorted({first.date(), second.date()})]
    assert len(keys) == alerts
