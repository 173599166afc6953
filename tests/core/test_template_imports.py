"""Per-request template work moved or made cheaper (issue 22), with what Jinja and Flask-Babel would give."""

from __future__ import annotations

from flask_babel import force_locale

from storefront.core import form_catalogue, numerals
from storefront.core.templating import Template


def test_an_import_finds_the_kept_module_as_jinja_would(sqlite_app):
    env = sqlite_app.jinja_env
    assert env.template_class is Template
    macros = env.get_template("macros/forms.html")
    kept = macros._get_default_module()
    page = env.from_string('{% from "macros/forms.html" import checkbox %}{{ checkbox is defined }}')
    with sqlite_app.test_request_context():
        assert page.render() == "True"
        assert macros._get_default_module(page.new_context({})) is kept  # no globals of its own: kept
        own = env.from_string("x", globals={"only_here": 1})
        module = macros._get_default_module(own.new_context({}))
        assert module is not kept  # globals the import lacks: a module of its own, as Jinja makes
        assert module.checkbox is not None


def test_underscore_is_the_shops_gettext_in_every_language(sqlite_app):
    env = sqlite_app.jinja_env
    assert env.globals["_"] is env.globals["gettext"]
    page = env.from_string("{{ _('Cart') }}|{{ _('Only %(num)s left.', num=12) }}|{{ _('<b>%(x)s</b>', x='<i>') }}")
    with sqlite_app.test_request_context():
        with force_locale("es"):
            assert page.render().startswith("Carrito|")
        with force_locale("bn"):
            assert "১২" in page.render()
        assert page.render().endswith("<b>&lt;i&gt;</b>")  # the message is markup, its values escaped


def test_lazy_messages_follow_the_locale_and_keep_their_id(sqlite_app):
    label = numerals.lazy_gettext("Cart")
    assert label.msgid == "Cart"
    with sqlite_app.test_request_context():
        assert str(label) == "Cart"
        with force_locale("es"):
            assert str(label) == "Carrito"
    assert str(numerals.lazy_gettext("%(n)s items", n=3)) == "3 items"  # outside a request: the message itself


def test_wtforms_messages_come_from_a_catalogue_kept_per_language(sqlite_app):
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import Length

    class _Form(FlaskForm):
        name = StringField(validators=[Length(max=2)])

    with sqlite_app.test_request_context(method="POST", data={"name": "long"}):
        sqlite_app.config["WTF_CSRF_ENABLED"] = False
        try:
            with force_locale("es"):
                spanish = form_catalogue.wtforms_translations()
                assert form_catalogue.wtforms_translations() is spanish  # loaded once
                form = _Form()
                assert not form.validate()
                assert form.errors["name"] == ["El campo no puede tener más de 2 caracteres."]  # WTForms' Spanish
                assert "2" in form.errors["name"][0] and "Field cannot" not in form.errors["name"][0]
            assert form_catalogue.wtforms_translations() is not spanish
        finally:
            sqlite_app.config["WTF_CSRF_ENABLED"] = True


def test_datetimes_remembered_per_locale_as_babel_formats_them(sqlite_app):
    from datetime import datetime

    from flask_babel import format_datetime

    from storefront.core.templating import shop_datetime

    seen = set()
    for when in (datetime(2026, 3, 1, 23, 30), datetime(2026, 3, 2, 8, 5)):  # noqa: DTZ001 - naive UTC, as stored
        for locale in ("en", "es", "bn"):
            with sqlite_app.test_request_context(), force_locale(locale):
                shown = shop_datetime(when)
                assert shop_datetime(when) == shown  # the second time from the memo
                if locale == "bn":
                    assert "২০২৬" in shown  # its own digits
                else:
                    assert shown == format_datetime(when, "medium"), locale
                seen.add(shown)
    assert len(seen) == 6  # each instant and language its own text
