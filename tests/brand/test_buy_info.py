"""catalog/_buy_info.html: shipping, returns and contact notes and a WhatsApp question under the buy button."""

from __future__ import annotations

from types import SimpleNamespace

from flask import render_template_string

from storefront.brand.service import save_brand
from storefront.extensions import db

INCLUDE = "{% include 'catalog/_buy_info.html' ignore missing %}"
PRODUCT = SimpleNamespace(title="Jasmine & Rose Tea", slug="jasmine-rose")


def render(app, locale: str = "en") -> str:
    with app.test_request_context("/p/jasmine-rose", headers={"Accept-Language": locale}):
        return render_template_string(INCLUDE, product=PRODUCT)


def test_renders_nothing_when_the_owner_set_nothing(app):
    assert render(app).strip() == ""


def test_notes_and_a_prefilled_whatsapp_question(app):
    with app.app_context():
        save_brand(
            db.session,
            app.config,
            shipping_note="Ships in 2 days\nFree over 30",
            returns_note="30-day returns",
            whatsapp="+44 7700 900123",
        )
        db.session.commit()
    html = render(app)
    assert "<dt>Shipping</dt><dd>Ships in 2 days\nFree over 30</dd>" in html
    assert "<dt>Returns</dt><dd>30-day returns</dd>" in html and "Questions?" not in html
    assert (
        'href="https://wa.me/447700900123?text=Hello%21%20I%20have%20a%20question%20about%20Jasmine%20%26%20Rose%20Tea'
        "%20http%3A//localhost/p/jasmine-rose" in html
    )
    assert ">Ask about this product on WhatsApp</a>" in html
    spanish = render(app, "es")
    assert "Tengo%20una%20pregunta%20sobre%20Jasmine" in spanish
    assert "Preguntar por este producto en WhatsApp" in spanish


def test_only_whatsapp_shows_just_the_question(app):
    with app.app_context():
        save_brand(db.session, app.config, whatsapp="+8801712345678")
        db.session.commit()
    html = render(app)
    assert "<dl>" not in html and "https://wa.me/8801712345678?text=" in html
