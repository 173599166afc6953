"""Pure locale rules: which supported language a shopper gets, HTML lang/dir, native digits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from flask import current_app, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from ..money import NATIVE_DIGITS, in_native_digits

RTL = "right-to-left"


def parse_locale(tag: str) -> Locale | None:
    """A Babel Locale for 'zh-CN', 'zh_Hans', 'bn-BD' ...; None for '*' or unknown tags."""
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def _language_and_script(locale: Locale) -> tuple[str, str]:
    """The language and its (likely) script: zh-TW is ('zh', 'Hant'), zh and zh-CN ('zh', 'Hans')."""
    if locale.script:
        return locale.language, locale.script
    likely = get_global("likely_subtags")
    for key in (f"{locale.language}_{locale.territory}" if locale.territory else "", locale.language):
        if key and key in likely:
            full = Locale.parse(likely[key])
            if full.language == locale.language:
                return locale.language, full.script or ""
    return locale.language, ""


@lru_cache(maxsize=64)
def language_names(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    """(code, the language's name in itself) for the switcher: English, বাংলা, Español, 简体中文."""
    names = []
    for code in codes:
        locale = parse_locale(code)
        if locale is None:
            continue
        name = locale.get_display_name(locale) or code
        if locale.language == "zh" and locale.script:  # "中文 (简体)" reads better as 简体中文
            name = (locale.scripts.get(locale.script) or "") + (locale.languages.get("zh") or "")
        names.append((code, name[:1].upper() + name[1:]))
    return names


def negotiate(accepted: Iterable[str], supported: Sequence[str]) -> str | None:
    """The first supported locale a shopper accepts, in the shopper's order of preference.

    Matching is on language and script, so 'zh', 'zh-CN' and 'zh-SG' get zh_Hans while 'zh-TW'
    (Traditional) does not, and 'es-MX' gets es even when English is listed after it.
    """
    return _negotiate(tuple(accepted), tuple(supported))


@lru_cache(maxsize=512)
def _negotiate(accepted: tuple[str, ...], supported: tuple[str, ...]) -> str | None:
    """negotiate() for hashable arguments (cached: the same few headers come again and again)."""
    offered = []
    for name in supported:
        locale = parse_locale(name)
        if locale is not None:
            offered.append((name, _language_and_script(locale)))
    for tag in accepted:
        wanted = parse_locale(tag)
        if wanted is None:
            continue
        key = _language_and_script(wanted)
        for name, offered_key in offered:
            if offered_key == key:
                return name
    return None


def html_lang(locale: Locale | str) -> str:
    """The BCP 47 tag for <html lang>: 'zh-Hans', 'pt-BR', 'en'."""
    return str(locale).replace("_", "-")


def text_direction(locale: Locale | str) -> str:
    """'rtl' for right-to-left scripts (ar, he, fa, ur), else 'ltr'."""
    parsed = locale if isinstance(locale, Locale) else parse_locale(locale)
    return "rtl" if parsed is not None and parsed.character_order == RTL else "ltr"


def numbering_system(locale: Locale | str) -> str:
    """The CLDR numbering system whose digits native_digits() writes: 'beng' for bn, else 'latn'."""
    parsed = locale if isinstance(locale, Locale) else parse_locale(locale)
    system = parsed.default_numbering_system if parsed is not None else "latn"
    return system if system in NATIVE_DIGITS else "latn"


def native_digits(text: str, locale: Locale | str) -> str:
    """`text` with ASCII digits written in the locale's default digits (Bengali for bn)."""
    # The table lives in storefront.money, below core: money formatting writes these digits too.
    return in_native_digits(text, locale)


# --- the shopper's language -------------------------------------------------------------------


def supported_locales() -> list[str]:
    """The languages the shop speaks (SUPPORTED_LOCALES), its own locale always among them."""
    supported = list(current_app.config.get("SUPPORTED_LOCALES") or [])
    shop_locale = current_app.config["SHOP_LOCALE"]
    return supported if shop_locale in supported else [*supported, shop_locale]


def select_locale() -> str:
    """The shopper's explicit choice (the locale cookie), else Accept-Language, else the shop's locale."""
    supported = supported_locales()
    chosen = request.cookies.get(current_app.config.get("LOCALE_COOKIE_NAME", "locale"))
    if chosen in supported:
        return chosen
    return (
        _negotiated(request.headers.get("Accept-Language", ""), tuple(supported)) or current_app.config["SHOP_LOCALE"]
    )


@lru_cache(maxsize=512)
def _negotiated(accept_language: str, supported: tuple[str, ...]) -> str | None:
    """The supported language an Accept-Language header asks for (browsers send a few distinct headers).

    Remembered per header: parsing and negotiating cost more than serving a cached page.
    """
    accepted = [tag for tag, quality in parse_accept_header(accept_language, LanguageAccept) if quality > 0]
    return negotiate(accepted, list(supported))
