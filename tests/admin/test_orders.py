"""Orders in the admin: list filters, the lifecycle steps, cancelling (with restock) and the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders.models import Order, OrderStatusChange
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_product, make_user, stock_of

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here


@pytest.fixture
def coat(app) -> dict:
    """A coat at $120.00 with 5 of size S and 5 of size M."""
    with app.app_context():
        product = make_product("Merino coat", price=12000, variants=(("S", 5), ("M", 5)))
        return {"slug": product.slug, "variants": [v.id for v in product.variants]}


@pytest.fixture
def staff(app) -> tuple[ShopClient, int]:
    with app.app_context():
        user_id = make_user("staff@example.com", "staff").id
    shop = ShopClient(app.test_client())
    assert shop.login("staff@example.com").status_code == 303
    return shop, user_id


def place(app, shop: ShopClient, variant_id: int, quantity: int, fields: dict = CHECKOUT_DELIVERY) -> dict:
    """A shopper buys `quantity` of one variant; the order's reference, token URL and id."""
    assert shop.add(variant_id, quantity).status_code == 303
    response = shop.checkout(fields)
    assert response.status_code == 303, response.text
    url = response.headers["Location"]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.token == url.rsplit("/", 1)[1])).one()
        return {"reference": order.reference, "url": url, "id": order.id, "total": order.total}


def status_of(app, order_id: int) -> str:
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Order, order_id).status


def offered_steps(html: str) -> list[str]:
    """The lifecycle steps the order page offers: buttons, then the cancel section (it opens a confirmation page)."""
    found = re.findall(r'<input type="hidden" name="event" value="([^"]+)">|data-step="(cancel)"', html)
    return [button or cancel for button, cancel in found]


def step(staff_shop: ShopClient, reference: str, event: str):
    return staff_shop.post(f"/admin/orders/{reference}/event", {"event": event, "note": "by phone"})


@pytest.fixture
def order(app, coat, shop) -> dict:
    """A placed delivery order for 2 × S ($240 + $5 delivery)."""
    return place(app, shop, coat["variants"][0], 2)


# --- the list -------------------------------------------------------------------------------


@pytest.mark.clock_sensitive  # "today" in the shop zone
def test_order_list_filters_by_status_and_date(app, coat, shop, staff):
    staff_shop, _ = staff
    first = place(app, shop, coat["variants"][0], 1)
    second = place(app, ShopClient(app.test_client()), coat["variants"][1], 1, CHECKOUT_PICKUP)
    assert step(staff_shop, second["reference"], "confirm").status_code == 303
    today = utcnow().date()

    def listed(query: str) -> set[str]:
        response = staff_shop.client.get(f"/admin/orders{query}")
        assert response.status_code == 200, query
        return {ref for ref in (first["reference"], second["reference"]) if ref in response.text}

    both = {first["reference"], second["reference"]}
    assert listed("") == both
    assert listed("?status=placed") == {first["reference"]}
    assert listed("?status=confirmed") == {second["reference"]}
    assert listed("?status=shipped") == set()
    assert listed("?status=bogus") == both
    assert listed(f"?date_from={today}&date_to={today}") == both
    assert listed(f"?date_from={today + timedelta(days=1)}") == set()
    assert listed(f"?date_to={today - timedelta(days=1)}") == set()
    assert listed(f"?status=placed&date_from={today}") == {first["reference"]}
    assert listed("?date_from=0001-01-01&date_to=9999-12-31") == both, "the widest range is not an error"
    assert listed("?date_from=9999-12-31") == set()


def test_bad_dates_are_400_with_a_message(app, order, staff):
    staff_shop, _ = staff
    for query in (
        "date_from=2026-13-45",
        "date_to=2026-13-45",
        "date_to=2026-02-30",
        "date_from=yesterday",
        "date_from=9999999999-01-01",
        "date_to=2026-1-5",
    ):
        response = staff_shop.client.get(f"/admin/orders?{query}")
        assert response.status_code == 400, query
        assert "Dates must look like 2026-01-31." in response.text, query


def test_odd_filter_values_never_break_the_list(app, order, staff):
    staff_shop, _ = staff
    for query in ("date_to=%00", "status=%00", "status=" + "x" * 5000, "date_from=" + "9" * 5000):
        assert staff_shop.client.get(f"/admin/orders?{query}").status_code in (200, 400), query


# --- the lifecycle ---------------------------------------------------------------------------


