"""Back in stock for shoppers: the product page's form, the request's page, and one message when it returns."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront import jobs
from storefront.catalog.models import Product, Variant
from storefront.clock import utcnow
from storefront.extensions import db
from storefront.inventory.service import adjust_stock
from storefront.notify.models import Notification, PushSubscription, StockWatch
from tests.builders import CHECKOUT_PICKUP, ShopClient, make_product, make_user, nth_shopper

pytestmark = pytest.mark.usefixtures("quick_password_hash")  # the owner signs in to restock; hashing is not the subject


@pytest.fixture
def coat(app) -> dict:
    """A coat in S (sold out), M (3 left) and L (sold out); its slug and variant ids by name."""
    with app.app_context():
        product = make_product("Wool coat", variants=(("S", 0), ("M", 3), ("L", 0)))
        return {"slug": product.slug, "product_id": product.id, **{v.name: v.id for v in product.variants}}


@pytest.fixture
def tea(app) -> dict:
    """Green tea, one variant, sold out."""
    with app.app_context():
        product = make_product("Green tea", price=900, variants=(("Tin", 0),))
        return {"slug": product.slug, "variant": product.variants[0].id}


def ask(shop: ShopClient, variant_id, email: str = "ana@example.com"):
    """Send the product page's "Email me when it's back" form."""
    return shop.post("/notify/back-in-stock", {"variant_id": variant_id, "email": email})


def watch_rows() -> list[StockWatch]:
    """Every stored request, read fresh (inside an app context)."""
    db.session.expire_all()
    return list(db.session.scalars(select(StockWatch).order_by(StockWatch.id)))


def stored(app) -> int:
    """How many requests are stored."""
    with app.app_context():
        return len(watch_rows())


def form_of(html: str) -> str:
    """The product page's back-in-stock section, or ""."""
    found = re.search(r'<section class="back-in-stock".*?</section>', html, re.S)
    return found.group(0) if found else ""


# -- the product page ----------------------------------------------------------------------------


def test_the_form_offers_only_the_sold_out_variants(client, coat):
    form = form_of(client.get(f"/p/{coat['slug']}").text)
    assert "Sold out? We can tell you when it's back." in form
    assert 'action="/notify/back-in-stock#back-in-stock"' in form and 'name="csrf_token" value="' in form
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', form)
    assert options == [(str(coat["S"]), "S"), (str(coat["L"]), "L")], "M is in stock: not offered"
    email = re.search(r'<input id="watch-email"[^>]*>', form).group(0)
    assert 'type="email"' in email and 'autocomplete="email"' in email and "required" not in email
    assert '<label for="watch-email">' in form and '<label for="watch-variant">' in form
    assert "Email me when it's back" in form
    assert "data-push" not in form, "the push button is on the request's page, not on the cached product page"


def test_one_sold_out_variant_is_a_hidden_field_and_nothing_sold_out_shows_no_form(client, app, tea):
    form = form_of(client.get(f"/p/{tea['slug']}").text)
    assert f'<input type="hidden" name="variant_id" value="{tea["variant"]}">' in form and "<select" not in form
    with app.app_context():
        stocked = make_product("Felt hat", variants=(("S", 4), ("M", 1))).slug
    assert form_of(client.get(f"/p/{stocked}").text) == ""


# -- asking ------------------------------------------------------------------------------------


def test_asking_stores_one_request_and_shows_its_page(app, shop, coat):
    response = ask(shop, coat["L"], "  Ana@Example.com ")
    assert response.status_code == 303
    token = re.fullmatch(r"/notify/watch/([\w-]+)", response.headers["Location"]).group(1)
    with app.app_context():
        (row,) = watch_rows()
        assert (row.token, row.variant_id, row.email, row.locale) == (token, coat["L"], "ana@example.com", "en")
        assert row.notified_at is None and row.cancelled_at is None
    page = shop.client.get(response.headers["Location"])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    html = page.text
    assert "<strong>Wool coat</strong>" in html and "<span data-watch-variant>L</span>" in html
    assert "We will email you at ana@example.com when it is back." in html
    offer = re.search(r'<div class="push-offer"[^>]*>', html).group(0)
    assert 'data-push-for="watch"' in offer and f'data-push-token="{token}"' in offer and " hidden" in offer
    assert 'data-push-url="/notify/push"' in offer and re.search(r'data-push-key="[\w-]{80,}"', offer)
    assert "Tell me on this device</button>" in html and "js/notify.js" in html
    assert f'action="/notify/watch/{token}/cancel"' in html and f'action="/notify/watch/{token}/email"' in html


def test_the_same_email_asking_twice_keeps_one_request(app, shop, coat):
    first = ask(shop, coat["S"], "ana@example.com")
    again = ask(shop, coat["S"], "ANA@example.com")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert stored(app) == 1


