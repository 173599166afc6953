"""The owner's send log at /admin/notifications: who may read it, filters, masked addresses, paging,
the last week's counts, and message texts only while they are kept."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify.models import Notification
from tests.builders import ShopClient, make_product, make_user
from tests.sellers.builders import make_order, make_seller

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # sign-ins are not the subject here
SHOPPER = "ada.lovelace@example.com"
_addresses = itertools.count(1)


def row(**values) -> dict:
    """One send-log row (a sent push to nobody in particular unless told otherwise)."""
    now = utcnow()
    return {
        "event_key": values.pop("event_key", f"test:{next(_addresses)}"),
        "kind": "order-shipped",
        "channel": "push",
        "recipient": "push:1",
        "subscription_id": 1,
        "order_id": None,
        "user_id": None,
        "locale": "en",
        "context": {},
        "status": "sent",
        "detail": "",
        "title": "Order shipped",
        "body": "On its way",
        "created_at": now,
        **values,
    }


@pytest.fixture
def log(app) -> dict:
    """An owner, staff Sam Lee, a seller; an order; and a log of each kind of recipient and status."""
    now = utcnow()
    with app.app_context():
        make_user("owner@example.com", "owner")
        sam = make_user("sam@example.com", "staff")
        sam.name = "Sam Lee"
        db.session.commit()
        make_seller("ANNA24", email="anna@sellers.example")
        order = make_order([(make_product("Wool coat"), 1)], email=SHOPPER)
        rows = [
            row(
                kind="order-placed",
                channel="email",
                recipient=f"email:{SHOPPER}",
                order_id=order.id,
                title="Order received",
                body="Thank you!",
                subscription_id=None,
                created_at=now - timedelta(minutes=5),
            ),
            row(
                kind="order-shipped",
                order_id=order.id,
                status="failed",
                detail="413 payload too big",
                created_at=now - timedelta(minutes=4),
            ),
            row(
                kind="alert-new-order",
                user_id=sam.id,
                order_id=order.id,
                title="New order",
                body="1 item",
                created_at=now - timedelta(minutes=3),
            ),
            row(kind="back-in-stock", status="gone", detail="410 Gone", created_at=now - timedelta(minutes=2)),
            row(
                kind="order-delivered",
                order_id=order.id,
                title=None,
                body=None,
                status="sent",
                created_at=now - timedelta(days=30),
            ),  # its text was blanked after NOTIFY_BODY_KEEP_DAYS
            row(
                kind="alert-test",
                user_id=sam.id,
                status="queued",
                title=None,
                body=None,
                created_at=now - timedelta(minutes=1),
            ),
        ]
        db.session.execute(insert(Notification), rows)
        db.session.commit()
        return {"reference": order.reference}


def signed_in(app, email: str) -> ShopClient:
    shop = ShopClient(app.test_client())
    shop.client.environ_base["REMOTE_ADDR"] = f"192.0.2.{next(_addresses) % 250 + 1}"
    assert shop.login(email).status_code == 303
    return shop


def statuses(html: str) -> list[str]:
    """The statuses of the rows shown, top to bottom."""
    return re.findall(r'data-notification="\d+" data-status="(\w+)"', html)


def test_only_the_owner_reads_the_log(app, log):
    anonymous = app.test_client().get("/admin/notifications")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    assert signed_in(app, "sam@example.com").client.get("/admin/notifications").status_code == 403
    assert signed_in(app, "anna@sellers.example").client.get("/admin/notifications").status_code == 403
    owner = signed_in(app, "owner@example.com")
    page = owner.client.get("/admin/notifications")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'href="/admin/notifications"' in owner.client.get("/admin/").text, "in the owner's menu"
    assert 'href="/admin/notifications"' not in signed_in(app, "sam@example.com").client.get("/admin/").text


def test_newest_first_with_masked_recipients_and_kept_texts(app, log):
    html = signed_in(app, "owner@example.com").client.get("/admin/notifications").text
    assert statuses(html) == ["queued", "gone", "sent", "failed", "sent", "sent"]
    assert SHOPPER not in html and "ada.lovelace" not in html, "a shopper's address never shows in full"
    assert "ad***@example.com" in html
    reference = log["reference"]
    assert f"device of order {reference}" in html and "device of Sam Lee" in html and "device (back in stock)" in html
    assert f'href="/admin/orders/{reference}"' in html
    assert "Alert: new order" in html and "Order on its way" in html and "Test alert" in html
    assert "413 payload too big" in html and "Device gone" in html
    assert "<strong>Order received</strong>" in html and "Thank you!" in html
    assert html.count("data-text-gone") == 1 and "Text no longer kept" in html
    assert "Not sent yet" in html
    counts = dict(re.findall(r"data-count-(\w+)>(\d+)<", html))
    assert counts == {"queued": "1", "sent": "2", "failed": "1", "gone": "1", "skipped": "0"}, "the last 7 days"


def test_filters_in_the_address(app, log):
    owner = signed_in(app, "owner@example.com")
    assert statuses(owner.client.get("/admin/notifications?status=failed").text) == ["failed"]
    email = owner.client.get("/admin/notifications?channel=email").text
    assert statuses(email) == ["sent"] and "ad***@example.com" in email
    alerts = owner.client.get("/admin/notifications?kind=alerts").text
    assert statuses(alerts) == ["queued", "sent"] and "device of Sam Lee" in alerts
    assert statuses(owner.client.get("/admin/notifications?kind=stock").text) == ["gone"]
    assert statuses(owner.client.get("/admin/notifications?kind=orders&status=sent").text) == ["sent", "sent"]
    assert "No messages match." in owner.client.get("/admin/notifications?status=skipped").text
    for bad in (
        "status=<script>",
        "channel=sms",
        "kind=everything",
        "page=abc",
        "page=-3",
        "page=99999999999",
        "status=sent&status=failed",
        "page=%00",
    ):
        response = owner.client.get(f"/admin/notifications?{bad}")
        assert response.status_code in (200, 400), bad
        assert "<script>" not in response.text


def test_pages_of_fifty(app, log):
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(Notification),
            [
                row(status="skipped", detail="no-email-setup", created_at=now - timedelta(hours=1, seconds=i))
                for i in range(100)
            ],
        )
        db.session.commit()
    owner = signed_in(app, "owner@example.com")
    first = owner.client.get("/admin/notifications").text
    assert len(statuses(first)) == 50 and "Page 1 of 3" in first and 'rel="prev"' not in first
    last = owner.client.get("/admin/notifications?page=3").text
    assert len(statuses(last)) == 6 and 'rel="next"' not in last
    skipped = owner.client.get("/admin/notifications?status=skipped&page=2").text
    assert len(statuses(skipped)) == 50 and "Page 2 of 2" in skipped
    assert 'href="/admin/notifications?page=1&amp;status=skipped"' in skipped, "the pager keeps the filters"
    assert statuses(owner.client.get("/admin/notifications?page=9").text) == [], "past the end: empty"
