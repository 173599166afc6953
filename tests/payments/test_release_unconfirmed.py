"""Cash orders nobody confirmed are cancelled by the every-minute sweep (expire-holds), stock back.

Paid card orders, confirmed orders and fresh orders stay; shopper requests never release.
Times are pinned (time_machine): an order placed at 23:30 on 31 December, swept two days on.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders import limits as hoarding
from storefront.orders.limit_rules import DEFAULT_LIMITS
from storefront.orders.limits import save_limits
from storefront.orders.models import Order, OrderStatusChange
from storefront.orders.rules import OrderEvent, allowed_events
from storefront.orders.service import apply_event, release_unconfirmed_cash_orders
from tests.builders import CHECKOUT_PICKUP, ShopClient, stock_of

from .helpers import paid_card_order

PLACED_AT = datetime(2026, 12, 31, 23, 30)
HOURS = DEFAULT_LIMITS.release_after_hours


def units_left(app, variant_id: int) -> int:
    """A variant's on-hand stock, read fresh."""
    with app.app_context():
        return stock_of(variant_id)


def place_cash(app, variant_id: int, quantity: int, phone: str) -> int:
    """A cash pickup order placed now (pinned by the caller); its id."""
    shop = ShopClient(app.test_client())
    assert shop.add(variant_id, quantity).status_code == 303
    response = shop.checkout({**CHECKOUT_PICKUP, "phone": phone})
    assert response.status_code == 303, response.text
    with app.app_context():
        token = response.headers["Location"].rsplit("/", 1)[1]
        return db.session.scalars(select(Order.id).where(Order.token == token)).one()


def status_of(app, order_id: int) -> str:
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Order, order_id).status


def sweep(runner, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    return result.output


def test_unconfirmed_cash_orders_are_released_after_the_set_time(app, coat, runner, fake_stripe):
    with time_machine.travel(PLACED_AT, tick=True):
        card = paid_card_order(app, ShopClient(app.test_client()), fake_stripe, coat, 1)["id"]
        stale = place_cash(app, coat, 2, "+1 555 0101")
        confirmed = place_cash(app, coat, 1, "+1 555 0102")
        with app.app_context():
            apply_event(db.session, db.session.get(Order, confirmed), OrderEvent.CONFIRM, utcnow())
            db.session.commit()
    with time_machine.travel(PLACED_AT + timedelta(hours=HOURS - 1), tick=True):
        fresh = place_cash(app, coat, 1, "+1 555 0103")
    assert units_left(app, coat) == 0  # 5 units: 2 + 1 + 1 (card) + 1

    early = sweep(runner, PLACED_AT + timedelta(hours=HOURS) - timedelta(minutes=1))
    assert "released 0 cash orders not confirmed in time" in early
    assert status_of(app, stale) == "placed"

    late = sweep(runner, PLACED_AT + timedelta(hours=HOURS, minutes=1))
    assert "released 1 cash orders not confirmed in time" in late
    assert [status_of(app, o) for o in (stale, confirmed, card, fresh)] == [
        "cancelled",
        "confirmed",
        "placed",
        "placed",
    ]
    assert units_left(app, coat) == 2, "the released order's 2 units are for sale again"
    with app.app_context():
        back = db.session.scalars(
            select(StockMovement).where(StockMovement.order_id == stale, StockMovement.delta > 0)
        ).one()
        assert back.delta == 2
        step = db.session.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == stale).order_by(OrderStatusChange.id.desc())
        ).first()
        assert (step.event, step.from_status, step.to_status, step.user_id) == ("release", "placed", "cancelled", None)
    # Run again: nothing more happens.
    assert "released 0 cash orders" in sweep(runner, PLACED_AT + timedelta(hours=HOURS, minutes=2))
    assert units_left(app, coat) == 2


def test_the_owner_sets_the_time_or_switches_release_off(app, coat, runner):
    with time_machine.travel(PLACED_AT, tick=True):
        order_id = place_cash(app, coat, 1, "+1 555 0104")
        with app.app_context():
            save_limits(db.session, {**asdict(DEFAULT_LIMITS), "release_after_hours": 0}, None, utcnow())
            db.session.commit()
    assert "released 0" in sweep(runner, PLACED_AT + timedelta(days=30))
    assert status_of(app, order_id) == "placed"
    with app.app_context():
        save_limits(db.session, {**asdict(DEFAULT_LIMITS), "release_after_hours": 2}, None, utcnow())
        db.session.commit()
    assert "released 1" in sweep(runner, PLACED_AT + timedelta(hours=2, minutes=1))
    assert status_of(app, order_id) == "cancelled"


def test_shopper_requests_never_release_orders(app, coat):
    with time_machine.travel(PLACED_AT, tick=True):
        order_id = place_cash(app, coat, 1, "+1 555 0105")
    with time_machine.travel(PLACED_AT + timedelta(days=5), tick=True):
        shop = ShopClient(app.test_client())
        shop.client.environ_base["REMOTE_ADDR"] = "198.51.100.77"
        assert shop.add(coat, 1).status_code == 303
        assert shop.checkout({**CHECKOUT_PICKUP, "phone": "+1 555 0106"}).status_code == 303
    assert status_of(app, order_id) == "placed", "only the sweep releases"


def test_release_is_a_system_step_and_loses_to_a_confirmation(app, coat, monkeypatch):
    assert OrderEvent.RELEASE not in allowed_events("placed", "pickup"), "staff never see a release button"
    with time_machine.travel(PLACED_AT, tick=True):
        order_id = place_cash(app, coat, 1, "+1 555 0107")
    later = PLACED_AT + timedelta(hours=HOURS + 1)
    # The sweep read the order as unconfirmed; staff confirm it before the sweep's step.
    monkeypatch.setattr(hoarding, "unconfirmed_cash_orders_before", lambda *args: [order_id])
    with app.app_context():
        apply_event(db.session, db.session.get(Order, order_id), OrderEvent.CONFIRM, later)
        db.session.commit()
        assert release_unconfirmed_cash_orders(db.session, later, HOURS) == 0
        db.session.commit()
    assert status_of(app, order_id) == "confirmed"
    assert units_left(app, coat) == 4


@pytest.mark.parametrize("hours", [-1, 0])
def test_no_release_when_switched_off(app, coat, hours):
    with time_machine.travel(PLACED_AT, tick=True):
        place_cash(app, coat, 1, "+1 555 0108")
    with app.app_context():
        assert release_unconfirmed_cash_orders(db.session, PLACED_AT + timedelta(days=400), hours) == 0
