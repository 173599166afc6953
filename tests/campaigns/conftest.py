"""Campaign fixtures: the shop sending email through the real test SMTP server and push through the
local push service (the notify tests' own fixtures), customers with their consent, a segment."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from storefront import jobs
from storefront.campaigns import service
from storefront.campaigns.models import Campaign, CampaignRecipient
from storefront.clock import utcnow
from storefront.customers import consent
from storefront.customers.models import Customer
from storefront.extensions import db
from storefront.promotions.models import DiscountCode
from storefront.segments.models import Segment
from tests.helpers import _make_app
from tests.notify.conftest import push_service, pushes, smtp_server  # noqa: F401 - fixtures
from tests.payments.conftest import coat, fake_stripe  # noqa: F401 - fixtures
from tests.promotions.helpers import make_code


@pytest.fixture
def app(db_url, tmp_path, smtp_server, fake_stripe):  # noqa: F811
    """The shop with email through the test SMTP server (plain SMTP)."""
    yield from _make_app(db_url, tmp_path, smtp_server.settings(MAIL_FROM="shop@example.com"))


def add_customer(
    app, name: str, *, email: str = "", phone: str = "", channels: tuple[str, ...] = (), locale: str = ""
) -> int:
    """A customer who agreed to offers on `channels`."""
    with app.app_context():
        customer = Customer(
            key=f"email:{email}" if email else f"tel:{phone}", name=name, email=email, phone=phone, locale=locale
        )
        db.session.add(customer)
        db.session.flush()
        for channel in channels:
            consent.record(db.session, customer.id, channel, True, "checkout", utcnow())
        db.session.commit()
        return customer.id


def add_segment(app, name: str = "Everyone", definition: dict | None = None) -> int:
    with app.app_context():
        segment = Segment(name=name, definition=json.dumps(definition or {}))
        db.session.add(segment)
        db.session.commit()
        return segment.id


def ensure_code(app, code: str) -> None:
    """The shop's discount code `code` (a campaign may only name a code the shop has)."""
    with app.app_context():
        if db.session.scalar(select(DiscountCode.id).where(DiscountCode.code == code.upper())) is None:
            make_code(code.upper())


def add_campaign(app, segment_id: int, channel: str = "email", **overrides) -> int:
    """A draft campaign through the service (English and Spanish texts, a code)."""
    code = overrides.pop("code", "WINTER10")
    if code:
        ensure_code(app, code)
    draft = service.Draft(
        name=overrides.pop("name", "Winter sale"),
        segment_id=segment_id,
        channel=channel,
        messages=overrides.pop(
            "messages",
            {
                "en": {"title": "Winter sale", "body": "Coats at half price."},
                "es": {"title": "Rebajas de invierno", "body": "Abrigos a mitad de precio."},
            },
        ),
        landing=overrides.pop("landing", "/c/coats"),
        code=code,
        scheduled_at=overrides.pop("scheduled_at", None),
        rate_per_minute=overrides.pop("rate_per_minute", 600),
    )
    with app.test_request_context():
        campaign = service.create(db.session, draft, None, overrides.pop("now", utcnow()))
        db.session.commit()
        return campaign.id


def send(app, campaign_id: int, now: datetime | None = None) -> None:
    """The owner presses Send."""
    with app.test_request_context():
        service.schedule(db.session, campaign_id, now or utcnow())
        db.session.commit()


def run(app, at: datetime | None = None):
    """The worker: every job due at `at` (default: a second from now)."""
    with app.app_context():
        return jobs.run_due(db.session, at or utcnow() + timedelta(seconds=1))


def recipients(app, campaign_id: int) -> list[CampaignRecipient]:
    with app.app_context():
        db.session.expire_all()
        rows = db.session.scalars(
            select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id).order_by(CampaignRecipient.id)
        ).all()
        db.session.expunge_all()
        return rows


def campaign(app, campaign_id: int) -> Campaign:
    with app.app_context():
        db.session.expire_all()
        row = db.session.get(Campaign, campaign_id)
        db.session.expunge(row)
        return row