def test_asking_without_an_email_says_nothing_reaches_them_yet(app, shop, coat):
    response = ask(shop, coat["S"], "")
    assert response.status_code == 303
    html = shop.client.get(response.headers["Location"]).text
    assert "Nothing reaches you yet: turn on notifications on this device, or give your email." in html
    assert 'data-push-for="watch"' in html
    with app.app_context():
        assert watch_rows()[0].email == ""


@pytest.mark.parametrize("raw", ["abc", "", "-1", "1.5", "99999999999", "０"])
def test_a_variant_id_that_is_no_number_is_refused(app, shop, coat, raw):
    response = ask(shop, raw)
    assert response.status_code == 422
    assert "Choose which one you want to hear about." in response.text
    assert stored(app) == 0


def test_an_unknown_variant_is_not_found(app, shop, coat):
    response = ask(shop, 987654)
    assert response.status_code == 404 and "That product is not on sale." in response.text
    assert stored(app) == 0


def test_a_variant_in_stock_is_a_conflict_shown_on_its_product_page(app, shop, coat):
    response = ask(shop, coat["M"])
    assert response.status_code == 409
    assert "Good news: it is in stock now. Add it to your cart." in response.text
    assert 'name="quantity"' in response.text, "the product page again, with its add-to-cart form"
    assert stored(app) == 0


def test_a_draft_product_or_an_archived_variant_is_not_found(app, shop, coat):
    with app.app_context():
        db.session.get(Variant, coat["L"]).archived = True
        db.session.commit()
    assert ask(shop, coat["L"]).status_code == 404
    with app.app_context():
        db.session.get(Product, coat["product_id"]).status = "draft"
        db.session.commit()
    response = ask(shop, coat["S"])
    assert response.status_code == 404 and "That product is not on sale." in response.text
    assert stored(app) == 0


def test_a_malformed_email_is_refused_at_its_field_and_only_its_sender_sees_it(app, shop, coat, client):
    response = ask(shop, coat["L"], "ana@@example")
    assert response.status_code == 422
    form = form_of(response.text)
    assert '<p class="error" id="watch-email-err">Please give a valid email address.</p>' in form
    assert 'value="ana@@example"' in form and 'aria-invalid="true"' in form
    assert re.search(rf'<option value="{coat["L"]}" selected>L</option>', form), "the shopper's choice kept"
    assert stored(app) == 0
    # The product page is cached for everyone: the refused address never gets into it.
    for visitor in (client, shop.client):
        html = visitor.get(f"/p/{coat['slug']}").text
        assert "ana@@example" not in html and "watch-email-err" not in html


def test_too_many_requests_from_one_address_are_refused_with_a_message(app, shop, coat):
    app.config["WATCH_RATE_LIMIT"] = "3 per hour"
    for n in range(3):
        assert ask(shop, coat["S"], f"shopper{n}@example.com").status_code == 303
    refused = ask(shop, coat["S"], "shopper9@example.com")
    assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
    assert "You have asked for many reminders from this address. Please try again later." in refused.text
    assert stored(app) == 3
    other = nth_shopper(app, 3)  # another address still may
    assert ask(other, coat["S"], "bo@example.com").status_code == 303


# -- the request's page ----------------------------------------------------------------------------


def test_an_unknown_token_is_not_found(shop, coat):
    assert shop.client.get("/notify/watch/nope").status_code == 404
    assert shop.post("/notify/watch/nope/cancel").status_code == 404
    assert shop.post("/notify/watch/nope/email", {"email": "ana@example.com"}).status_code == 404


def test_an_email_can_be_given_later_and_a_bad_one_changes_nothing(app, shop, coat):
    url = ask(shop, coat["S"], "").headers["Location"]
    bad = shop.post(f"{url}/email", {"email": "not an email"})
    assert bad.status_code == 422
    assert '<p class="error" id="watch-email-err">Please give a valid email address.</p>' in bad.text
    assert 'value="not an email"' in bad.text
    with app.app_context():
        assert watch_rows()[0].email == ""
    good = shop.post(f"{url}/email", {"email": "Bo@Example.com"})
    assert good.status_code == 303 and good.headers["Location"] == url
    html = shop.client.get(url).text
    assert "Saved: we will email you at bo@example.com when it is back." in html
    assert "We will email you at bo@example.com when it is back." in html
    with app.app_context():
        assert watch_rows()[0].email == "bo@example.com"


