"""The personal tracked link, the open pixel, order attribution, and the report against a brute-force
recomputation from the raw recipients, send log and orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront.campaigns import rules, service
from storefront.campaigns.models import Campaign, CampaignOrder, CampaignRecipient
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify.models import Notification
from storefront.orders.models import Order
from storefront.orders.rules import SALE_STATUSES
from tests.builders import CHECKOUT_DELIVERY, ShopClient

from .conftest import add_campaign, add_customer, add_segment, recipients, run, send

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def sent_campaign(app, n: int = 1, **overrides) -> int:
    for i in range(n):
        add_customer(app, f"C{i}", email=f"c{i}@example.com", channels=("email",))
    cid = add_campaign(app, add_segment(app), **overrides)
    send(app, cid)
    run(app)
    run(app, utcnow() + timedelta(minutes=5))
    return cid


def test_the_link_counts_one_click_sets_the_cookie_and_goes_to_the_landing_page(app, smtp_server):
    cid = sent_campaign(app)
    (recipient,) = recipients(app, cid)
    client = app.test_client()
    first = client.get(f"/r/{recipient.token}")
    assert first.status_code == 302 and first.headers["Location"] == "/c/coats"
    assert f"{rules.COOKIE}={recipient.token}" in first.headers["Set-Cookie"]
    assert "HttpOnly" in first.headers["Set-Cookie"]
    clicked_at = recipients(app, cid)[0].clicked_at
    assert clicked_at is not None
    assert client.get(f"/r/{recipient.token}").status_code == 302
    assert recipients(app, cid)[0].clicked_at == clicked_at  # counted once


def test_a_forged_token_is_404_and_a_foreign_landing_never_leaves_the_shop(app, smtp_server):
    cid = sent_campaign(app)
    client = app.test_client()
    assert client.get("/r/not-a-token").status_code == 404
    assert client.get("/r/" + "x" * 200).status_code == 404
    assert client.get("/r/not-a-token/o.gif").status_code == 404
    (recipient,) = recipients(app, cid)
    for landing in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        with app.app_context():
            db.session.execute(update(Campaign).where(Campaign.id == cid).values(landing=landing))
            db.session.commit()
        assert client.get(f"/r/{recipient.token}").headers["Location"] == "/"
    assert rules.safe_path("https://evil.example") == "/" and rules.safe_path("/p/coat?x=1") == "/p/coat?x=1"


def test_the_pixel_counts_one_open(app, smtp_server):
    cid = sent_campaign(app)
    (recipient,) = recipients(app, cid)
    client = app.test_client()
    response = client.get(f"/r/{recipient.token}/o.gif")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/gif"
    assert response.data.startswith(b"GIF89a")
    opened = recipients(app, cid)[0].opened_at
    assert opened is not None
    client.get(f"/r/{recipient.token}/o.gif")
    assert recipients(app, cid)[0].opened_at == opened


def test_an_order_after_the_link_is_attributed_once_and_counts_in_the_report(app, smtp_server, coat):
    cid = sent_campaign(app)
    (recipient,) = recipients(app, cid)
    shopper = ShopClient(app.test_client())
    assert shopper.client.get(f"/r/{recipient.token}").status_code == 302
    assert shopper.add(coat).status_code == 303
    assert shopper.checkout(CHECKOUT_DELIVERY).status_code == 303
    other = ShopClient(app.test_client())  # never followed a link
    assert other.add(coat).status_code == 303
    assert other.checkout(CHECKOUT_DELIVERY).status_code == 303
    with app.app_context():
        (row,) = db.session.scalars(select(CampaignOrder)).all()
        order = db.session.get(Order, row.order_id)
        assert row.campaign_id == cid and row.recipient_id == recipient.id
        figures = service.figures(db.session, db.session.get(Campaign, cid))
        assert figures.orders == 1 and figures.revenue == order.total
        assert figures.discount == order.subtotal + order.shipping - order.total
        assert service.attribute(db.session, order, recipient.token, utcnow()) is False  # once


def brute_force(session, campaign_id: int) -> dict:
    """The report recomputed from raw rows in Python, without the service's queries."""
    rows = [r for r in session.scalars(select(CampaignRecipient)) if r.campaign_id == campaign_id]
    logs = [
        n for n in session.scalars(select(Notification)) if n.event_key.split(":")[:2] == ["campaign", str(campaign_id)]
    ]
    attributed = {o.order_id for o in session.scalars(select(CampaignOrder)) if o.campaign_id == campaign_id}
    sale = {s.value for s in SALE_STATUSES}
    orders = [o for o in session.scalars(select(Order)) if o.id in attributed and o.status in sale]
    return {
        "reached": sum(1 for r in rows if r.status in ("queued", "exported")),
        "delivered": len({n.event_key for n in logs if n.status == "sent"}),
        "opened": sum(1 for r in rows if r.opened_at),
        "clicked": sum(1 for r in rows if r.clicked_at),
        "orders": len(orders),
        "revenue": sum(o.total for o in orders),
        "discount": sum(o.subtotal + o.shipping - o.total for o in orders),
    }


def test_the_figures_equal_a_recomputation_from_the_raw_rows(app, smtp_server, coat):
    cid = sent_campaign(app, n=4)
    other = sent_campaign(app, n=0, name="Other")  # no recipient: its rows must not leak in
    rows = recipients(app, cid)
    for i, recipient in enumerate(rows):
        shopper = ShopClient(app.test_client())
        if i < 3:
            assert shopper.client.get(f"/r/{recipient.token}").status_code == 302
        if i < 2:
            shopper.client.get(f"/r/{recipient.token}/o.gif")
            assert shopper.add(coat).status_code == 303
            assert shopper.checkout(CHECKOUT_DELIVERY).status_code == 303
    with app.app_context():
        # one attributed order is cancelled: it is not a sale any more
        first = db.session.scalars(select(CampaignOrder.order_id).order_by(CampaignOrder.order_id)).first()
        db.session.execute(update(Order).where(Order.id == first).values(status="cancelled"))
        db.session.execute(
            update(Notification)
            .where(Notification.id == db.session.scalar(select(Notification.id)))
            .values(status="failed")
        )
        db.session.commit()
        for campaign_id in (cid, other):
            figures = service.figures(db.session, db.session.get(Campaign, campaign_id))
            assert figures.__dict__ == brute_force(db.session, campaign_id)
        figures = service.figures(db.session, db.session.get(Campaign, cid))
        assert (figures.reached, figures.delivered, figures.clicked, figures.opened, figures.orders) == (4, 3, 3, 2, 1)
