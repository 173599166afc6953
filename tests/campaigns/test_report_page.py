"""The reports' "Promotions and campaigns" page lists the period's campaigns with their figures (both databases)."""

from __future__ import annotations

from datetime import timedelta

from storefront.campaigns import service
from storefront.clock import utcnow
from storefront.extensions import db
from tests.builders import ShopClient, make_user

from .conftest import add_campaign, add_customer, add_segment, run, send


def test_the_promotions_page_shows_each_campaign_with_its_figures(app):
    add_customer(app, "Ana", email="ana@example.com", channels=("email",))
    add_customer(app, "Bo", email="bo@example.com", channels=("email",))
    add_customer(app, "Cy", email="cy@example.com")  # no consent: not reached
    campaign_id = add_campaign(app, add_segment(app), "email", name="Autumn letters")
    send(app, campaign_id)
    run(app)
    run(app, at=utcnow() + timedelta(minutes=5))  # every send job is due by then
    with app.app_context():
        make_user("owner@example.com", "owner")
        expected = service.figures(db.session, service.get(db.session, campaign_id))
    assert expected.reached == 2
    owner = ShopClient(app.test_client())
    owner.login("owner@example.com")
    html = owner.client.get("/admin/reports/promotions").get_data(as_text=True)
    row = html[html.index("Autumn letters") :].split("</tr>")[0]
    assert ">2<" in row.replace(" ", "")
    csv = owner.client.get("/admin/reports/campaigns.csv")
    assert csv.status_code == 200 and "Autumn letters" in csv.get_data(as_text=True)
