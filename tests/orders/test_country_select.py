"""The checkout's country select is rendered once per language, and must stay WTForms' own markup."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from markupsafe import Markup
from wtforms import Form, SelectField
from wtforms.widgets import Select

from storefront.checkout.forms import OptionsOnceSelect, country_choices
from tests.builders import ShopClient, make_product, variant_ids


class _Pair(Form):
    cached = SelectField(widget=OptionsOnceSelect(), validate_choice=False)
    plain = SelectField(widget=Select(), validate_choice=False)


def _both(choices, data, **kwargs) -> tuple[str, str]:
    form = _Pair()
    for field in (form.cached, form.plain):
        field.choices, field.data = choices, data
    plain = str(form.plain(**kwargs)).replace('name="plain"', 'name="cached"').replace('id="plain"', 'id="cached"')
    return str(form.cached(**kwargs)), plain


@pytest.mark.parametrize("locale", ["en", "es", "zh_Hans", "bn"])
@pytest.mark.parametrize("data", ["US", "BE", None, "XX", ""])
def test_same_markup_as_wtforms_select(sqlite_app, locale, data):
    with sqlite_app.test_request_context(), force_locale(locale):
        choices = country_choices()
        for attrs in ({}, {"autocomplete": "country"}, {"aria_invalid": "true", "aria_describedby": "country-err"}):
            cached, plain = _both(choices, data, **attrs)
            assert cached == plain


def test_selection_changes_between_renders(sqlite_app):
    with sqlite_app.test_request_context():
        choices = country_choices()
        first, _ = _both(choices, "FR")
        second, _ = _both(choices, "DE")
        assert first.count(" selected") == second.count(" selected") == 1
        assert '<option selected value="FR">' in first and '<option selected value="FR">' not in second
        assert '<option selected value="DE">' in second


def test_one_list_per_language_and_labels_escaped(sqlite_app):
    with sqlite_app.test_request_context():
        with force_locale("es"):
            spanish = country_choices()
            assert country_choices() is spanish  # built once
        with force_locale("en"):
            assert country_choices() is not spanish
            assert dict(country_choices())["BE"] == "Belgium"
        assert dict(spanish)["BE"] == "Bélgica"
        assert isinstance(spanish, tuple)  # shared by every request: nobody can change it in place
        hostile = [("a", '<script>"x"</script>'), ("b&", "B & co")]
        cached, plain = _both(hostile, "b&")
        assert cached == plain and "<script>" not in cached
        assert isinstance(_Pair().cached(), Markup)


def test_checkout_page_shows_the_shop_country_selected(sqlite_app):
    with sqlite_app.app_context():
        variant_id = variant_ids(make_product())[0]
    shop = ShopClient(sqlite_app.test_client())
    assert shop.add(variant_id).status_code == 303
    page = shop.client.get("/checkout").get_data(as_text=True)
    assert page.count('<option selected value="US">United States</option>') == 1
    assert page.count("<option ") > 200


def test_other_shapes_of_choices_are_left_to_wtforms(sqlite_app):
    with sqlite_app.test_request_context():
        grouped = {"Europe": [("FR", "France"), ("DE", "Germany")], "Asia": [("JP", "Japan")]}
        cached, plain = _both(grouped, "DE")
        assert cached == plain and "<optgroup" in cached
        triples = [("FR", "France", {"data-x": "1"})]
        cached, plain = _both(triples, "FR")
        assert cached == plain
