"""Card payment in Chromium against gunicorn: the checkout form leads to Stripe's page (the CSP
lets the redirect through) and the shopper comes back to a paid order. Stripe is the strict fake,
served over HTTP to the gunicorn process; Stripe's own page is stood in for by a route."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.builders import make_category, make_product
from tests.live_server import gunicorn
from tests.payments.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe, serving

STRIPE_PAGE = "<!doctype html><title>Stripe Checkout</title><h1>Pay on Stripe</h1>"


def pickup_paid_by_card(page, base: str, slug: str, expect) -> str:
    """A shopper puts the product in the cart and goes to pay by card on Stripe; the session id."""
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=STRIPE_PAGE),
    )
    page.goto(f"{base}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]").first).to_have_text("1")
    page.goto(f"{base}/checkout")
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Phone", exact=True).fill("+1 555 0100")
    page.get_by_label("Pick up at the shop").check()
    page.get_by_label("Card, on a secure payment page").check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("https://checkout.stripe.com/c/pay/**")  # not blocked by form-action
    return re.search(r"cs_test_[0-9a-f]+", page.url).group(0)


def webhook_over_http(base: str, fake, kind: str, session_id: str) -> dict:
    """Stripe delivers a signed event to the running shop; the shop's JSON answer (a 200)."""
    payload, signature = fake.event(kind, session_id)
    request = urllib.request.Request(
        f"{base}/stripe/webhook",
        data=payload,
        method="POST",
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        return json.load(answer)


@pytest.fixture
def card_shop(sqlite_app, tmp_path):
    """gunicorn with card payments on, talking to a fake Stripe; yields (base, slug, fake)."""
    with sqlite_app.app_context():
        slug = make_product("Merino coat", price=12000, variants=(("S", 5),), category=make_category("Coats")).slug
    fake = FakeStripe()
    with (
        serving(fake) as stripe_url,
        gunicorn(
            sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
            tmp_path / "media",
            workers=1,
            STRIPE_SECRET_KEY=API_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=stripe_url,
            STRIPE_MAX_NETWORK_RETRIES="0",
        ) as base,
    ):
        yield base, slug, fake


def test_pay_by_card_and_come_back_paid(browser, card_shop, expect):
    base, slug, fake = card_shop
    context = browser.new_context()
    page = context.new_page()
    session_id = pickup_paid_by_card(page, base, slug, expect)
    expect(page.locator("h1")).to_have_text("Pay on Stripe")
    session = fake.sessions[session_id]
    assert session["amount_total"] == 12000 and session["currency"] == "usd"

    fake.pay(session_id)
    assert webhook_over_http(base, fake, "checkout.session.completed", session_id)["handled"] is True

    page.goto(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    page.wait_for_url(f"{base}/o/**")
    expect(page.locator("[data-payment-status]")).to_have_attribute("data-payment-status", "paid")
    expect(page.locator("[data-payment-status]")).to_contain_text("Paid")
    context.close()
