"""Server-side purchase events (never from the browser) and the purge-events retention command."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, null, select
from sqlalchemy.exc import OperationalError

from storefront.analytics import service
from storefront.analytics.models import Event
from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order
from tests.analytics.helpers import send, stored_events
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_product


@pytest.fixture
def variants(app):
    with app.app_context():
        product = make_product("Merino coat", price=12000, variants=(("S", 5), ("M", 5)))
        return [v.id for v in product.variants]


def test_placing_an_order_records_one_purchase_linked_to_the_cart(app, shop, variants):
    shop.add(variants[0], 2)
    shop.add(variants[1], 1)
    cart_token = shop.client.get_cookie("cart").value
    assert send(shop.client, {"events": [{"name": "begin_checkout", "path": "/checkout"}]}).status_code == 202
    key = shop.checkout_key()
    assert shop.checkout(CHECKOUT_DELIVERY, key=key).status_code == 303
    assert shop.checkout(CHECKOUT_DELIVERY, key=key).status_code == 303  # a double submit
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        order_id, total, currency = order.id, order.total, order.currency
    checkout, purchase = stored_events(app)
    assert purchase.name == "purchase"
    assert (purchase.order_id, purchase.value, purchase.currency, purchase.quantity) == (order_id, total, currency, 3)
    assert total == 3 * 12000 + 500
    assert purchase.cart_hash == hashlib.sha256(cart_token.encode()).hexdigest()[:32] == checkout.cart_hash
    assert purchase.visitor_id is None and purchase.path is None


def test_a_failing_purchase_event_never_fails_the_order(app, shop, variants, monkeypatch):
    def broken_insert():
        return insert(Event.__table__).values(name=null())  # NOT NULL: the INSERT fails on both databases

    monkeypatch.setattr(service, "_insert_event", broken_insert)
    shop.add(variants[0], 1)
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303
    with app.app_context():
        assert db.session.query(Order).count() == 1
        assert db.session.query(Event).count() == 0


def test_a_lost_connection_while_recording_the_purchase_fails_the_order_as_unavailable(app, shop, variants):
    def connection_lost(conn, cursor, statement, *_args):
        if statement.startswith("INSERT INTO events"):  # the server went away at the purchase event
            raise OperationalError(
                statement, {}, Exception("server closed the connection"), connection_invalidated=True
            )

    with app.app_context():
        engine = db.engine
    shop.add(variants[0], 1)
    event.listen(engine, "before_cursor_execute", connection_lost)
    try:
        response = shop.checkout(CHECKOUT_PICKUP)
    finally:
        event.remove(engine, "before_cursor_execute", connection_lost)
    assert response.status_code == 503, "not swallowed: the order's transaction died with the connection"
    assert b"Your order was not placed" in response.data
    with app.app_context():
        assert db.session.query(Order).count() == 0
        assert db.session.get(Variant, variants[0]).on_hand == 5, "no stock moved"
    assert shop.checkout(CHECKOUT_PICKUP).status_code == 303, "the cart was kept: the same checkout goes through"


def _event_aged(days: float) -> Event:
    return Event(name="page_view", path=f"/{days}", created_at=utcnow() - timedelta(days=days))


def test_purge_events_deletes_only_older_rows(app, runner):
    with app.app_context():
        db.session.add_all([_event_aged(d) for d in (800, 401, 399, 1, 0)])
        db.session.commit()
    result = runner.invoke(args=["purge-events", "--older-than", "400d"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 events" in result.output
    assert sorted(e.path for e in stored_events(app)) == ["/0", "/1", "/399"]


@pytest.mark.parametrize("age", ["abc", "400", "0d", "-1d", "400 days", ""])
def test_purge_events_rejects_bad_ages_clearly(app, runner, age):
    with app.app_context():
        db.session.add(_event_aged(1000))
        db.session.commit()
    result = runner.invoke(args=["purge-events", "--older-than", age])
    assert result.exit_code == 2
    assert "--older-than" in result.output and "like 400d" in result.output
    assert len(stored_events(app)) == 1


def test_purge_events_needs_an_age(app, runner):
    result = runner.invoke(args=["purge-events"])
    assert result.exit_code == 2 and "--older-than" in result.output


@pytest.mark.clock_sensitive  # retention counts days back from now
def test_orders_stay_when_events_are_purged(app, variants):
    shop = ShopClient(app.test_client())
    shop.add(variants[0], 1)
    shop.checkout(CHECKOUT_PICKUP)
    with app.app_context():
        service.purge_events(db.session, timedelta(days=1), utcnow() + timedelta(days=2))
        db.session.commit()
        assert db.session.query(Order).count() == 1 and db.session.query(Event).count() == 0