def test_delivery_order_walks_its_steps(app, order, staff):
    staff_shop, staff_id = staff
    reference = order["reference"]
    expected = [
        ("confirm", "confirmed", ["confirm", "cancel"]),
        ("pack", "packed", ["pack", "cancel"]),
        ("ship", "shipped", ["ship", "cancel"]),
        ("deliver", "delivered", ["deliver"]),
    ]
    for event, new_status, offered in expected:
        page = staff_shop.client.get(f"/admin/orders/{reference}")
        assert page.status_code == 200
        assert offered_steps(page.text) == offered, event
        response = step(staff_shop, reference, event)
        assert response.status_code == 303, response.text
        assert response.headers["Location"] == f"/admin/orders/{reference}"
        assert status_of(app, order["id"]) == new_status
    assert offered_steps(staff_shop.client.get(f"/admin/orders/{reference}").text) == []
    with app.app_context():
        history = db.session.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == order["id"]).order_by(OrderStatusChange.id)
        ).all()
        assert [(h.event, h.to_status) for h in history] == [
            ("place", "placed"),
            ("confirm", "confirmed"),
            ("pack", "packed"),
            ("ship", "shipped"),
            ("deliver", "delivered"),
        ]
        assert {h.user_id for h in history[1:]} == {staff_id}
        assert history[-1].note == "by phone"


def test_pickup_order_is_marked_ready_and_collected(app, coat, shop, staff):
    staff_shop, _ = staff
    pickup = place(app, shop, coat["variants"][0], 1, CHECKOUT_PICKUP)
    for event in ("confirm", "pack"):
        assert step(staff_shop, pickup["reference"], event).status_code == 303
    assert offered_steps(staff_shop.client.get(f"/admin/orders/{pickup['reference']}").text) == ["mark_ready", "cancel"]
    refused = step(staff_shop, pickup["reference"], "ship")
    assert refused.status_code == 409
    assert "An order that is packed cannot take the step ship." in refused.text
    for event, status in (("mark_ready", "ready_for_pickup"), ("collect", "collected")):
        assert step(staff_shop, pickup["reference"], event).status_code == 303
        assert status_of(app, pickup["id"]) == status


def test_steps_not_allowed_are_409_and_change_nothing(app, order, staff):
    staff_shop, _ = staff
    refused_at = {
        "placed": [
            ("ship", "An order that is placed cannot take the step ship."),
            ("deliver", "An order that is placed cannot take the step deliver."),
            ("collect", "An order that is placed cannot take the step collect."),
            ("pack", "An order that is placed cannot take the step pack."),
            ("bogus", "Unknown status or event."),
            ("", "Unknown status or event."),
            ("place", "Unknown status or event."),
        ],
        "confirmed": [("confirm", "An order that is confirmed cannot take the step confirm.")],
        "packed": [("mark_ready", "An order that is packed cannot take the step mark_ready.")],
        "shipped": [
            ("collect", "An order that is shipped cannot take the step collect."),
            ("cancel", "An order that is shipped cannot take the step cancel."),
        ],
    }
    for status, next_event in (("placed", "confirm"), ("confirmed", "pack"), ("packed", "ship"), ("shipped", None)):
        with app.app_context():
            changes = db.session.query(OrderStatusChange).count()
        for event, message in refused_at[status]:
            response = step(staff_shop, order["reference"], event)
            assert response.status_code == 409, (status, event)
            assert message in response.text, (status, event)
            assert status_of(app, order["id"]) == status, (status, event)
            with app.app_context():
                assert db.session.query(OrderStatusChange).count() == changes, (status, event)
        if next_event:
            assert step(staff_shop, order["reference"], next_event).status_code == 303


def test_unknown_order_is_404(app, order, staff):
    staff_shop, _ = staff
    assert staff_shop.client.get("/admin/orders/NOPE-NOPE").status_code == 404
    assert step(staff_shop, "NOPE-NOPE", "cancel").status_code == 404


# --- cancelling -----------------------------------------------------------------------------


def test_cancel_returns_the_stock_once(app, coat, order, staff, shop):
    staff_shop, staff_id = staff
    small = coat["variants"][0]
    with app.app_context():
        assert stock_of(small) == 3
    response = step(staff_shop, order["reference"], "cancel")
    assert response.status_code == 303
    assert status_of(app, order["id"]) == "cancelled"
    with app.app_context():
        assert stock_of(small) == 5
        (movement,) = db.session.scalars(select(StockMovement).where(StockMovement.reason == "cancel")).all()
        assert (movement.variant_id, movement.delta, movement.on_hand_after, movement.order_id, movement.user_id) == (
            small,
            2,
            5,
            order["id"],
            staff_id,
        )

    again = step(staff_shop, order["reference"], "cancel")
    assert again.status_code == 409
    assert "An order that is cancelled cannot take the step cancel." in again.text
    assert offered_steps(again.text) == []
    with app.app_context():
        assert stock_of(small) == 5
        assert db.session.query(StockMovement).filter_by(reason="cancel").count() == 1
    page = shop.client.get(order["url"])
    assert page.status_code == 200
    assert "This order was cancelled." in page.text
    ledger = staff_shop.client.get(f"/admin/stock/ledger?variant={small}").text
    assert "Order cancelled" in ledger and order["reference"] in ledger


