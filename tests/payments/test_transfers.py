"""Pay by mobile money or bank transfer, on SQLite and PostgreSQL: checkout to received, rejected or released.

The shop's currency is USD (TestConfig). Times are pinned where the hold deadline matters.
"""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime, timedelta

import pytest
import time_machine
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storefront.analytics.models import Event
from storefront.catalog.models import Variant
from storefront.clock import utcnow
from storefront.domain import Conflict
from storefront.extensions import db
from storefront.orders.limit_rules import DEFAULT_LIMITS
from storefront.orders.limits import save_limits
from storefront.orders.models import Order
from storefront.orders.rules import SALE_STATUSES
from storefront.payments import transfer_service
from storefront.payments.transfer_models import TransferMethod, TransferPayment
from storefront.payments.transfer_rules import TransferMethodValues
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_user, nth_shopper, pickup_by

pytestmark = pytest.mark.usefixtures("quick_password_hash")

PLACED_AT = datetime(2026, 12, 31, 23, 30)


def add_method(name="bKash", currencies=("USD",), hold_hours=24, active=True, account="01712345678") -> int:
    """A committed transfer method; its id."""
    values = TransferMethodValues(name, account, "Send Money, then Reference.", tuple(currencies), hold_hours, active)
    method = transfer_service.save_method(db.session, None, values, utcnow())
    db.session.commit()
    return method.id


@pytest.fixture
def bkash(app):
    """A bKash method taking the shop's currency, stock held 24 hours."""
    with app.app_context():
        return add_method()


def stock(app, variant_id: int) -> tuple[int, int]:
    """(on hand, reserved) of a variant, read fresh."""
    with app.app_context():
        db.session.expire_all()
        variant = db.session.get(Variant, variant_id)
        return variant.on_hand, variant.reserved


def place_transfer(app, shop: ShopClient, variant_id: int, method_id: int, quantity: int = 1, fields=None) -> Order:
    """A transfer order placed through the checkout form; the order row (detached, read fresh)."""
    assert shop.add(variant_id, quantity).status_code == 303
    response = shop.checkout({**(fields or CHECKOUT_PICKUP), "payment_method": f"transfer-{method_id}"})
    assert response.status_code == 303, response.text[:500]
    token = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.token == token)).one()
        db.session.expunge(order)
        return order


def status_of(app, order_id: int) -> str:
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Order, order_id).status


def staff_client(app, role: str = "staff") -> ShopClient:
    with app.app_context():
        make_user(f"{role}@example.com", role)
    staff = ShopClient(app.test_client())
    assert staff.login(f"{role}@example.com").status_code == 303
    return staff


def purchases(app, order_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Event.id)).where(Event.name == "purchase", Event.order_id == order_id)
        )


