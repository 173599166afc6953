"""Admin > Campaigns: owner only, the form (errors re-shown), preview, send and cancel after a
confirmation, the report on the page, and the WhatsApp export (page and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from storefront.campaigns.models import Campaign
from storefront.clock import utcnow
from storefront.extensions import db
from tests.builders import ShopClient, make_user

from .conftest import add_campaign, add_customer, add_segment, campaign, ensure_code, recipients, run, send

pytestmark = pytest.mark.usefixtures("quick_password_hash")


def signed_in(app, email: str, role: str) -> ShopClient:
    with app.app_context():
        make_user(email, role)
    browser = ShopClient(app.test_client())
    assert browser.login(email).status_code == 303
    return browser


@pytest.fixture
def owner(app) -> ShopClient:
    ensure_code(app, "WINTER10")  # the form's code: a campaign names only a code the shop has
    return signed_in(app, "owner@example.com", "owner")


def form(segment_id: int, **overrides) -> dict:
    data = {
        "name": "Winter sale",
        "segment_id": str(segment_id),
        "channel": "email",
        "title_en": "Winter sale",
        "body_en": "Coats at half price.",
        "landing": "/",
        "code": "WINTER10",
        "scheduled_at": "",
        "rate_per_minute": "60",
    }
    return {**data, **overrides}


def test_only_the_owner_sees_campaigns(app):
    cid = add_campaign(app, add_segment(app))
    staff = signed_in(app, "sam@example.com", "staff")
    for url in ("/admin/campaigns", "/admin/campaigns/new", f"/admin/campaigns/{cid}", f"/admin/campaigns/{cid}/send"):
        assert staff.client.get(url).status_code == 403
    assert staff.post(f"/admin/campaigns/{cid}/send").status_code == 403
    assert app.test_client().get("/admin/campaigns").status_code in (302, 303)
    assert campaign(app, cid).status == "draft"


def test_the_form_shows_the_consenting_counts_and_reshows_errors(app, owner):
    add_customer(app, "Ada", email="ada@example.com", channels=("email", "push"))
    add_customer(app, "Bob", email="bob@example.com", channels=("email",))
    sid = add_segment(app, "Everyone")
    page = owner.client.get("/admin/campaigns/new")
    assert page.status_code == 200
    assert "Everyone (push: 1, email: 2, WhatsApp: 0)" in page.text
    for lang in ("en", "es", "bn", "zh_Hans"):
        assert f'name="title_{lang}"' in page.text
    refused = owner.post("/admin/campaigns/new", form(sid, name="", rate_per_minute="0"))
    assert refused.status_code == 422
    assert "Give the campaign a name." in refused.text and "between 1 and 10,000" in refused.text
    no_text = owner.post("/admin/campaigns/new", form(sid, title_en=""))
    assert no_text.status_code == 422 and "at least one language" in no_text.text
    missing_csrf = owner.client.post("/admin/campaigns/new", data=form(sid))
    assert missing_csrf.status_code in (400, 422)
    with app.app_context():
        assert db.session.scalar(select(Campaign.id)) is None


def test_create_preview_send_and_report(app, owner, smtp_server):
    add_customer(app, "Ada", email="ada@example.com", channels=("email",))
    sid = add_segment(app)
    created = owner.post("/admin/campaigns/new", form(sid))
    assert created.status_code == 303
    page = owner.client.get(created.headers["Location"])
    assert page.status_code == 200 and "Coats at half price." in page.text and "WINTER10" in page.text
    assert "data-reach>1<" in page.text
    with app.app_context():
        cid = db.session.scalar(select(Campaign.id))
    confirm = owner.client.get(f"/admin/campaigns/{cid}/send")
    assert confirm.status_code == 200 and "Send now" in confirm.text
    assert campaign(app, cid).status == "draft"  # the confirmation page changes nothing
    assert owner.post(f"/admin/campaigns/{cid}/send").status_code == 303
    assert campaign(app, cid).status == "scheduled"
    run(app)
    run(app, utcnow() + timedelta(minutes=1))
    assert len(smtp_server.received) == 1
    report = owner.client.get(f"/admin/campaigns/{cid}")
    assert 'data-figure="reached">1<' in report.text and 'data-figure="delivered">1<' in report.text
    listing = owner.client.get("/admin/campaigns")
    assert listing.status_code == 200 and "Winter sale" in listing.text
    assert owner.post(f"/admin/campaigns/{cid}/send").status_code == 303  # twice: refused, nothing more
    assert len(smtp_server.received) == 1


def test_cancel_after_confirmation(app, owner):
    sid = add_segment(app)
    cid = add_campaign(app, sid, scheduled_at=utcnow() + timedelta(days=1))
    send(app, cid)
    assert owner.client.get(f"/admin/campaigns/{cid}/cancel").status_code == 200
    assert campaign(app, cid).status == "scheduled"
    assert owner.post(f"/admin/campaigns/{cid}/cancel").status_code == 303
    assert campaign(app, cid).status == "cancelled"
    assert owner.client.get("/admin/campaigns/999999").status_code == 404


def test_whatsapp_export_lists_consenting_customers_with_personal_links(app, owner):
    ada = add_customer(app, "Ada", phone="+44 20 7946 0958", channels=("whatsapp",), locale="es")
    add_customer(app, "Bob", phone="+44 20 7946 0000")  # no consent
    cy = add_customer(app, "Cy", email="cy@example.com", channels=("whatsapp",))  # no phone
    cid = add_campaign(app, add_segment(app), channel="whatsapp")
    send(app, cid)
    run(app)
    assert campaign(app, cid).status == "sent"
    page = owner.client.get(f"/admin/campaigns/{cid}/whatsapp")
    assert page.status_code == 200 and "Ada" in page.text and "Bob" not in page.text
    token = next(r.token for r in recipients(app, cid) if r.customer_id == ada)
    exported = owner.post(f"/admin/campaigns/{cid}/whatsapp")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == 2
    name, phone, link, text = rows[1]
    assert name == "Ada" and link.startswith("https://wa.me/442079460958?text=")
    assert "Rebajas de invierno" in text and "WINTER10" in text and f"/r/{token}" in text
    assert "/offers/stop/" in text and unquote(link.split("text=", 1)[1]) == text
    statuses = {r.customer_id: r.status for r in recipients(app, cid)}
    assert statuses[ada] == "exported" and statuses.get(cy) in (None, "skipped")  # not on the list: not reached
    with app.app_context():
        from storefront.campaigns import service as campaigns

        assert campaigns.figures(db.session, campaigns.get(db.session, cid)).reached == 1
    optout = next(part for part in text.split() if "/offers/stop/" in part)
    assert app.test_client().post(optout.removeprefix("http://localhost/").join(["/", ""])).status_code == 200
    with app.app_context():
        from storefront.customers.models import Customer

        assert db.session.get(Customer, ada).marketing_whatsapp is False


@pytest.mark.parametrize("when", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_send_time_out_of_range_is_shown_again_not_a_server_error(app, owner, when):
    segment_id = add_segment(app)
    response = owner.post("/admin/campaigns/new", form(segment_id, scheduled_at=when))
    assert response.status_code == 422
    assert "between the years 2000 and 2200" in response.get_data(as_text=True)
