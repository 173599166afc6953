"""WTForms' own messages ("Field must be at most %(max)d characters.") from a catalogue kept per process.

Flask-WTF reads WTForms' catalogue from disk and parses it once per request that translates one
of them, and a field without a label asks for one when it is bound: every checkout page read and
parsed the .mo file (issue 22). A catalogue is a file of the installed WTForms, the same for the
life of the process, so it is loaded once per language here and shared: read-only after loading.
The language is still the request's (Flask-Babel's `get_locale`), looked up as Flask-WTF does.
"""

from __future__ import annotations

from functools import lru_cache

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import i18n
from wtforms.i18n import messages_path


def wtforms_translations() -> support.Translations | None:
    """This request's WTForms catalogue, or None outside a request or without Flask-Babel (as Flask-WTF)."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    return _catalogue(str(get_locale()))


@lru_cache(maxsize=32)
def _catalogue(locale_tag: str) -> support.Translations:
    """WTForms' catalogue for one language tag ("es", "zh_Hans"): loaded from disk once."""
    return support.Translations.load(messages_path(), [locale_tag], domain="wtforms")


def install() -> None:
    """Make Flask-WTF's translations object (every FlaskForm's, with WTF_I18N_ENABLED) use the kept catalogue."""
    i18n._get_translations = wtforms_translations