def test_checkout_offers_only_methods_for_the_shop_currency(app, shop, coat, bkash):
    with app.app_context():
        pix = add_method("Pix", currencies=("BRL",))
        off = add_method("Nagad", active=False)
    assert shop.add(coat).status_code == 303
    html = shop.client.get("/checkout").text
    assert f'value="transfer-{bkash}"' in html and "bKash" in html
    assert f'value="transfer-{pix}"' not in html and f'value="transfer-{off}"' not in html
    # A crafted choice of a method not offered is refused with the form's message, nothing placed.
    response = shop.checkout({**CHECKOUT_PICKUP, "payment_method": f"transfer-{pix}"})
    assert response.status_code == 422 and "Please choose one of the payment options shown." in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_a_transfer_order_holds_its_stock_and_shows_how_to_pay(app, shop, coat, bkash):
    order = place_transfer(app, shop, coat, bkash, quantity=2)
    assert order.status == "awaiting_transfer" and order.payment_method == "transfer"
    assert stock(app, coat) == (5, 2)  # held, still on the shelf
    assert order.hold_expires_at is not None
    assert purchases(app, order.id) == 0  # not a sale until the money is seen
    page = shop.client.get(f"/o/{order.token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.text
    assert "$100.00" in html and "01712345678" in html and order.reference in html
    assert re.search(r"data-transfer-reference>\s*" + re.escape(order.reference), html)
    assert "Send Money, then Reference." in html
    assert shop.client.get("/cart").text.count('name="quantity"') == 0  # the cart was emptied


def test_the_shopper_may_send_a_transaction_id_of_the_right_shape(app, shop, coat, bkash):
    order = place_transfer(app, shop, coat, bkash)
    bad = shop.post(f"/o/{order.token}/transfer", {"transaction_id": "no!"})
    assert bad.status_code == 422 and "4 to 40 letters, digits or dashes" in bad.text
    assert 'aria-invalid="true"' in bad.text and 'value="no!"' in bad.text
    good = shop.post(f"/o/{order.token}/transfer", {"transaction_id": " 8n7a 6d5e4f "})
    assert good.status_code == 303
    with app.app_context():
        transfer = transfer_service.transfer_of(db.session, order.id)
        assert transfer.claimed_id == "8N7A6D5E4F" and transfer.transaction_id is None  # a hint, not proof
    assert status_of(app, order.id) == "awaiting_transfer"
    assert shop.client.post(f"/o/{order.token}/transfer", data={"transaction_id": "ABCD1234"}).status_code == 400


def test_staff_mark_it_received_and_it_becomes_a_sale(app, shop, coat, bkash):
    order = place_transfer(app, shop, coat, bkash, quantity=2)
    shop.post(f"/o/{order.token}/transfer", {"transaction_id": "TRX-1"})
    staff = staff_client(app)
    admin_page = staff.client.get(f"/admin/orders/{order.reference}").text
    assert 'value="TRX1"' in admin_page and "Transfer received" in admin_page
    bare = staff.post(f"/admin/orders/{order.reference}/event", {"event": "receive"})
    assert bare.status_code == 422 and status_of(app, order.id) == "awaiting_transfer"

    response = staff.post(f"/admin/orders/{order.reference}/transfer-received", {"transaction_id": "trx-1"})
    assert response.status_code == 303
    assert status_of(app, order.id) == "placed" and "placed" in {str(s) for s in SALE_STATUSES}
    assert stock(app, coat) == (3, 0)  # the hold became a take
    assert purchases(app, order.id) == 1
    html = shop.client.get(f"/o/{order.token}").text
    assert 'data-transfer-status="received"' in html and "Transfer received" in html
    again = staff.post(f"/admin/orders/{order.reference}/transfer-received", {"transaction_id": "TRX-1"})
    assert again.status_code == 409 and purchases(app, order.id) == 1


def test_one_transaction_id_cannot_pay_two_orders(app, coat, bkash):
    first = place_transfer(app, nth_shopper(app, 1), coat, bkash, fields=pickup_by(1))
    second = place_transfer(app, nth_shopper(app, 2), coat, bkash, fields=pickup_by(2))
    staff = staff_client(app)
    assert (
        staff.post(f"/admin/orders/{first.reference}/transfer-received", {"transaction_id": "ABC123"}).status_code
        == 303
    )
    refused = staff.post(f"/admin/orders/{second.reference}/transfer-received", {"transaction_id": "abc123"})
    assert refused.status_code == 409 and first.reference in refused.text
    assert status_of(app, second.id) == "awaiting_transfer"


def test_one_transaction_id_cannot_pay_two_orders_through_two_methods(app, coat, bkash):
    with app.app_context():  # the owner re-created bKash (same account) under another name
        again = add_method("bKash personal")
    first = place_transfer(app, nth_shopper(app, 1), coat, bkash, fields=pickup_by(1))
    second = place_transfer(app, nth_shopper(app, 2), coat, again, fields=pickup_by(2))
    staff = staff_client(app)
    received = staff.post(f"/admin/orders/{first.reference}/transfer-received", {"transaction_id": "8N7A6D5C"})
    assert received.status_code == 303
    refused = staff.post(f"/admin/orders/{second.reference}/transfer-received", {"transaction_id": " 8n7a 6d5c "})
    assert refused.status_code == 409 and first.reference in refused.text
    assert status_of(app, second.id) == "awaiting_transfer"
    with app.app_context():  # the database refuses it too, whatever the check above missed
        payment = transfer_service.transfer_of(db.session, second.id)
        payment.transaction_id = "8N7A6D5C"
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_two_staff_receiving_two_orders_with_one_transaction_id_at_once_receive_one(app, coat, bkash):
    orders = [place_transfer(app, nth_shopper(app, n), coat, bkash, fields=pickup_by(n)) for n in (1, 2)]
    start = threading.Barrier(2)

    def receive(order_id: int) -> str:
        with app.app_context():
            # Both start together; on SQLite the first to begin holds the write lock (BEGIN
            # IMMEDIATE) and the other waits for it, on PostgreSQL both reach the unique index.
            start.wait(timeout=10)
            try:
                order = db.session.get(Order, order_id)
                transfer_service.receive_transfer(db.session, order, "SAME-1", None, utcnow())
                db.session.commit()
                return "received"
            except Conflict:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(receive, [o.id for o in orders]))
    assert results == ["received", "refused"]
    assert sorted(status_of(app, o.id) for o in orders) == ["awaiting_transfer", "placed"]
    assert stock(app, coat) == (4, 1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(TransferPayment.transaction_id == "SAME1")) == 1


