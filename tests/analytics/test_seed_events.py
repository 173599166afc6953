"""`flask seed-events`: realistic, reproducible synthetic behaviour and orders consistent with the shop's own."""

from __future__ import annotations

from collections import Counter
from datetime import UTC

from sqlalchemy import func, select

from storefront.analytics.models import Event, RollupDay, RollupState
from storefront.analytics.seed import apportion, seed_events
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, OrderStatusChange
from storefront.orders.rules import next_status
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_category, make_product


def _catalogue() -> None:
    clothing = make_category("Clothing")
    make_product("Wool coat", 12000, (("S", 5), ("M", 5)), category=clothing)
    make_product("Linen shirt", 4500, (("M", 5),), category=clothing)
    make_product("Ceramic vase", 3000, (("Blue", 5),))


def _shape(app) -> dict:
    """What a run produced, independent of ids, tokens and timestamps' microseconds."""
    with app.app_context():
        names = Counter(dict(db.session.execute(select(Event.name, func.count()).group_by(Event.name)).all()))
        sources = Counter(dict(db.session.execute(select(Event.source, func.count()).group_by(Event.source)).all()))
        statuses = Counter(dict(db.session.execute(select(Order.status, func.count()).group_by(Order.status)).all()))
        revenue = db.session.scalar(select(func.sum(Order.total)))
        return {"names": names, "sources": sources, "statuses": statuses, "revenue": revenue}


def test_seed_events_writes_exactly_n_events_and_matching_orders(app, runner):
    with app.app_context():
        _catalogue()
    result = runner.invoke(args=["seed-events", "--days", "6", "--n", "3000", "--orders", "150", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Seeded 3000 events" in result.output and "150 orders" in result.output and "Rolled up" in result.output
    with app.app_context():
        browser = db.session.scalar(select(func.count()).select_from(Event).where(Event.name != "purchase"))
        assert browser == 3000
        orders = db.session.scalars(select(Order)).all()
        assert len(orders) == 150
        purchases = {e.order_id: e for e in db.session.scalars(select(Event).where(Event.name == "purchase"))}
        assert set(purchases) == {o.id for o in orders}  # every order has its server-side purchase event
        lines = {}
        for line in db.session.scalars(select(OrderLine)):
            lines.setdefault(line.order_id, []).append(line)
        history = {}
        for change in db.session.scalars(select(OrderStatusChange).order_by(OrderStatusChange.id)):
            history.setdefault(change.order_id, []).append(change)
        for order in orders:
            assert order.subtotal == sum(line.unit_price * line.quantity for line in lines[order.id])
            assert order.total == order.subtotal + order.shipping
            assert order.shipping == (500 if order.delivery_method == "delivery" else 0)
            assert purchases[order.id].value == order.total and purchases[order.id].cart_hash
            steps = history[order.id]
            assert steps[0].to_status == "placed" and steps[-1].to_status == order.status
            for step in steps[1:]:  # every step is one the lifecycle table allows
                assert next_status(step.from_status, step.event, order.delivery_method) == step.to_status
            assert order.updated_at == steps[-1].created_at >= order.created_at
        # Tracked orders come from sessions that added to cart: their cart hash is in the events.
        carts = set(db.session.scalars(select(Event.cart_hash).where(Event.name == "add_to_cart")))
        assert 0 < sum(1 for e in purchases.values() if e.cart_hash in carts) < 150
        # Repeat customers: the same phone number (typed differently) on several orders.
        phones = Counter("".join(ch for ch in o.phone if ch.isdigit()) for o in orders)
        assert max(phones.values()) >= 3 and len(phones) < 150
        assert {o.delivery_method for o in orders} == {"delivery", "pickup"}
        assert len({o.city for o in orders if o.city}) >= 5
        assert db.session.get(RollupState, 1).complete_through is not None
        assert db.session.scalar(select(func.count()).select_from(RollupDay)) >= 6
    shape = _shape(app)
    names = shape["names"]
    assert names["page_view"] > names["view_item"] > names["add_to_cart"] > names["begin_checkout"] > 0
    assert names["engagement"] > names["view_item"] and names["search"] > 0 and names["view_item_list"] > 0
    assert {"direct", "social", "ref", "search", "utm", "pwa", "internal"} <= set(shape["sources"])
    assert shape["statuses"]["delivered"] > shape["statuses"]["cancelled"] > 0


def test_the_same_seed_gives_the_same_figures(sqlite_app, tmp_path):
    from storefront import create_app
    from tests.helpers import _test_config

    other = create_app(
        {**_test_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}", "MEDIA_ROOT": str(tmp_path)}
    )
    now = utcnow()  # one moment for both runs: order ages (and so statuses) depend on it
    shapes = []
    for app in (sqlite_app, other):
        with app.app_context():
            db.create_all()
            _catalogue()
            for _step in seed_events(
                db.session, days=3, events=800, orders=40, seed=9, now=now, tz=UTC, currency="USD", shipping_fee=500
            ):
                db.session.commit()
        shapes.append(_shape(app))
    assert shapes[0] == shapes[1] and shapes[0]["names"]["page_view"] > 0
    with other.app_context():
        db.engine.dispose()


def test_seeded_history_leaves_the_shop_working(app, runner):
    with app.app_context():
        _catalogue()
    assert runner.invoke(args=["seed-events", "--days", "2", "--n", "300", "--orders", "20"]).exit_code == 0
    shop = ShopClient(app.test_client())
    with app.app_context():
        variant = make_product("Rain jacket", 9900, (("M", 3),)).variants[0].id
    shop.add(variant, 1)
    assert shop.checkout(CHECKOUT_DELIVERY).status_code == 303  # ids and sequences are intact
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 21
        newest = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert newest.customer_name == CHECKOUT_DELIVERY["customer_name"]


def test_seed_events_needs_products(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["seed-events", "--n", "10"])
    assert result.exit_code == 1 and "seed-demo" in result.output
    bad = sqlite_app.test_cli_runner().invoke(args=["seed-events", "--days", "0"])
    assert bad.exit_code == 2 and "--days" in bad.output


def test_apportion_splits_exactly():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(apportion(1_000_000, [0.9, 1.25, 0.0, 1.1])) == 1_000_000
    assert apportion(5, [0, 0]) == [0, 0] and apportion(0, [1]) == [0]


def test_seeded_customers_live_where_the_demo_shop_sells(sqlite_app):
    """A Portland shop's customers: US addresses (state, city, 5-digit ZIP) and US phone numbers."""
    from storefront.analytics import seed_data

    with sqlite_app.app_context():
        _catalogue()
        for _step in seed_events(
            db.session, days=2, events=400, orders=60, seed=5, now=utcnow(), tz=UTC, currency="USD", shipping_fee=500
        ):
            db.session.commit()
        orders = db.session.scalars(select(Order)).all()
    places = {(region, city): zip_prefix for region, city, _w, _codes, zip_prefix in seed_data.GAZETTEER["US"][2]}
    area_codes = {code for *_place, codes, _zip in seed_data.GAZETTEER["US"][2] for code in codes}
    delivered = [o for o in orders if o.delivery_method == "delivery"]
    assert delivered and {o.country for o in delivered} == {"US"}
    for order in delivered:
        zip_prefix = places[(order.region, order.city.title())]
        assert order.postcode.startswith(zip_prefix) and len(order.postcode) == 5 and order.postcode.isdigit()
    for order in orders:
        digits = "".join(ch for ch in order.phone if ch.isdigit())
        assert len(digits) == 11 and digits[0] == "1" and digits[1:4] in area_codes, order.phone
