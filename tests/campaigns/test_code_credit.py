"""A campaign names only a discount code the shop has, and an order by one of its recipients that used
the code counts for the campaign even without following the link (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.campaigns import service
from storefront.campaigns.models import CampaignOrder
from storefront.clock import utcnow
from storefront.customers import consent
from storefront.customers.models import Customer
from storefront.domain import Invalid
from storefront.extensions import db
from tests.builders import CHECKOUT_PICKUP, ShopClient

from .conftest import add_campaign, add_customer, add_segment, recipients, run, send


def _checkout_with_code(app, coat_variant: int, code: str | None, email: str) -> int:
    """A cash order through the shopper's pages, typing `code` on the cart page; the order's id."""
    shopper = ShopClient(app.test_client())
    shopper.add(coat_variant, 1)
    if code:
        assert shopper.post("/cart/code", {"code": code}).status_code in (302, 303)
    answer = shopper.checkout({**CHECKOUT_PICKUP, "email": email, "phone": "+1 503 555 0199"})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]
    from storefront.orders.models import Order

    with app.app_context():
        return db.session.scalars(select(Order.id).order_by(Order.id.desc())).first()


def _customer_by_phone(app, email: str, digits: str) -> int:
    """A customer known by their phone (as checkout keys them) with an email and consent to offers by email."""
    with app.app_context():
        customer = Customer(key=f"tel:{digits}", name="Ana", email=email, phone=digits)
        db.session.add(customer)
        db.session.flush()
        consent.record(db.session, customer.id, "email", True, "checkout", utcnow())
        db.session.commit()
        return customer.id


def test_a_campaign_naming_an_unknown_code_is_refused(app):
    segment_id = add_segment(app)
    with app.test_request_context(), pytest.raises(Invalid) as refused:
        draft = service.Draft(
            "Spring", segment_id, "email", {"en": {"title": "Hi", "body": "New in"}}, "/", "NOPE", None, 60
        )
        service.create(db.session, draft, None, utcnow())
    assert "There is no discount code" in refused.value.message


def test_an_order_with_the_campaigns_code_by_a_recipient_counts_for_it(app, coat):
    customer_id = _customer_by_phone(app, "ana@example.com", "15035550199")
    campaign_id = add_campaign(app, add_segment(app), "email", code="WINTER10")
    send(app, campaign_id)
    run(app)
    assert [r.customer_id for r in recipients(app, campaign_id)] == [customer_id]
    order_id = _checkout_with_code(app, coat, "winter10", "ana@example.com")
    with app.app_context():
        credited = db.session.scalars(select(CampaignOrder).where(CampaignOrder.order_id == order_id)).one()
        assert credited.campaign_id == campaign_id
    # Without the code (and without the link) nothing is credited: a positive control for the above.
    other = _checkout_with_code(app, coat, None, "ana@example.com")
    with app.app_context():
        assert db.session.get(CampaignOrder, other) is None


def test_the_code_used_by_someone_who_was_not_sent_the_campaign_does_not_count(app, coat):
    add_customer(app, "Ana", email="ana@example.com", channels=("email",))
    campaign_id = add_campaign(app, add_segment(app, definition={"consent": ["email"]}), "email", code="WINTER10")
    send(app, campaign_id)
    run(app)
    assert len(recipients(app, campaign_id)) == 1
    order_id = _checkout_with_code(app, coat, "WINTER10", "bo@example.com")
    with app.app_context():
        assert db.session.get(CampaignOrder, order_id) is None
