"""Card checkout through Stripe Checkout: hold, pay (webhook or return, in any order), double clicks, errors."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from storefront.analytics.models import Event
from storefront.catalog.models import Variant
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders.models import OrderStatusChange
from storefront.payments.models import Payment
from tests.builders import ShopClient

from .helpers import CARD, deliver, only_order, pay_by_card, session_id_of


def _variant(variant_id: int) -> Variant:
    db.session.expire_all()
    return db.session.get(Variant, variant_id)


def _movements(order_id: int) -> int:
    return db.session.scalar(select(func.count(StockMovement.id)).where(StockMovement.order_id == order_id))


def test_card_order_holds_stock_and_sends_the_shopper_to_stripe(app, shop, coat, fake_stripe):
    response = pay_by_card(shop, coat, 2)
    assert response.status_code == 303
    session = fake_stripe.sessions[session_id_of(response)]
    with app.app_context():
        order = only_order()
        assert order.status == "awaiting_payment"
        variant = _variant(coat)
        assert (variant.on_hand, variant.reserved, variant.available) == (5, 2, 3)  # held, not taken
        assert _movements(order.id) == 0
        # The page charges the server's prices: 2 x 50.00 + 5.00 delivery, in the shop's currency.
        assert session["amount_total"] == order.total == 10500 and session["currency"] == "usd"
        assert session["client_reference_id"] == str(order.id)
        assert session["metadata"] == {"order_id": str(order.id), "order_reference": order.reference}
        assert session["success_url"].endswith(f"/o/{order.token}/paid?session_id={{CHECKOUT_SESSION_ID}}")
        assert 30 * 60 <= session["expires_at"] - time.time() <= 32 * 60
        assert order.hold_expires_at is not None
    # The cart is emptied once the payment page is open.
    assert "Your cart is empty" in shop.client.get("/cart").get_data(as_text=True)


def test_webhook_then_return_page_pays_once(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 2))
    fake_stripe.pay(session_id)
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "placed"
        variant = _variant(coat)
        assert (variant.on_hand, variant.reserved) == (3, 0)
        assert _movements(order.id) == 1
        token = order.token
    page = shop.client.get(f"/o/{token}/paid?session_id={session_id}", follow_redirects=True)
    assert page.status_code == 200 and 'data-payment-status="paid"' in page.get_data(as_text=True)
    assert "Thank you for your order!" in page.get_data(as_text=True)  # paid by the webhook just before
    with app.app_context():
        assert _movements(only_order().id) == 1
        assert db.session.scalar(select(func.count(Event.id)).where(Event.name == "purchase")) == 1


def test_return_page_before_the_webhook_pays_once(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id)
    with app.app_context():
        token = only_order().token
    page = shop.client.get(f"/o/{token}/paid?session_id={session_id}", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-payment-status="paid"' in html
    assert "Thank you for your order!" in html
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "placed" and _movements(order.id) == 1
        assert _variant(coat).on_hand == 4
        pays = select(func.count(OrderStatusChange.id)).where(OrderStatusChange.event == "pay")
        assert db.session.scalar(pays) == 1


def test_return_page_ignores_a_session_id_of_another_order(app, shop, coat, fake_stripe):
    first = session_id_of(pay_by_card(shop, coat, 1))
    other = ShopClient(app.test_client())
    second = session_id_of(pay_by_card(other, coat, 1))
    fake_stripe.pay(second)  # someone else's paid session
    with app.app_context():
        token = db.session.scalars(select(Payment).where(Payment.session_ref == first)).one().order.token
    shop.client.get(f"/o/{token}/paid?session_id={second}")
    with app.app_context():
        assert db.session.scalars(select(Payment).where(Payment.session_ref == first)).one().status == "pending"


def test_slow_payment_waits_then_settles(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id, slowly=True)
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    with app.app_context():
        assert only_order().status == "awaiting_payment" and _variant(coat).reserved == 1
    fake_stripe.settle(session_id, succeeded=True)
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_succeeded", session_id).status_code == 200
    with app.app_context():
        assert only_order().status == "placed"
        variant = _variant(coat)
        assert (variant.on_hand, variant.reserved) == (4, 0)


def test_failed_slow_payment_releases_the_hold(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 3))
    fake_stripe.pay(session_id, slowly=True)
    fake_stripe.settle(session_id, succeeded=False)
    assert deliver(shop.client, fake_stripe, "checkout.session.async_payment_failed", session_id).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "unpaid"
        assert db.session.scalars(select(Payment)).one().status == "failed"
        variant = _variant(coat)
        assert (variant.on_hand, variant.reserved) == (5, 0)
        token = order.token
    page = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert "Nothing was charged" in page


def test_double_clicked_pay_makes_one_order_and_one_session(app, coat, fake_stripe):
    shop = ShopClient(app.test_client())
    assert shop.add(coat, 1).status_code == 303
    key = shop.checkout_key()
    barrier = threading.Barrier(2)

    def click(_):
        barrier.wait()
        return shop.checkout(CARD, key=key)

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(click, range(2)))
    again = shop.checkout(CARD, key=key)  # and a third, late click
    locations = {r.headers.get("Location") for r in [*responses, again]}
    assert [r.status_code for r in responses] == [303, 303] and again.status_code == 303
    assert len(locations) == 1 and len(fake_stripe.sessions) == 1
    with app.app_context():
        token = only_order().token
        assert _variant(coat).reserved == 1
        assert db.session.scalar(select(func.count(Payment.id))) == 1
    # "Pay now" on the order page reopens the very same page.
    again = shop.post(f"/o/{token}/pay")
    assert again.status_code == 303 and again.headers["Location"] in locations
    assert len(fake_stripe.sessions) == 1


def test_stripe_down_keeps_the_cart_and_charges_nothing(app, shop, coat, fake_stripe):
    fake_stripe.failures = ["network"]
    response = pay_by_card(shop, coat, 2)
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "Nothing was charged" in html
    assert 'value="card"' in html and "Wool coat" in html  # the form is back with the cart's items
    with app.app_context():
        order = only_order()
        assert order.status == "unpaid"
        assert (_variant(coat).on_hand, _variant(coat).reserved) == (5, 0)
    cart = shop.client.get("/cart").get_data(as_text=True)
    assert "Wool coat" in cart  # nothing lost: try again, now it works
    fake_stripe.failures = ["server"]
    assert shop.checkout(CARD).status_code == 503
    retry = shop.checkout(CARD)
    assert retry.status_code == 303 and session_id_of(retry) in fake_stripe.sessions
    assert not fake_stripe.intents  # nothing was ever charged


def test_no_database_lock_is_held_while_stripe_is_called(app, shop, coat, fake_stripe):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    other = None if url.get_backend_name() == "sqlite" else create_engine(url)
    checked = []

    def try_to_write(method, path):
        # Another worker writes to the very rows the request is working on, and must not wait.
        statements = [
            "UPDATE variants SET reserved = reserved",
            "UPDATE orders SET updated_at = updated_at",
            "UPDATE payments SET updated_at = updated_at",
        ]
        if other is None:  # SQLite: the whole database's write lock must be free
            conn = sqlite3.connect(url.database, timeout=0.2, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            for statement in statements:
                conn.execute(statement)
            conn.execute("ROLLBACK")
            conn.close()
        else:  # PostgreSQL: no row of these tables may be locked
            with other.connect() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
                for statement in statements:
                    conn.execute(text(statement))
                conn.rollback()
        checked.append((method, path))

    fake_stripe.on_request = try_to_write
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    fake_stripe.pay(session_id)
    with app.app_context():
        token = only_order().token
    shop.client.get(f"/o/{token}/paid?session_id={session_id}")
    assert deliver(shop.client, fake_stripe, "checkout.session.completed", session_id).status_code == 200
    if other is not None:
        other.dispose()
    assert ("post", "/v1/checkout/sessions") in checked
    assert checked.count(("get", f"/v1/checkout/sessions/{session_id}")) == 2


def test_coming_back_without_paying_offers_to_pay_and_counts_no_sale(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))  # the card is declined; the shopper gives up
    with app.app_context():
        token = only_order().token
    page = shop.client.get(f"/o/{token}/paid?session_id={session_id}", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-payment-status="pending"' in html
    assert "Thank you for your order!" not in html, "not paid: no thanks yet"
    assert f'action="/o/{token}/pay"' in html and "We are holding your items until" in html
    with app.app_context():
        assert only_order().status == "awaiting_payment"
        from tests.builders import make_user

        make_user()
    admin = ShopClient(app.test_client())
    admin.login()
    dashboard = admin.client.get("/admin/").get_data(as_text=True)
    assert re.search(r"<dd data-revenue-today>([^<]*)</dd>", dashboard).group(1) == "$0.00"


def test_the_payment_page_names_the_delivery_line_in_the_shoppers_language(app, shop, coat, fake_stripe):
    session_id = session_id_of(pay_by_card(shop, coat, 1))
    names = [line["price_data"]["product_data"]["name"] for line in fake_stripe.sessions[session_id]["line_items_sent"]]
    assert names == ["Wool coat (M)", "Delivery"]
    other = ShopClient(app.test_client())
    other.client.set_cookie("locale", "es")
    spanish = session_id_of(pay_by_card(other, coat, 1))
    sent = fake_stripe.sessions[spanish]["line_items_sent"][-1]["price_data"]["product_data"]["name"]
    with app.test_request_context(headers={"Cookie": "locale=es"}):
        from flask_babel import gettext

        assert sent == gettext("Delivery") != "Delivery"
