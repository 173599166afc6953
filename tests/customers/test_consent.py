"""Consent: the unticked checkout and back-in-stock opt-in, never removed by a re-order; the one-click opt-out."""

from __future__ import annotations

import re

from storefront.clock import utcnow
from storefront.customers import consent
from storefront.extensions import db
from tests.builders import CHECKOUT_DELIVERY, make_product, nth_shopper
from tests.customers.conftest import consent_log, customers_in_db, place


def test_the_checkout_offers_are_unticked_and_nothing_is_recorded_without_a_tick(app, mug):
    shop = nth_shopper(app, 1)
    shop.add(mug, 1)
    page = shop.client.get("/checkout").text
    for name in ("offers_email", "offers_whatsapp", "offers_push"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="checkbox"' in box and "checked" not in box
    assert "Send me offers and news" in page
    assert place(app, mug, 2).status_code == 303
    [customer] = customers_in_db(app)
    assert not (customer.marketing_email or customer.marketing_push or customer.marketing_whatsapp)
    assert consent_log(app) == []


def test_a_tick_records_consent_with_time_and_source_and_a_reorder_keeps_it(app, mug):
    before = utcnow()
    assert place(app, mug, 1, offers_email="y", offers_whatsapp="y").status_code == 303
    [customer] = customers_in_db(app)
    assert (customer.marketing_email, customer.marketing_whatsapp, customer.marketing_push) == (True, True, False)
    log = consent_log(app)
    assert sorted(e.channel for e in log) == ["email", "whatsapp"]
    assert all(e.granted and e.source == "checkout" and e.at >= before for e in log)
    assert place(app, mug, 2).status_code == 303, "a re-order without ticks"
    [customer] = customers_in_db(app)
    assert customer.marketing_email and customer.marketing_whatsapp
    assert len(consent_log(app)) == 2


def test_email_offers_need_an_email(app, mug):
    assert place(app, mug, 1, email="", offers_email="y", offers_push="y").status_code == 303
    [customer] = customers_in_db(app)
    assert (customer.marketing_email, customer.marketing_push) == (False, True)


def test_a_refused_checkout_keeps_the_ticked_box_ticked(app, mug):
    shop = nth_shopper(app, 1)
    shop.add(mug, 1)
    response = shop.checkout({**CHECKOUT_DELIVERY, "customer_name": "", "offers_whatsapp": "y"})
    assert response.status_code == 422
    assert re.search(
        r'<input[^>]*checked[^>]*name="offers_whatsapp"|<input[^>]*name="offers_whatsapp"[^>]*checked', response.text
    )
    assert not re.search(r'<input[^>]*name="offers_email"[^>]*checked', response.text)
    assert customers_in_db(app) == [] and consent_log(app) == []


def test_back_in_stock_form_can_opt_in_to_email_offers(app):
    with app.app_context():
        product = make_product("Sold-out jug", price=1000, variants=(("One", 0),))
        variant_id, slug = product.variants[0].id, product.slug
    shop = nth_shopper(app, 1)
    assert 'name="offers_email"' in shop.client.get(f"/p/{slug}").text
    plain = shop.post("/notify/back-in-stock", {"variant_id": variant_id, "email": "no@example.com"})
    assert plain.status_code == 303 and customers_in_db(app) == []
    ticked = shop.post(
        "/notify/back-in-stock", {"variant_id": variant_id, "email": "Yes@Example.com", "offers_email": "1"}
    )
    assert ticked.status_code == 303
    [customer] = customers_in_db(app)
    assert customer.key == "email:yes@example.com" and customer.marketing_email
    [event] = consent_log(app)
    assert (event.channel, event.source, event.granted) == ("email", "watch", True)


def _opted_in(app, mug) -> tuple[int, str]:
    assert place(app, mug, 1, offers_email="y").status_code == 303
    [customer] = customers_in_db(app)
    with app.test_request_context():
        url = consent.optout_url(customer.id, "email", "campaign-7")
    return customer.id, url.replace("http://localhost", "")


def test_the_opt_out_link_shows_a_page_then_stops_on_post(app, mug, client):
    customer_id, url = _opted_in(app, mug)
    page = client.get(url)
    assert page.status_code == 200 and "<form" in page.text
    assert customers_in_db(app)[0].marketing_email, "opening the link changes nothing"
    assert client.post(url).status_code == 200
    assert not customers_in_db(app)[0].marketing_email
    last = consent_log(app)[-1]
    assert (last.channel, last.granted, last.source, last.detail) == ("email", False, "optout", "campaign-7")
    assert client.post(url).status_code == 200 and len(consent_log(app)) == 2, "twice is once"


def test_one_click_unsubscribe_answers_204_and_forged_tokens_404(app, mug, client):
    _customer_id, url = _opted_in(app, mug)
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 204
    assert not customers_in_db(app)[0].marketing_email
    token = url.rsplit("/", 1)[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/offers/stop/{forged}").status_code == 404
    assert client.post(f"/offers/stop/{forged}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    with app.test_request_context():
        unknown = consent.optout_token(999_999, "email")
    assert client.get(f"/offers/stop/{unknown}").status_code == 404


def test_a_new_tick_after_an_opt_out_turns_offers_on_again(app, mug, client):
    _customer_id, url = _opted_in(app, mug)
    client.post(url)
    assert place(app, mug, 2, offers_email="y").status_code == 303
    assert customers_in_db(app)[0].marketing_email
    assert [e.granted for e in consent_log(app)] == [True, False, True]
    with app.app_context():
        assert db.session is not None
