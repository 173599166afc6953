"""The checkout form's fields from plain descriptions (checkout.fields) must be WTForms' and the macros' markup.

The page used to render a bound CheckoutForm through macros/forms.html; it now writes the same
markup from a description of each field (issue 22). Both are rendered here, side by side, for a
blank form and for a half-filled one sent back with errors, in several languages, and must match.
"""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from storefront.checkout import fields
from storefront.checkout.forms import CheckoutForm
from tests.builders import make_product, variant_ids

# The checkout page's form, as checkout.html wrote it with WTForms fields and the macros.
WTFORMS_PAGE = """{% from "macros/forms.html" import field, checkbox, radios %}
{{ form.csrf_token }}|{{ form.checkout_key }}
|{{ form.shown_total_delivery }}|{{ form.shown_total_pickup }}
{{ field(form.customer_name, autocomplete='name') }}
{{ field(form.phone, autocomplete='tel', inputmode='tel') }}
{{ field(form.email, autocomplete='email', inputmode='email') }}
{{ radios(form.delivery_method) }}
{{ field(form.pickup_store) }}
{{ field(form.street, autocomplete='street-address') }}
{{ field(form.city, autocomplete='address-level2') }}
{{ field(form.region, autocomplete='address-level1') }}
{{ field(form.postcode, autocomplete='postal-code') }}
{{ field(form.country, autocomplete='country') }}
{{ radios(form.payment_method) }}
{{ field(form.note, rows=3) }}
{{ checkbox(form.offers_email) }}{{ checkbox(form.offers_whatsapp) }}{{ checkbox(form.offers_push) }}
{{ dict(form.delivery_method.choices)|tojson }}|{{ form.pickup_store.choices|length }}"""
PLAIN_PAGE = """{{ fields.csrf_token }}|{{ fields.checkout_key }}
|{{ fields.shown_total_delivery }}|{{ fields.shown_total_pickup }}
{{ fields.customer_name }}
{{ fields.phone }}
{{ fields.email }}
{{ fields.delivery_method }}
{{ fields.pickup_store }}
{{ fields.street }}
{{ fields.city }}
{{ fields.region }}
{{ fields.postcode }}
{{ fields.country }}
{{ fields.payment_method }}
{{ fields.note }}
{{ fields.offers_email }}{{ fields.offers_whatsapp }}{{ fields.offers_push }}
{{ dict(fields.delivery_method.choices)|tojson }}|{{ fields.pickup_store.choices|length }}"""

OPTIONS = {
    "card": True,
    "pickup_stores": [(1, 'Main <street> & "Co"'), (2, "Harbour")],
    "transfers": [("transfer-3", "bKash <&>")],
}
HALF_FILLED = {
    "checkout_key": "k" * 32,
    "customer_name": 'Ana <b>"x"</b>',
    "phone": "not a phone",
    "email": "nope",
    "delivery_method": "delivery",
    "pickup_store": "2",
    "street": "",
    "city": "Town & <village>",
    "country": "ZZ",
    "payment_method": "transfer-3",
    "note": "line one\nline <two> & three",
    "offers_email": "y",
    "offers_push": "on",
    "shown_total_delivery": "1900",
}


def _both(form: CheckoutForm, shown: fields.CheckoutFields) -> tuple[str, str]:
    old = render_template_string(WTFORMS_PAGE, form=form)
    new = render_template_string(PLAIN_PAGE, fields=shown)
    return old, new


@pytest.mark.parametrize("locale", ["en", "es", "bn", "zh_Hans"])
@pytest.mark.parametrize("card", [True, False])
def test_blank_form_is_the_wtforms_markup(sqlite_app, locale, card):
    values = {"checkout_key": "a" * 32, "country": "US", "pickup_store": "2"}
    options = {**OPTIONS, "card": card}
    with sqlite_app.test_request_context(), force_locale(locale):
        form = CheckoutForm(**values, **options)
        shown = fields.for_new_form(values, **options)
        for name in ("shown_total_delivery", "shown_total_pickup"):
            form[name].data = getattr(shown, name).value = "1234"
        old, new = _both(form, shown)
    assert new == old
    assert 'value="2" selected' not in new and '<option selected value="2">' in new  # the store chosen on /stores
    assert '<option selected value="US">' in new and " required" in new and 'maxlength="120"' in new


@pytest.mark.parametrize("locale", ["en", "es", "bn"])
@pytest.mark.parametrize("method", ["delivery", "pickup", "teleport"])
def test_half_filled_form_with_errors_is_the_wtforms_markup(sqlite_app, locale, method):
    with sqlite_app.test_request_context(method="POST"), force_locale(locale):
        sent = {**HALF_FILLED, "delivery_method": method, "csrf_token": generate_csrf()}
        form = CheckoutForm(MultiDict(sent), **OPTIONS)
        assert not form.validate() and "csrf_token" not in form.errors
        old, new = _both(form, fields.for_form(form))
    assert new == old
    assert "has-error" in new and 'aria-invalid="true"' in new
    assert "&lt;b&gt;" in new and "<b>" not in new  # the shopper's values escaped
    assert 'value="on"' in new  # a ticked box keeps what was sent, as WTForms does


def test_descriptions_follow_the_form_class():
    """Every CheckoutForm field has a description, with its validators' flags and its label's message id."""
    described = fields.descriptions()
    assert set(described) == {f for f in dir(CheckoutForm) if hasattr(getattr(CheckoutForm, f), "field_class")} - {
        "csrf_token"
    }
    assert described["customer_name"].attributes == {"autocomplete": "name", "maxlength": 120, "required": True}
    assert described["customer_name"].label == "Full name"
    assert described["delivery_method"].kind == "radios" and described["country"].kind == "select"


def test_checkout_page_shows_the_fields_and_a_half_filled_form_again(app, shop):
    """Through the views: the GET has every field; a POST with errors shows the shopper's values and messages."""
    with app.app_context():
        variant = variant_ids(make_product())[0]
    shop.add(variant)
    page = shop.client.get("/checkout").get_data(as_text=True)
    for name in ("customer_name", "phone", "email", "street", "city", "region", "postcode", "country", "note"):
        assert f'id="{name}-field"' in page
    assert re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="[^"]+">', page)
    key = shop.checkout_key()
    sent = shop.checkout({"customer_name": "Ana <b>", "phone": "x", "delivery_method": "delivery"}, key)
    assert sent.status_code == 422
    html = sent.get_data(as_text=True)
    assert 'value="Ana &lt;b&gt;"' in html and 'id="phone-err"' in html and 'href="#street-field"' in html
    assert f'id="checkout_key" name="checkout_key" type="hidden" value="{key}"' in html
