"""The shop's messages as pybabel extracts them, and the catalogues that must translate them."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "storefront" / "translations"
LOCALES = ("bn", "es", "zh_Hans")
# babel.cfg's keywords plus the Makefile's -k flags (lazy_gettext is imported as _l, N_ marks ids).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}


@lru_cache(maxsize=1)
def extracted_messages() -> dict[str, tuple[str, str | None, str]]:
    """msgid -> (msgid, msgid_plural or None, where) for every message in code and templates."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if singular:
            found.setdefault(singular, (singular, plural, f"{filename}:{lineno}"))
    return found


def catalogue(locale: str):
    """The messages.po of one locale, parsed."""
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def compiled(locale: str) -> Translations:
    """The compiled .mo Flask-Babel loads (a NullTranslations when it is missing)."""
    return Translations.load(str(TRANSLATIONS), [locale])


def translated(locale: str, msgid: str) -> str:
    """The catalogue's translation of `msgid` (the catalogue itself, not a copy in the test)."""
    if locale == "en":
        return msgid
    message = catalogue_cached(locale).get(msgid)
    assert message is not None and message.string, f"{msgid!r} has no {locale} translation"
    return message.string if isinstance(message.string, str) else message.string[0]


@cache
def catalogue_cached(locale: str):
    return catalogue(locale)