def test_staff_reject_and_the_hold_goes_back(app, shop, coat, bkash):
    order = place_transfer(app, shop, coat, bkash, quantity=3)
    staff = staff_client(app)
    assert staff.post(f"/admin/orders/{order.reference}/event", {"event": "reject"}).status_code == 303
    assert status_of(app, order.id) == "unpaid" and stock(app, coat) == (5, 0)
    assert "no transfer was received" in shop.client.get(f"/o/{order.token}").text


def test_the_sweep_releases_the_hold_when_no_transfer_arrives_and_shoppers_never_do(app, coat, runner):
    with app.app_context():
        method = add_method(hold_hours=2)
    with time_machine.travel(PLACED_AT, tick=False):
        shop = ShopClient(app.test_client())
        order = place_transfer(app, shop, coat, method, quantity=2)
    assert order.hold_expires_at == PLACED_AT + timedelta(hours=2)
    with time_machine.travel(PLACED_AT + timedelta(hours=2, minutes=1), tick=False):
        # Shopper requests after the deadline (pages, a checkout) never release a transfer hold.
        other = nth_shopper(app, 9)
        other.client.get(f"/o/{order.token}")
        assert other.add(coat, 3).status_code == 303
        assert other.checkout(pickup_by(9)).status_code == 303
        assert status_of(app, order.id) == "awaiting_transfer" and stock(app, coat) == (2, 2)
    with time_machine.travel(PLACED_AT + timedelta(hours=1, minutes=59), tick=False):
        early = runner.invoke(args=["expire-holds"])
    assert "Released 0 transfer orders" in early.output and status_of(app, order.id) == "awaiting_transfer"
    with time_machine.travel(PLACED_AT + timedelta(hours=2, minutes=1), tick=False):
        late = runner.invoke(args=["expire-holds"])
    assert late.exit_code == 0 and "Released 1 transfer orders" in late.output
    assert status_of(app, order.id) == "unpaid" and stock(app, coat) == (2, 0)


def test_the_sweep_never_releases_a_received_transfer(app, coat, runner, bkash):
    with time_machine.travel(PLACED_AT, tick=False):
        order = place_transfer(app, ShopClient(app.test_client()), coat, bkash)
        with app.app_context():
            transfer_service.receive_transfer(db.session, db.session.get(Order, order.id), "OKAY-1", None, utcnow())
            db.session.commit()
    with time_machine.travel(PLACED_AT + timedelta(days=3), tick=False):
        assert "Released 0 transfer orders" in runner.invoke(args=["expire-holds"]).output
    assert status_of(app, order.id) == "placed"


