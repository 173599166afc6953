"""A page's messages come from the catalogue of its language, also when the language changes mid-request.

Templates look the catalogue up once per request (core.numerals.current_translations); this
checks that the kept catalogue follows force_locale() and refresh() instead of the first answer.
"""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, refresh

from storefront.core.numerals import current_translations

PAGE = "{{ _('Delivery') }}"


def test_template_messages_follow_the_language_in_force(sqlite_app):
    with sqlite_app.test_request_context("/", headers={"Accept-Language": "es-ES,es;q=0.9"}):
        assert render_template_string(PAGE) == "Envío"
        assert current_translations() is current_translations()  # looked up once
        with force_locale("bn"):  # a message rendered for someone else (a notification)
            assert render_template_string(PAGE) == "ডেলিভারি"
        assert render_template_string(PAGE) == "Envío"
        refresh()  # the shopper switched language: Flask-Babel chooses again
        assert render_template_string(PAGE) == "Envío"


def test_outside_a_request_the_catalogue_is_untranslated():
    assert current_translations().ugettext("Delivery") == "Delivery"
