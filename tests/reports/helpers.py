"""Report helpers: the shop's time zone, sign-ins, a generated history with edge cases, rollups and their snapshot."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storefront.analytics import rollup, rules
from storefront.analytics.models import (
    Event,
    ReportOrder,
    RollupDay,
    RollupInterest,
    RollupProduct,
    RollupSource,
)
from storefront.analytics.seed import BLANK_EVENT, seed_events
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, OrderStatusChange
from storefront.orders.rules import SALE_STATUSES
from storefront.stores.models import OrderStore, Store
from tests.builders import ShopClient, make_category, make_product, make_user

ZONE = ZoneInfo("America/New_York")  # days, hours and "today" are the shop's, not UTC's


def signed_in(app, role: str = "owner") -> ShopClient:
    """A browser signed in as a fresh account of `role`."""
    email = f"{role}@example.com"
    with app.app_context():
        make_user(email, role)
    shop = ShopClient(app.test_client())
    assert shop.login(email).status_code == 303
    return shop


def catalogue() -> None:
    """A few products with variants (what the simulated shoppers look at)."""
    clothing, home = make_category("Clothing"), make_category("Home")
    make_product("Wool coat", 12000, (("S", 0), ("M", 0)), category=clothing)
    make_product("Linen shirt", 4500, (("M", 0),), category=clothing)
    make_product("Ceramic vase", 3000, (("Blue", 0),), category=home)
    make_product("Scented candle", 1500, (("One", 0),), category=home)


def generate(now: datetime, days: int = 7, events: int = 1600, orders: int = 90, seed: int = 11) -> None:
    """A committed synthetic history (the seed-events generator), then hand-made edge cases."""
    for _step in seed_events(
        db.session,
        days=days,
        events=events,
        orders=orders,
        seed=seed,
        now=now,
        tz=ZONE,
        currency="USD",
        shipping_fee=500,
    ):
        db.session.commit()
    edge_cases(now)
    db.session.commit()


def _event(at: datetime, name: str, **fields) -> dict:
    return {**BLANK_EVENT, "created_at": at, "name": name, **fields}


def edge_cases(now: datetime) -> None:
    """Cases the generator does not make: an unpaid card order from a tracked session, a session
    across midnight, a cart add with only a variant id, one customer typing the phone two ways,
    city names typed in capitals, an engagement without a view."""
    rng = random.Random(5)
    day = (now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZONE) - timedelta(days=2)).date()
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=ZONE).astimezone(ZoneInfo("UTC"))
    midnight = midnight.replace(tzinfo=None)
    variant = db.session.execute(
        select(OrderLine.variant_id, OrderLine.product_slug).where(OrderLine.variant_id.is_not(None)).limit(1)
    ).one()
    sid, visitor, cart = "e" * 32, "f" * 32, rules.cart_hash("edge-cart-token-0001")
    start = midnight - timedelta(minutes=10)  # the session starts before midnight and ends after it
    db.session.execute(
        Event.__table__.insert(),
        [
            _event(start, "page_view", session_id=sid, visitor_id=visitor, source="social", referrer_host="t.co"),
            _event(start, "view_item", session_id=sid, visitor_id=visitor, product_slug=variant.product_slug),
            _event(start + timedelta(minutes=1), "engagement", session_id=sid, visitor_id=visitor)
            | {"product_slug": variant.product_slug, "dwell_ms": 95_000},
            _event(start + timedelta(minutes=12), "add_to_cart", session_id=sid, visitor_id=visitor)
            | {"variant_id": variant.variant_id, "quantity": 2, "cart_hash": cart},
            _event(start + timedelta(minutes=13), "begin_checkout", session_id=sid, visitor_id=visitor, cart_hash=cart),
            _event(start + timedelta(minutes=14), "engagement", session_id=sid, visitor_id=visitor)
            | {"product_slug": "scented-candle", "dwell_ms": 41_000, "cart_hash": cart},
        ],
    )
    # A session that went on after its 30 minutes (its first page is "internal"), then came
    # back from a campaign; and one that only ever saw internal pages (direct).
    later, other = "c" * 32, "d" * 32
    db.session.execute(
        Event.__table__.insert(),
        [
            _event(start + timedelta(hours=3), "page_view", session_id=later, visitor_id=visitor, source="internal"),
            _event(start + timedelta(hours=3, minutes=2), "page_view", session_id=later, visitor_id=visitor)
            | {"source": "utm", "utm_source": "newsletter"},
            _event(start + timedelta(hours=4), "page_view", session_id=other, visitor_id="a" * 32, source="internal"),
        ],
    )
    unpaid = _order(start + timedelta(minutes=15), "awaiting_payment", "+1 212 555 0101", "", ("US", "NY", "new york"))
    db.session.execute(
        Event.__table__.insert(),
        [_event(unpaid.created_at, "purchase", order_id=unpaid.id, value=unpaid.total, cart_hash=cart)],
    )
    # A pickup counted for a store (the stores capability links orders to stores).
    pickup = db.session.scalars(
        # Any pickup that counts as a sale: which ones are "collected" yet depends on the time of day.
        select(Order).where(Order.delivery_method == "pickup", Order.status.in_(SALE_STATUSES)).order_by(Order.id)
    ).first()
    store = Store(name="Harbour Street shop", latitude=40.7, longitude=-74.0)
    db.session.add(store)
    db.session.flush()
    db.session.add(OrderStore(order_id=pickup.id, store_id=store.id, reason="pickup"))
    for index, phone in enumerate(("+1 212 555 0199", "+12125550199", "+1 (212) 555-0199")):
        at = now - timedelta(days=1 + index, hours=rng.randint(0, 5))
        order = _order(at, "delivered", phone, "ADA@Example.com" if index else "", ("GB", "England", "LONDON "))
        db.session.execute(
            Event.__table__.insert(),
            [_event(order.created_at, "purchase", order_id=order.id, value=order.total, cart_hash=None)],
        )
    # A cancelled order: the generator cancels 5% at random, which may be none at some hours.
    cancelled = _order(now - timedelta(days=3), "placed", "+1 718 555 0142", "", ("US", "NY", "Brooklyn"))
    cancelled.status = "cancelled"
    cancelled.history.append(
        OrderStatusChange(
            from_status="placed", to_status="cancelled", event="cancel", created_at=now - timedelta(days=3, hours=-2)
        )
    )
    db.session.execute(
        Event.__table__.insert(),
        [_event(cancelled.created_at, "purchase", order_id=cancelled.id, value=cancelled.total, cart_hash=None)],
    )
    # Money given back just before and after a local midnight (the day it counts on is the shop's).
    db.session.execute(
        Event.__table__.insert(),
        [
            _event(midnight - timedelta(minutes=1), "refund", order_id=order.id, value=1250, currency="USD"),
            _event(midnight + timedelta(minutes=1), "refund", order_id=order.id, value=700, currency="USD"),
        ],
    )


def _order(at: datetime, status: str, phone: str, email: str, place: tuple[str, str, str]) -> Order:
    """A committed-shape order with one line of the wool coat."""
    order = Order(
        token=f"edge-{phone}-{at.timestamp()}"[:64],
        reference=f"E{abs(hash((phone, at))) % 10**9:09d}"[:16],
        checkout_key=f"edge-key-{phone}-{at.timestamp()}"[:64],
        status=status,
        customer_name="Edge Case",
        phone=phone,
        email=email,
        delivery_method="delivery",
        street="1 Main Street",
        city=place[2],
        region=place[1],
        postcode="10001",
        country=place[0],
        payment_method="card" if status == "awaiting_payment" else "cash",
        currency="USD",
        subtotal=24000,
        shipping=500,
        total=24500,
        created_at=at,
        updated_at=at,
    )
    order.lines.append(
        OrderLine(product_slug="wool-coat", title="Wool coat", sku="WOOL-COAT-0", unit_price=12000, quantity=2)
    )
    order.history.append(OrderStatusChange(from_status=None, to_status=status, event="place", created_at=at))
    db.session.add(order)
    db.session.flush()
    return order


def run_rollup(now: datetime | None = None, **kwargs) -> list:
    """One catch-up, committed after each unit as the CLI does; returns the progress steps."""
    steps = []
    for progress in rollup.catch_up(db.session, now or utcnow(), ZONE, **kwargs):
        db.session.commit()
        steps.append(progress)
    return steps


ROLLUP_TABLES = (RollupDay, RollupSource, RollupProduct, RollupInterest, ReportOrder)


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every rollup table, sorted: equal snapshots mean nothing changed."""
    db.session.expire_all()
    result = {}
    for model in ROLLUP_TABLES:
        table = model.__table__
        rows = db.session.execute(select(table)).all()
        result[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return result
