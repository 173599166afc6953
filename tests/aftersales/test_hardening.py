"""After-sales fixes from the issue-19 review: private pages, fair exchanges, every state has an exit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.aftersales import outcomes, rules, service
from storefront.aftersales.models import AftersalesRequest, RequestMessage
from storefront.clock import utcnow
from storefront.domain import Invalid
from storefront.extensions import db
from storefront.inventory.models import StockMovement
from storefront.orders.models import Order
from tests.builders import make_product

from .helpers import (
    count,
    delivered_cash_order,
    manual_refunds,
    on_hand,
    open_request,
    owner_client,
    request_row,
    step,
)


@pytest.fixture
def bags(app):
    """A coffee in a 1 kg bag at 10.00 and a 5 kg bag at 40.00; returns (small id, big id)."""
    with app.app_context():
        product = make_product("Coffee", price=1000, variants=(("1 kg", 10), ("5 kg", 10)), overrides={"5 kg": 4000})
        return product.variants[0].id, product.variants[1].id


def _order(app, order_id: int) -> tuple[str, int]:
    with app.app_context():
        order = db.session.get(Order, order_id)
        return order.token, order.lines[0].id


def test_the_help_page_is_private_even_when_refused(app, shop, mug):
    token, line_id = _order(app, delivered_cash_order(app, shop, mug[0], 1))
    shown = shop.client.get(f"/o/{token}/help")
    refused = shop.post(f"/o/{token}/help", {"kind": "gift", "reason": "other", f"qty-{line_id}": "1"})
    assert (shown.status_code, refused.status_code) == (200, 422)
    for response in (shown, refused):
        assert "no-store" in response.headers.get("Cache-Control", "")
        assert response.headers.get("Referrer-Policy") == "no-referrer"
        assert "noindex" in response.headers.get("X-Robots-Tag", "")


def test_an_exchange_for_a_dearer_variant_is_refused_and_not_offered(app, shop, bags):
    small, big = bags
    order_id = delivered_cash_order(app, shop, small, 1)
    token, line_id = _order(app, order_id)
    html = shop.client.get(f"/o/{token}/help").get_data(as_text=True)
    assert f'value="{big}"' not in html  # the 5 kg bag is not offered for the 1 kg one
    asked = {"kind": "exchange", "reason": "other", f"qty-{line_id}": "1", f"variant-{line_id}": str(big)}
    response = shop.post(f"/o/{token}/help", asked)
    assert response.status_code == 422
    assert "costing no more" in response.get_data(as_text=True)
    assert count(app, AftersalesRequest) == 0
    with pytest.raises(Invalid):
        open_request(app, order_id, "exchange", 1, exchange_variants={line_id: big})


def test_an_exchange_for_a_cheaper_variant_is_offered_with_its_price(app, shop, bags):
    small, big = bags
    order_id = delivered_cash_order(app, shop, big, 1)
    token, line_id = _order(app, order_id)
    html = shop.client.get(f"/o/{token}/help").get_data(as_text=True)
    assert f'value="{small}"' in html and f'aria-describedby="free-{line_id}"' in html
    assert open_request(app, order_id, "exchange", 1, exchange_variants={line_id: small})


def test_an_accepted_request_whose_goods_never_came_can_be_refused_freeing_its_units(app, shop, mug):
    small, _large = mug
    order_id = delivered_cash_order(app, shop, small, 2)
    request_id, line_id = open_request(app, order_id, "return", 2), _line(app, order_id)
    step(app, request_id, "accept")
    with app.app_context():
        service.refuse(db.session, service.get_request(db.session, request_id), "Never sent.", utcnow(), None)
        db.session.commit()
        assert service.free_units(db.session, db.session.get(Order, order_id)) == {line_id: 2}
    assert request_row(app, request_id).status == "refused"
    assert on_hand(app, small) == 8  # nothing came back, nothing moved


def test_received_goods_can_be_closed_without_refund_and_stock_moves_once(app, shop, mug):
    small, _large = mug
    order_id = delivered_cash_order(app, shop, small, 2)
    request_id, line_id = open_request(app, order_id, "return", 2), _line(app, order_id)
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    assert on_hand(app, small) == 10
    with app.app_context():
        found = service.get_request(db.session, request_id)
        with pytest.raises(Invalid):
            service.close(db.session, found, "  ", utcnow(), None)  # a reason is needed
        db.session.rollback()
        service.close(db.session, service.get_request(db.session, request_id), "Damaged by use.", utcnow(), None)
        db.session.commit()
        assert service.free_units(db.session, db.session.get(Order, order_id)) == {line_id: 0}
    found = request_row(app, request_id)
    assert (found.status, found.refusal, found.steps[-1].note) == ("closed", "Damaged by use.", "Damaged by use.")
    assert on_hand(app, small) == 10  # RECEIVE put it back; CLOSE does not again
    assert manual_refunds(app, order_id) == []
    assert "closed" not in rules.OPEN_STATUSES


def test_a_received_exchange_can_fall_back_to_a_refund(app, shop, mug):
    small, large = mug
    order_id = delivered_cash_order(app, shop, small, 1)
    request_id = open_request(app, order_id, "exchange", 1, exchange_variants={_line(app, order_id): large})
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    with app.app_context():
        found = service.get_request(db.session, request_id)
        outcomes.refund_return(db.session, found, 2000, "", utcnow(), None)
        db.session.commit()
    assert request_row(app, request_id).status == "refunded"
    assert manual_refunds(app, order_id) == [(2000, f"aftersales-{request_id}")]
    assert (on_hand(app, small), on_hand(app, large)) == (10, 10)  # back once; nothing sent out


def test_staff_close_from_the_admin_page_and_a_refused_form_keeps_what_they_typed(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id, "return", 1)
    step(app, request_id, "accept")
    owner = owner_client(app)
    base = f"/admin/aftersales/{request_id}"
    # Refusing without ticking the box: refused, the reason typed is shown again.
    response = owner.post(f"{base}/refuse", {"reason": "Parcel never arrived here", "action": "refuse"})
    assert response.status_code == 422
    assert 'value="Parcel never arrived here"' in response.get_data(as_text=True)
    # A reply over the limit: refused, the text is shown again.
    long_reply = "Please send it. " * 130
    response = owner.post(f"{base}/reply", {"body": long_reply})
    assert response.status_code == 422 and long_reply.strip() in response.get_data(as_text=True)
    step(app, request_id, "receive")
    # A refund amount over the value: the amount and reference typed are shown again.
    response = owner.post(f"{base}/refund", {"amount": "99.00", "reference": "TX-778", "confirm": "yes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="99.00"' in html and 'value="TX-778"' in html
    assert 'data-step="close"' in html
    response = owner.post(f"{base}/close", {"reason": "Used and stained", "action": "close", "confirm": "yes"})
    assert response.status_code == 303
    assert request_row(app, request_id).status == "closed"


def _line(app, order_id: int) -> int:
    with app.app_context():
        return db.session.get(Order, order_id).lines[0].id


def test_the_replacement_order_page_names_its_original_in_the_shoppers_language(app, shop, mug):
    small, large = mug
    order_id = delivered_cash_order(app, shop, small, 1)
    request_id = open_request(app, order_id, "exchange", 1, exchange_variants={_line(app, order_id): large})
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    with app.app_context():
        found = service.get_request(db.session, request_id)
        replacement = outcomes.make_replacement(db.session, found, utcnow(), None)
        token, original = replacement.token, found.order.reference
        db.session.commit()
        (move,) = db.session.scalars(select(StockMovement).where(StockMovement.reason == "returned")).all()
        assert "Return of" not in move.note and original in move.note  # no English in the ledger
    html = shop.client.get(f"/o/{token}").get_data(as_text=True)
    assert f"Replacement for order {original}" in html and "Your note" not in html
    spanish = shop.client.get(f"/o/{token}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Replacement for order" not in spanish and original in spanish


def test_a_refused_shopper_message_is_shown_again_with_what_was_typed(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id)
    token, _line_id = _order(app, order_id)
    typed = "Where is my refund? " * 110  # over the 2000 characters
    response = shop.post(f"/o/{token}/help/{request_id}/message", {"body": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and typed.strip() in html and "Please keep it under" in html
    assert "no-store" in response.headers.get("Cache-Control", "")
    with app.app_context():
        assert count(app, RequestMessage) == 0


def test_withdrawing_is_rate_limited_like_its_siblings(app, shop, mug):
    app.config["AFTERSALES_RATE_LIMIT"] = "2 per hour"
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id)
    token, _line_id = _order(app, order_id)
    url = f"/o/{token}/help/{request_id}/withdraw"
    assert [shop.post(url, {}).status_code for _ in range(3)] == [303, 303, 429]


def test_cash_refunds_show_on_the_admin_order_page_with_who_and_reference(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    request_id = open_request(app, order_id)
    step(app, request_id, "accept")
    step(app, request_id, "receive")
    owner = owner_client(app)
    with app.app_context():
        reference = db.session.get(Order, order_id).reference
    page = owner.client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "data-manual-refunds" not in page  # nothing given back yet: no table
    refund = {"amount": "15.00", "reference": "MPESA-42", "confirm": "yes"}
    assert owner.post(f"/admin/aftersales/{request_id}/refund", refund).status_code == 303
    page = owner.client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "data-manual-refunds" in page and "MPESA-42" in page and "owner@example.com" in page
    assert "15.00" in page


def test_the_staff_queue_pages_so_older_requests_stay_reachable(app, shop, mug, monkeypatch):
    from storefront.admin import aftersales as admin_aftersales

    monkeypatch.setattr(admin_aftersales, "QUEUE_PAGE", 2)
    order_id = delivered_cash_order(app, shop, mug[0], 3)
    ids = [open_request(app, order_id, "problem", 1, reason="damaged", details=f"Issue {n}") for n in range(3)]
    owner = owner_client(app)
    first = owner.client.get("/admin/aftersales?status=all").get_data(as_text=True)
    second = owner.client.get("/admin/aftersales?status=all&page=2").get_data(as_text=True)
    assert f"/admin/aftersales/{ids[2]}" not in first and 'rel="next"' in first
    assert f"/admin/aftersales/{ids[2]}" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert owner.client.get("/admin/aftersales?page=zz").status_code == 200


def test_a_problem_refund_counts_against_a_later_return_of_the_same_units(app, shop, mug):
    order_id = delivered_cash_order(app, shop, mug[0], 1)
    problem = open_request(app, order_id, "problem", 1, reason="damaged", details="Chipped.")
    with app.app_context():
        found = service.get_request(db.session, problem)
        outcomes.resolve_problem(db.session, found, 1500, "", utcnow(), None)
        db.session.commit()
    back = open_request(app, order_id, "return", 1)
    step(app, back, "accept")
    step(app, back, "receive")
    with app.app_context():
        found = service.get_request(db.session, back)
        assert outcomes.refund_left(db.session, found) == 500  # 20.00 of goods, 15.00 already given
        with pytest.raises(Invalid):
            outcomes.refund_return(db.session, found, 2000, "", utcnow(), None)
        db.session.rollback()
    with app.app_context():
        found = service.get_request(db.session, back)
        outcomes.refund_return(db.session, found, 500, "", utcnow(), None)
        db.session.commit()
    assert sorted(manual_refunds(app, order_id)) == [(500, f"aftersales-{back}"), (1500, f"aftersales-{problem}")]