def test_unpaid_transfer_orders_count_against_the_hoarding_limits(app, coat, bkash):
    with app.app_context():
        save_limits(db.session, {**asdict(DEFAULT_LIMITS), "max_open_per_phone": 1}, None, utcnow())
        db.session.commit()
    first = place_transfer(app, nth_shopper(app, 1), coat, bkash, fields=pickup_by(1))
    again = nth_shopper(app, 2)
    assert again.add(coat).status_code == 303
    refused = again.checkout({**pickup_by(1), "payment_method": f"transfer-{bkash}"})
    assert refused.status_code == 429, refused.status_code
    assert "already has orders waiting" in refused.text
    with app.app_context():
        transfer_service.receive_transfer(db.session, db.session.get(Order, first.id), "PAID-1", None, utcnow())
        db.session.commit()
    assert again.checkout({**pickup_by(1), "payment_method": f"transfer-{bkash}"}).status_code == 303


def test_a_method_switched_off_meanwhile_is_refused_at_checkout(app, shop, coat, bkash):
    assert shop.add(coat).status_code == 303
    key = shop.checkout_key()
    with app.app_context():
        db.session.get(TransferMethod, bkash).active = False
        db.session.commit()
    response = shop.checkout({**CHECKOUT_PICKUP, "payment_method": f"transfer-{bkash}"}, key=key)
    assert response.status_code == 422
    assert stock(app, coat) == (5, 0)


def png_bytes(size=(120, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


METHOD_FORM = {
    "name": "Pix",
    "account": "shop@example.com",
    "instructions": "Pix copia e cola",
    "currencies": "USD, BRL",
    "hold_hours": "48",
    "active": "y",
}


def test_only_the_owner_manages_payment_methods(app):
    staff = staff_client(app)
    assert staff.client.get("/admin/payment-methods").status_code == 403
    assert staff.post("/admin/payment-methods/new", METHOD_FORM).status_code == 403
    owner = staff_client(app, "owner")
    no_csrf = owner.client.post("/admin/payment-methods/new", data=METHOD_FORM)
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(TransferMethod.id))) == 0