def test_cancelling_closes_the_request_and_forgets_its_devices(app, shop, coat, push_service):
    url = ask(shop, coat["S"]).headers["Location"]
    token = url.rsplit("/", 1)[1]
    assert subscribe(shop, {"watch": token}, push_service.new_subscription()).status_code == 201
    response = shop.post(f"{url}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == url
    html = shop.client.get(url).text
    assert "Done: your request is cancelled." in html
    assert "Cancelled: we will not tell you when it is back." in html
    assert "data-push" not in html and "/email" not in html and "js/notify.js" not in html
    with app.app_context():
        assert watch_rows()[0].cancelled_at is not None
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    assert shop.post(f"{url}/email", {"email": "bo@example.com"}).status_code == 409
    assert subscribe(shop, {"watch": token}, push_service.new_subscription()).status_code == 404


# -- the message when it comes back ----------------------------------------------------------------


def subscribe(shop: ShopClient, owner: dict, subscription: dict):
    """What notify.js does after the browser subscribed: POST /notify/push with the CSRF header."""
    return shop.client.post(
        "/notify/push", json={"subscription": subscription, **owner}, headers={"X-CSRFToken": shop.csrf()}
    )


@pytest.fixture
def mailing(app, smtp_server):
    """The shop sending email through the test SMTP server."""
    app.config.update(smtp_server.settings(MAIL_FROM="shop@example.com"))
    return smtp_server


def run_jobs(app) -> None:
    """Let the worker run everything due now."""
    with app.app_context():
        db.session.remove()
        jobs.run_due(db.session, utcnow())


def restock(app, variant_id: int, delta: int) -> None:
    """Change stock as the owner's tools do (the ledger, the events)."""
    with app.app_context():
        adjust_stock(db.session, variant_id, delta, "received" if delta > 0 else "damaged", utcnow(), None)
        db.session.commit()


def test_one_message_per_channel_when_it_returns_not_one_per_stock_movement(app, shop, tea, mailing, push_service):
    url = ask(shop, tea["variant"], "ana@example.com").headers["Location"]
    token = url.rsplit("/", 1)[1]
    browser = push_service.new_subscription()
    assert subscribe(shop, {"watch": token}, browser).status_code == 201
    owner = ShopClient(app.test_client())
    with app.app_context():
        make_user("owner@example.com", "owner")
    assert owner.login("owner@example.com").status_code == 303
    adjusted = owner.post(f"/admin/stock/{tea['variant']}/adjust", {"delta": "+5", "reason": "received"})
    assert adjusted.status_code == 303
    run_jobs(app)

    assert len(mailing.received) == 1
    mail = mailing.received[0].message
    assert "Green tea" in mail["Subject"] and mail["To"] == "ana@example.com"
    assert mail["List-Unsubscribe"] and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    kinds = sorted(part.get_content_type() for part in mail.walk() if not part.is_multipart())
    assert kinds == ["text/html", "text/plain"]
    assert f"/p/{tea['slug']}" in mail.get_body(("plain",)).get_content()
    (pushed,) = push_service.messages_for(browser)
    assert "Green tea" in pushed.payload["title"] and pushed.payload["url"].endswith(f"/p/{tea['slug']}")
    assert pushed.payload["lang"] == "en" and push_service.rejected == []
    assert "Already back: add it to your cart." in shop.client.get(url).text

    # More movements: another delivery, a sale of everything, and a restock after it sold out again.
    restock(app, tea["variant"], 3)
    buyer = nth_shopper(app, 11)
    assert buyer.add(tea["variant"], 8).status_code == 303
    assert buyer.checkout(CHECKOUT_PICKUP).status_code == 303
    restock(app, tea["variant"], 2)
    run_jobs(app)
    assert len(mailing.received) == 1 and len(push_service.received) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 2  # one email, one push


def test_a_cancelled_request_hears_nothing(app, shop, tea, mailing):
    url = ask(shop, tea["variant"], "ana@example.com").headers["Location"]
    kept = ask(nth_shopper(app, 5), tea["variant"], "bo@example.com").headers["Location"]
    assert shop.post(f"{url}/cancel").status_code == 303
    restock(app, tea["variant"], 4)
    run_jobs(app)
    assert [r.message["To"] for r in mailing.received] == ["bo@example.com"]
    with app.app_context():
        rows = {row.email: row for row in watch_rows()}
        assert rows["ana@example.com"].notified_at is None and rows["bo@example.com"].notified_at is not None
    assert kept != url


def test_a_variant_sold_out_again_before_the_job_ran_waits_for_its_next_return(app, shop, tea, mailing):
    ask(shop, tea["variant"], "ana@example.com")
    restock(app, tea["variant"], 2)
    restock(app, tea["variant"], -2)  # gone again before the worker ran
    run_jobs(app)
    assert mailing.received == []
    with app.app_context():
        assert watch_rows()[0].notified_at is None
    restock(app, tea["variant"], 1)
    run_jobs(app)
    assert len(mailing.received) == 1
    run_jobs(app)
    assert len(mailing.received) == 1


def test_the_request_speaks_the_shoppers_language(app, shop, coat):
    spanish = {"Accept-Language": "es"}
    url = shop.post("/notify/back-in-stock", {"variant_id": coat["S"], "email": ""}, headers=spanish).headers[
        "Location"
    ]
    html = shop.client.get(url, headers=spanish).text
    assert "Todavía no te llegará nada" in html and "Avísame en este dispositivo</button>" in html
    with app.app_context():
        assert watch_rows()[0].locale == "es"
