"""WTForms' attributes through storefront.core.html_params: the same markup as WTForms' own (issue 22)."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import widgets
from wtforms.widgets import core

from storefront.core import html_params as fast

CASES = [
    {"id": "phone", "name": "phone", "type": "text", "value": "", "maxlength": 32, "required": True},
    {"autocomplete": "tel", "inputmode": "tel", "aria_invalid": "true", "aria_describedby": "phone-err"},
    {"for_": "street", "class_": "btn btn-primary"},
    {"data_for_method": "pickup", "data_amount": 12, "aria_current": "true"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"value": 'O\'Brien & "Sons" <b>'},
    {"value": Markup('already "markup" <i>x</i>')},
    {"value": None},
    {"value": 0},
    {"selected": True, "value": "ES"},
    {"title": "Bélgica · 中文 · বাংলা"},
    {"a<b": "c", 'q"': "v"},
    {},
]


@pytest.mark.parametrize("attributes", CASES)
def test_the_same_markup_as_wtforms(attributes):
    mine, theirs = fast.html_params(**attributes), fast.ORIGINAL(**attributes)
    assert mine == theirs
    assert isinstance(mine, Markup)


def test_the_app_renders_forms_with_it(app):
    # create_app installs it where WTForms' widgets and labels look it up.
    assert core.html_params is fast.html_params
    assert widgets.html_params is fast.html_params
    assert core.TextInput.html_params is fast.html_params
    assert core.Button.html_params is fast.html_params
