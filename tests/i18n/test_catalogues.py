"""Acceptance 1: every message of the code and templates is translated in every catalogue, and
no template shows text that bypasses gettext."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.checkers import checkers
from babel.messages.mofile import read_mo

from storefront import create_app
from tests.i18n.catalogues import LOCALES, ROOT, TRANSLATIONS, catalogue, extracted_messages
from tests.i18n.template_text import scan

# Literal text a template may print without gettext: codes and formats, never words for people.
ALLOWED_TEMPLATE_TEXT = {
    "admin/categories.html": {"/c/…"},  # a web address: /c/<slug>
}


def test_extraction_finds_the_shop_messages():
    messages = extracted_messages()
    assert len(messages) > 500, "extraction found too little: is babel.cfg still right?"
    for known in ("Add to cart", "Place order", "We could not find that order.", "Pick up at"):
        assert known in messages


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale):
    po = catalogue(locale)
    problems = []
    for msgid, plural, where in extracted_messages().values():
        message = po.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r} ({where})")
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if plural is not None and not isinstance(message.id, tuple):
            problems.append(f"not a plural entry: {msgid!r}")
        if isinstance(message.id, tuple) and len(forms) != po.num_plurals:
            problems.append(f"{len(forms)} plural forms, {locale} has {po.num_plurals}: {msgid!r}")
        if not all(form and form.strip() for form in forms):
            problems.append(f"untranslated: {msgid!r} ({where})")
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        for check in checkers:  # placeholders: same %(name)s in the translation as in the message
            try:
                check(po, message)
            except Exception as error:  # noqa: BLE001 - TranslationError, reported with the message
                problems.append(f"{error}: {msgid!r}")
    assert not problems, f"{locale}: {len(problems)} problems (translate them in messages.po):\n" + "\n".join(
        problems[:40]
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_forms_are_the_languages_own(locale):
    expected = {"bn": 2, "es": 2, "zh_Hans": 1}[locale]
    assert catalogue(locale).num_plurals == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_is_built_from_the_current_po(locale):
    """Flask-Babel reads the .mo: without `make translations` the shop would be English only."""
    mo_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `make translations` (make test does)"
    with open(mo_path, "rb") as fh:
        mo = read_mo(fh)

    def text(message):
        return (
            None if message is None else (message.string if isinstance(message.string, str) else tuple(message.string))
        )

    stale = [m.id for m in catalogue(locale) if m.id and text(mo.get(m.id)) != text(m)]
    assert not stale, f"{mo_path} is older than messages.po ({len(stale)} differ): run `make translations`"


def test_templates_show_no_text_outside_gettext():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    report = scan(app.jinja_env, ROOT / "templates")
    unexpected = {
        name: [text for text in found if text not in ALLOWED_TEMPLATE_TEXT.get(name, set())]
        for name, found in report.items()
    }
    unexpected = {name: found for name, found in unexpected.items() if found}
    assert not unexpected, f"user-visible text not wrapped in _(): {unexpected}"


def test_the_template_check_catches_bare_text():
    """The checker itself: bare words, visible attributes and printed literals are caught."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    env = app.jinja_env
    from tests.i18n.template_text import untranslated_text

    assert untranslated_text(env, "<p>Hello {{ name }}</p>") == ["Hello …"]
    assert untranslated_text(env, '<img alt="A photo" src="{{ x }}">') == ['<img alt="A photo">']
    assert untranslated_text(env, '<input placeholder="Search">') == ['<input placeholder="Search">']
    assert untranslated_text(env, "<p>{{ 'Sold out' if x else '' }}</p>") == ["…'Sold out' ''…"]
    assert untranslated_text(env, "<p class=\"{{ 'a' if x == 'b' else 'c' }}\">{{ url_for('x') }}</p>") == []
    assert untranslated_text(env, "<p>{{ _('Sold out') }} · {{ price }}</p>") == []
    assert untranslated_text(env, '<script>var a = "text";</script><input type="hidden" value="abc">') == []
    assert untranslated_text(env, '{% block body_attrs %}data-page="home"{% endblock %}') == []
    assert Path(ROOT / "templates" / "base.html").exists()
