"""The order page's push offer: shown while the order has news ahead, and the subscription it sends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.clock import utcnow
from storefront.extensions import db
from storefront.notify.models import PushSubscription
from storefront.orders import service as orders
from storefront.orders.models import Order
from tests.builders import CHECKOUT_DELIVERY, CHECKOUT_PICKUP, ShopClient, make_product, variant_ids

OFFER = re.compile(r'<div class="push-offer"[^>]*>')


def place(app, shop: ShopClient, fields: dict) -> str:
    """Place a cash order for one hat; its page's address (/o/<token>)."""
    with app.app_context():
        variant_id = variant_ids(make_product("Felt hat", price=2000, variants=(("", 5),)))[0]
    assert shop.add(variant_id).status_code == 303
    placed = shop.checkout(fields)
    assert placed.status_code == 303, placed.text
    return placed.headers["Location"]


def move(app, token: str, *events: str) -> None:
    """Move the order along its lifecycle as staff would."""
    with app.app_context():
        order = orders.find_order(db.session, token)
        for event in events:
            orders.apply_event(db.session, order, event, utcnow())
        db.session.commit()


def test_an_open_delivery_order_offers_to_tell_this_device_when_it_ships(app, shop):
    url = place(app, shop, CHECKOUT_DELIVERY)
    token = url.rsplit("/", 1)[1]
    html = shop.client.get(url).text
    offer = OFFER.search(html).group(0)
    assert 'data-push-for="order"' in offer and f'data-push-token="{token}"' in offer and " hidden" in offer
    assert 'data-push-url="/notify/push"' in offer and re.search(r'data-push-key="[\w-]{80,}"', offer)
    assert "data-msg-done=" in offer and "data-msg-denied=" in offer and "data-msg-failed=" in offer
    assert "Tell me on this device when my order ships</button>" in html
    assert html.index("push-offer") > html.index('<ol class="timeline"'), "next to the status timeline"
    assert re.search(r'<script src="/static/js/notify\.js\?v=\w+" defer></script>', html)


def test_a_pickup_order_offers_to_tell_when_it_is_ready_and_then_how_it_goes_on(app, shop):
    url = place(app, shop, CHECKOUT_PICKUP)
    assert "Tell me on this device when it is ready for pickup</button>" in shop.client.get(url).text
    move(app, url.rsplit("/", 1)[1], "confirm", "pack", "mark_ready")
    assert "Tell me on this device how my order goes on</button>" in shop.client.get(url).text


@pytest.mark.parametrize(
    ("fields", "events"),
    [(CHECKOUT_PICKUP, ("confirm", "pack", "mark_ready", "collect")), (CHECKOUT_DELIVERY, ("cancel",))],
    ids=["collected", "cancelled"],
)
def test_an_order_with_no_news_ahead_offers_nothing(app, shop, fields, events):
    url = place(app, shop, fields)
    move(app, url.rsplit("/", 1)[1], *events)
    html = shop.client.get(url).text
    assert "push-offer" not in html and "data-push" not in html and "js/notify.js" not in html


def test_the_order_page_asks_for_its_push_label_once(app, shop, monkeypatch):
    """The script tag and the offer share one answer (they asked order_push_label each)."""
    url = place(app, shop, CHECKOUT_DELIVERY)
    asked: list[int] = []
    label = app.jinja_env.globals["order_push_label"]
    monkeypatch.setitem(app.jinja_env.globals, "order_push_label", lambda order: asked.append(order.id) or label(order))
    html = shop.client.get(url).text
    assert len(asked) == 1
    assert "when my order ships</button>" in html and re.search(r'<script src="/static/js/notify\.js\?v=\w+"', html)


def subscribe(shop: ShopClient, body) -> tuple[int, dict]:
    """POST /notify/push as notify.js does (JSON, CSRF token in the header); status and JSON answer."""
    response = shop.client.post("/notify/push", json=body, headers={"X-CSRFToken": shop.csrf()})
    return response.status_code, response.get_json()


def test_the_offer_keeps_this_device_for_the_order(app, shop, push_service):
    url = place(app, shop, CHECKOUT_DELIVERY)
    token = url.rsplit("/", 1)[1]
    browser = push_service.new_subscription()
    status, answer = subscribe(shop, {"subscription": browser, "order": token})
    assert status == 201 and answer["ok"] is True and answer["message"]
    with app.app_context():
        (row,) = db.session.scalars(select(PushSubscription)).all()
        order_id = db.session.scalar(select(Order.id).where(Order.token == token))
        assert (row.order_id, row.endpoint, row.watch_id) == (order_id, browser["endpoint"], None)


def test_a_bad_subscription_or_an_unknown_order_is_refused_in_json(app, shop, push_service):
    url = place(app, shop, CHECKOUT_DELIVERY)
    token = url.rsplit("/", 1)[1]
    browser = push_service.new_subscription()
    refused = [
        subscribe(shop, {"subscription": {"endpoint": "nope"}, "order": token}),
        subscribe(shop, ["not", "an", "object"]),
        subscribe(shop, {"subscription": browser, "order": "no-such-order"}),
    ]
    assert [status for status, _answer in refused][:2] in ([400, 400], [422, 422])
    assert refused[2][0] == 404
    assert all(answer["ok"] is False and answer["message"] for _status, answer in refused)
    raw = shop.client.post(
        "/notify/push", data="{not json", content_type="application/json", headers={"X-CSRFToken": shop.csrf()}
    )
    assert raw.status_code in (400, 422) and raw.get_json()["ok"] is False
    with app.app_context():
        assert db.session.scalars(select(PushSubscription)).all() == []
