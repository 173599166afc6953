"""Pure rules of the shop's pages: which pages there are, what a page may hold, which version a shopper reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..catalog.rules import render_description
from ..domain import N_, Invalid

# The pages a shop has, in the order the footer and the admin list them.
SLUGS = ("about", "shipping", "returns", "privacy", "terms", "contact")
ALWAYS_SHOWN = frozenset({"contact"})  # the brand's contact and the stores make it, even without text
DEFAULT_TITLES = {
    "about": N_("Our story"),
    "shipping": N_("Shipping"),
    "returns": N_("Returns"),
    "privacy": N_("Privacy"),
    "terms": N_("Terms and conditions"),
    "contact": N_("Contact us"),
}
DEFAULT_LOCALE = ""  # a row for the shop's own language, whatever SHOP_LOCALE is set to
MAX_TITLE_CHARS = 120
MAX_BODY_CHARS = 20_000


class PageRefused(Invalid):
    """A page the shop refuses to save (the message says why); `field` names the input to fix."""

    def __init__(self, template: str, field: str = "", **params: object) -> None:
        super().__init__(template, **params)
        self.field = field


@dataclass(frozen=True)
class PageText:
    """A page's checked text: its title, the owner's Markdown and the sanitised HTML shoppers see."""

    title: str
    body: str
    body_html: str


@dataclass(frozen=True)
class PageVersion:
    """One stored language version of a page, as the shopper side reads it."""

    slug: str
    locale: str
    title: str
    body_html: str

    @property
    def has_body(self) -> bool:
        """True when the owner wrote something shoppers can read."""
        return bool(self.body_html.strip())


def is_page(slug: str) -> bool:
    """True for one of the shop's six pages."""
    return slug in SLUGS


def page_locales(shop_locale: str, supported: Iterable[str]) -> list[str]:
    """The languages a page may be written in: '' (the shop's own) first, then the other supported ones."""
    return [DEFAULT_LOCALE, *(code for code in supported if code != shop_locale)]


def stored_locale(locale: str, shop_locale: str) -> str:
    """The locale column for a shopper's language: '' for the shop's own."""
    return DEFAULT_LOCALE if locale == shop_locale else locale


def check_page(slug: str, title: str | None, body: str | None) -> PageText:
    """The page's text, trimmed and sanitised; PageRefused for a missing title or text, or one too long.

    Empty title and text together take a page down (it is then neither linked nor served), so
    that is allowed; contact needs no text (the brand's contact and the stores make it).
    """
    title, body = (title or "").strip(), (body or "").replace("\r\n", "\n").strip()
    if len(title) > MAX_TITLE_CHARS:
        raise PageRefused(N_("The title can be at most %(max)s characters."), "title", max=MAX_TITLE_CHARS)
    if len(body) > MAX_BODY_CHARS:
        raise PageRefused(N_("The text can be at most %(max)s characters."), "body", max=MAX_BODY_CHARS)
    html = render_description(body) if body else ""  # the product description's Markdown and nh3 cleaner
    if html.strip() and not title:
        raise PageRefused(N_("Please give the page a title."), "title")
    if title and not html.strip() and slug not in ALWAYS_SHOWN:
        raise PageRefused(N_("Please write the page's text, or clear the title too to take the page down."), "body")
    return PageText(title, body if html.strip() else "", html if html.strip() else "")


def choose_version(versions: Sequence[PageVersion], slug: str, locale: str) -> PageVersion | None:
    """The version a shopper reads: their language's when it has text, else the default one's, else None."""
    by_locale = {v.locale: v for v in versions if v.slug == slug and v.has_body}
    return by_locale.get(locale) or by_locale.get(DEFAULT_LOCALE)


def shown_version(versions: Sequence[PageVersion], slug: str, locale: str) -> PageVersion | None:
    """choose_version(), and for a page always shown (contact) without text its owner's title alone."""
    version = choose_version(versions, slug, locale)
    if version is not None or slug not in ALWAYS_SHOWN:
        return version
    titled = {v.locale: v for v in versions if v.slug == slug and v.title}
    return titled.get(locale) or titled.get(DEFAULT_LOCALE)


def linked_pages(versions: Sequence[PageVersion], locale: str) -> list[tuple[str, str]]:
    """(slug, title) of every page a shopper in `locale` can open, in SLUGS order; contact always.

    A title is the owner's for the version shown; '' when none (the caller shows DEFAULT_TITLES).
    """
    links = []
    for slug in SLUGS:
        version = shown_version(versions, slug, locale)
        if version is not None:
            links.append((slug, version.title))
        elif slug in ALWAYS_SHOWN:
            links.append((slug, ""))
    return links