def test_the_owner_adds_a_method_with_a_qr_code_and_bad_input_is_shown_again(app, tmp_path):
    owner = staff_client(app, "owner")
    assert "Payment methods" in owner.client.get("/admin/payment-methods").text
    bad = owner.post("/admin/payment-methods/new", {**METHOD_FORM, "currencies": "USD, QQQ", "hold_hours": "0"})
    assert bad.status_code == 422 and "Unknown currency code: QQQ." in bad.text and 'value="Pix"' in bad.text
    hours = owner.post("/admin/payment-methods/new", {**METHOD_FORM, "hold_hours": "999"})
    assert hours.status_code == 422 and "1 to 168 hours" in hours.text
    not_image = owner.post(
        "/admin/payment-methods/new",
        {**METHOD_FORM, "qr": (io.BytesIO(b"<svg onload=alert(1)>"), "qr.png")},
        content_type="multipart/form-data",
    )
    assert not_image.status_code == 422 and "not an image" in not_image.text
    with app.app_context():
        assert db.session.scalar(select(func.count(TransferMethod.id))) == 0
    saved = owner.post(
        "/admin/payment-methods/new",
        {**METHOD_FORM, "qr": (io.BytesIO(png_bytes()), "qr.png")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 303
    with app.app_context():
        method = db.session.scalars(select(TransferMethod)).one()
        assert (method.currencies, method.hold_hours, method.active) == ("USD,BRL", 48, True)
        assert method.qr_key and method.qr_width == 120
    files = sorted(p.name for p in (tmp_path / "media").iterdir())
    assert files == [f"{method.qr_key}-120.jpg", f"{method.qr_key}-120.webp"]  # re-encoded, no original kept
    edit = owner.post(f"/admin/payment-methods/{method.id}", {**METHOD_FORM, "remove_qr": "y"})
    assert edit.status_code == 303 and not list((tmp_path / "media").iterdir())
    assert owner.client.get("/admin/payment-methods/999").status_code == 404


def test_the_shopper_sees_the_qr_code(app, shop, coat, bkash):
    owner = staff_client(app, "owner")
    form = {**METHOD_FORM, "name": "bKash", "currencies": "USD", "qr": (io.BytesIO(png_bytes()), "qr.png")}
    assert owner.post(f"/admin/payment-methods/{bkash}", form, content_type="multipart/form-data").status_code == 303
    order = place_transfer(app, shop, coat, bkash)
    with app.app_context():
        key = db.session.get(TransferMethod, bkash).qr_key
    html = shop.client.get(f"/o/{order.token}").text
    assert f"/media/{key}-120.jpg" in html and 'alt="QR code for bKash"' in html


@pytest.mark.parametrize("lang", ["bn", "es", "zh_Hans"])
def test_the_transfer_pages_are_translated(app, coat, bkash, lang):
    shop = ShopClient(app.test_client())
    shop.post("/locale", {"locale": lang, "next": "/"})
    order = place_transfer(app, shop, coat, bkash)
    html = shop.client.get(f"/o/{order.token}").text
    english = ("Write this order reference in the transfer note:", "Send transaction id", "Awaiting transfer")
    assert not [text for text in english if text in html], lang


def test_a_transfer_is_revenue_once_received_not_before(app, shop, coat, bkash):
    from storefront.admin.service import dashboard

    order = place_transfer(app, shop, coat, bkash, quantity=2)
    with app.app_context():
        waiting = dashboard(db.session, utcnow())
        assert (waiting.orders_today, waiting.revenue_today, waiting.open_orders) == (0, 0, 1)
        transfer_service.receive_transfer(db.session, db.session.get(Order, order.id), "REV-1", None, utcnow())
        db.session.commit()
        received = dashboard(db.session, utcnow())
        assert (received.orders_today, received.revenue_today, received.open_orders) == (1, 10000, 1)


def test_a_rejected_transfer_tells_the_shopper_to_get_in_touch(app, shop, coat, bkash):
    order = place_transfer(app, shop, coat, bkash)
    with app.app_context():
        from storefront.orders.service import apply_event

        apply_event(db.session, db.session.get(Order, order.id), "reject", utcnow())
        db.session.commit()
    html = shop.client.get(f"/o/{order.token}").text
    assert "If you did send the money, please contact us with the order reference." in html
    assert "Nothing was charged" not in html


def test_a_late_transfer_is_received_while_the_stock_is_there_and_refused_once_it_is_gone(app, coat, bkash):
    late = place_transfer(app, nth_shopper(app, 1), coat, bkash, quantity=3, fields=pickup_by(1))
    gone = place_transfer(app, nth_shopper(app, 2), coat, bkash, quantity=2, fields=pickup_by(2))
    staff = staff_client(app)
    for order in (late, gone):
        assert staff.post(f"/admin/orders/{order.reference}/event", {"event": "reject"}).status_code == 303
    assert stock(app, coat) == (5, 0)
    assert "data-late-transfer" in staff.client.get(f"/admin/orders/{late.reference}").text
    assert (
        staff.post(f"/admin/orders/{late.reference}/transfer-received", {"transaction_id": "LATE-1"}).status_code == 303
    )
    assert status_of(app, late.id) == "placed" and stock(app, coat) == (2, 0)
    with app.app_context():  # meanwhile what was left went (sold in the shop, damaged...)
        from storefront.inventory.service import adjust_stock

        adjust_stock(db.session, coat, -2, "damaged", utcnow(), None)
        db.session.commit()
    refused = staff.post(f"/admin/orders/{gone.reference}/transfer-received", {"transaction_id": "LATE-2"})
    assert refused.status_code == 409 and status_of(app, gone.id) == "unpaid"
    with app.app_context():
        assert transfer_service.transfer_of(db.session, gone.id).transaction_id is None  # rolled back, id free


def test_cancelling_a_received_transfer_tells_both_sides_the_money_goes_back_by_hand(app, shop, coat, bkash):
    order = place_transfer(app, shop, coat, bkash, quantity=2)
    staff = staff_client(app, "owner")
    received = staff.post(f"/admin/orders/{order.reference}/transfer-received", {"transaction_id": "BACK-1"})
    assert received.status_code == 303
    before = staff.client.get(f"/admin/orders/{order.reference}").text
    assert "data-transfer-cancel-hint" in before and "data-cancel-refund" not in before  # no card refund choice
    cancelled = staff.post(f"/admin/orders/{order.reference}/event", {"event": "cancel", "refund": "full"})
    assert cancelled.status_code == 303 and status_of(app, order.id) == "cancelled"
    assert stock(app, coat) == (5, 0)
    admin_page = staff.client.get(f"/admin/orders/{order.reference}").text
    assert "data-transfer-refund-owed" in admin_page
    html = shop.client.get(f"/o/{order.token}").text
    assert "data-transfer-cancelled" in html and 'data-transfer-status="received"' not in html
    assert "sends the money back to you by hand" in html and "refunded" not in html.lower()


@pytest.mark.parametrize("lang", ["bn", "es", "zh_Hans"])
def test_the_money_goes_back_by_hand_notes_are_translated(app, coat, bkash, lang):
    shop = ShopClient(app.test_client())
    order = place_transfer(app, shop, coat, bkash)
    owner = staff_client(app, "owner")
    owner.post(f"/admin/orders/{order.reference}/transfer-received", {"transaction_id": "LANG-1"})
    hint = owner.client.get(f"/admin/orders/{order.reference}").text
    owner.post(f"/admin/orders/{order.reference}/event", {"event": "cancel"})
    for client in (owner, shop):
        client.post("/locale", {"locale": lang, "next": "/"})
    pages = owner.client.get(f"/admin/orders/{order.reference}").text + shop.client.get(f"/o/{order.token}").text
    assert "you return the transfer yourself" in hint and "data-transfer-refund-owed" in pages
    english = ("sends the money back to you by hand", "send it back for you", "data-transfer-cancelled")
    assert [text for text in english if text in pages] == ["data-transfer-cancelled"], lang


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Give the method a name"),
        ("account", "", "Enter the number, key or account"),
        ("currencies", "USD, QQQ", "Unknown currency code: QQQ."),
        ("hold_hours", "999", "1 to 168 hours"),
    ],
)
def test_a_refused_method_value_is_shown_beside_its_own_field(app, field, value, message):
    owner = staff_client(app, "owner")
    bad = owner.post("/admin/payment-methods/new", {**METHOD_FORM, field: value})
    assert bad.status_code == 422
    error = re.search(r'<p class="error" id="([a-z_]+)-err">([^<]*)</p>', bad.text)
    assert error and error.groups()[0] == field and message in error.groups()[1]
    assert f'aria-describedby="{field}-err"' in bad.text


def test_dashes_typed_into_a_used_transaction_id_do_not_make_it_a_new_one(app, coat, bkash):
    first = place_transfer(app, nth_shopper(app, 1), coat, bkash, fields=pickup_by(1))
    second_shop = nth_shopper(app, 2)
    second = place_transfer(app, second_shop, coat, bkash, fields=pickup_by(2))
    staff = staff_client(app)
    received = staff.post(f"/admin/orders/{first.reference}/transfer-received", {"transaction_id": "8N7A6D5C"})
    assert received.status_code == 303
    second_shop.post(f"/o/{second.token}/transfer", {"transaction_id": "8N7A-6D5C"})  # pre-filled for staff
    refused = staff.post(f"/admin/orders/{second.reference}/transfer-received", {"transaction_id": "8n7a-6d-5c"})
    assert refused.status_code == 409 and first.reference in refused.text
    assert status_of(app, second.id) == "awaiting_transfer"
