"""Builders for after-sales tests: delivered orders, requests moved along, and what the database says."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storefront.aftersales import service
from storefront.aftersales.models import AftersalesRequest
from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.orders import service as orders
from storefront.orders.models import Order
from storefront.payments.models import ManualRefund
from tests.builders import CHECKOUT_DELIVERY, ShopClient, make_user

UTC = ZoneInfo("UTC")
DELIVERY_STEPS = ("confirm", "pack", "ship", "deliver")


def place_cash_order(app, shop: ShopClient, variant_id: int, quantity: int = 2, fields: dict | None = None) -> int:
    """A cash delivery order through the checkout form; its id."""
    assert shop.add(variant_id, quantity).status_code == 303
    response = shop.checkout(fields or CHECKOUT_DELIVERY)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    token = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        return db.session.scalar(select(Order.id).where(Order.token == token))


def deliver(app, order_id: int, at: datetime | None = None, steps=DELIVERY_STEPS) -> None:
    """Take an order through the lifecycle to delivered (the last step at `at`)."""
    with app.app_context():
        for step in steps:
            order = db.session.get(Order, order_id)
            orders.apply_event(db.session, order, step, at or utcnow())
        db.session.commit()


def delivered_cash_order(app, shop: ShopClient, variant_id: int, quantity: int = 2) -> int:
    """A cash order delivered now; its id."""
    order_id = place_cash_order(app, shop, variant_id, quantity)
    deliver(app, order_id)
    return order_id


def open_request(app, order_id: int, kind: str = "return", quantity: int = 1, **extra) -> int:
    """A request on the order's first line, opened through the service now; its id."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        line = order.lines[0]
        asked = service.NewRequest(
            kind=kind,
            reason=extra.pop("reason", "changed_mind"),
            details=extra.pop("details", "It does not fit."),
            quantities={line.id: quantity},
            exchange_variants=extra.pop("exchange_variants", {}),
        )
        found = service.open_request(db.session, order, asked, [], extra.pop("now", utcnow()), UTC)
        db.session.commit()
        return found.id


def step(app, request_id: int, name: str, author: str = "staff", user_id: int | None = None) -> str:
    """Take one step through the service and commit; the new status."""
    with app.app_context():
        found = service.get_request(db.session, request_id)
        new = service.take_step(db.session, found, name, utcnow(), author, user_id)
        db.session.commit()
        return new


def request_row(app, request_id: int) -> AftersalesRequest:
    """The request read fresh (detached)."""
    with app.app_context():
        db.session.expire_all()
        found = service.get_request(db.session, request_id)
        db.session.expunge(found)
        return found


def manual_refunds(app, order_id: int) -> list[tuple[int, str]]:
    """(amount, key) of each manual refund of an order."""
    with app.app_context():
        rows = db.session.execute(
            select(ManualRefund.amount, ManualRefund.idempotency_key).where(ManualRefund.order_id == order_id)
        )
        return [tuple(r) for r in rows]


def on_hand(app, variant_id: int) -> int:
    """A variant's stock on hand, read fresh."""
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Variant, variant_id).on_hand


def count(app, model, *where) -> int:
    """Rows of `model` matching `where`."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def owner_client(app) -> ShopClient:
    """A signed-in owner."""
    with app.app_context():
        make_user("owner@example.com", "owner")
    owner = ShopClient(app.test_client())
    assert owner.login("owner@example.com").status_code in (302, 303)
    return owner


def days_later(at: datetime, days: int, hour: int = 0, minute: int = 0) -> datetime:
    """Midnight UTC `days` after `at`'s day, plus the given time."""
    return datetime.combine(at.date() + timedelta(days=days), datetime.min.time()) + timedelta(
        hours=hour, minutes=minute
    )