def test_a_shipped_order_cannot_be_cancelled(app, coat, order, staff):
    staff_shop, _ = staff
    for event in ("confirm", "pack", "ship"):
        assert step(staff_shop, order["reference"], event).status_code == 303
    assert step(staff_shop, order["reference"], "cancel").status_code == 409
    assert status_of(app, order["id"]) == "shipped"
    with app.app_context():
        assert stock_of(coat["variants"][0]) == 3


def test_shopper_page_is_not_cancelled_while_the_order_runs(app, order, shop):
    assert "This order was cancelled." not in shop.client.get(order["url"]).text


# --- dashboard ------------------------------------------------------------------------------


@pytest.mark.clock_sensitive  # "today" in the shop zone
def test_dashboard_counts_today_without_cancelled_orders(app, coat, shop, staff):
    staff_shop, _ = staff
    kept = place(app, shop, coat["variants"][0], 1)  # 120.00 + 5.00
    cancelled = place(app, ShopClient(app.test_client()), coat["variants"][1], 3)  # 360.00 + 5.00
    pickup = place(app, ShopClient(app.test_client()), coat["variants"][1], 1, CHECKOUT_PICKUP)  # 120.00
    assert (kept["total"], cancelled["total"], pickup["total"]) == (12500, 36500, 12000)

    def figures() -> tuple[str, str]:
        html = staff_shop.client.get("/admin/").text
        count = re.search(r"<dd data-orders-today>([^<]*)</dd>", html).group(1)
        revenue = re.search(r"<dd data-revenue-today>([^<]*)</dd>", html).group(1)
        return count, revenue

    assert figures() == ("3", "$610.00")
    assert step(staff_shop, cancelled["reference"], "cancel").status_code == 303
    assert figures() == ("2", "$245.00")
    with app.app_context():  # an order from yesterday does not count as today's
        old = db.session.get(Order, kept["id"])
        old.created_at = utcnow() - timedelta(days=1, hours=1)
        db.session.commit()
    assert figures() == ("1", "$120.00")


@pytest.mark.clock_sensitive  # "today" in the shop zone
def test_today_and_date_filters_follow_the_shop_time_zone(app, coat, shop, staff):
    staff_shop, _ = staff
    app.extensions["babel"].default_timezone = "America/New_York"  # as SHOP_TIMEZONE would set it
    zone = ZoneInfo("America/New_York")
    today = datetime.now(zone).date()
    yesterday = today - timedelta(days=1)

    def utc(day: date, hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    late = place(app, shop, coat["variants"][0], 1)  # placed yesterday 23:30 in New York
    early = place(app, ShopClient(app.test_client()), coat["variants"][0], 2)  # today 00:30 in New York
    with app.app_context():
        db.session.get(Order, late["id"]).created_at = utc(yesterday, 23, 30)
        db.session.get(Order, early["id"]).created_at = utc(today, 0, 30)
        db.session.commit()

    html = staff_shop.client.get("/admin/").text
    assert re.search(r"<dd data-orders-today>([^<]*)</dd>", html).group(1) == "1"
    assert re.search(r"<dd data-revenue-today>([^<]*)</dd>", html).group(1) == "$245.00"

    def listed(query: str) -> set[str]:
        response = staff_shop.client.get(f"/admin/orders?{query}")
        assert response.status_code == 200, query
        return {o["reference"] for o in (late, early) if o["reference"] in response.text}

    assert listed(f"date_from={today}") == {early["reference"]}
    assert listed(f"date_to={yesterday}") == {late["reference"]}
    assert listed(f"date_from={yesterday}&date_to={yesterday}") == {late["reference"]}
    assert "11:30" in staff_shop.client.get(f"/admin/orders?date_to={yesterday}").text, "shown in shop time"


def test_the_dearest_price_the_admin_accepts_can_be_bought_twice(app):
    with app.app_context():
        gold = make_product("Gold bar", price=2**31 - 1, variants=(("1 kg", 5),)).variants[0].id
    shopper = ShopClient(app.test_client())
    assert shopper.add(gold, 2).status_code == 303
    response = shopper.checkout(CHECKOUT_PICKUP)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Order.total)).one() == 2 * (2**31 - 1)
