"""Pure catalog rules: slugs, the rich-text sanitiser, search terms and text, sort orders, prices,
and what a product needs before it is published."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt

from ..domain import N_

SORTS = ("newest", "price_asc", "price_desc")
MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 8
MAX_PAGE = 1000
# The full-text indexes (SQLite FTS5 trigram, PostgreSQL pg_trgm) index runs of 3 characters:
# a shorter term ("围巾", "S", "%") cannot use them and is matched by a scan instead.
MIN_INDEXED_TERM = 3

# What an owner's Markdown may become: text structure, emphasis, lists, links. No images
# (photos have their own validated pipeline), no scripts, styles, iframes or event handlers.
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "a",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_description(markdown_text: str) -> str:
    """Markdown to HTML, then through an allow-list sanitiser (safe to mark as safe)."""
    html = _markdown.render(markdown_text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _drop_latin_accents(text: str) -> str:
    """Text in NFKD without the accents on Latin letters; other scripts keep their marks."""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFKD", text or ""):
        if unicodedata.combining(ch) and kept and kept[-1].isascii():
            continue  # an accent on a Latin letter
        kept.append(ch)
    return "".join(kept)


def _is_slug_char(ch: str) -> bool:
    """Letters and digits of any script, and the marks that complete them (Bengali vowel signs)."""
    return ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug: lower-case words joined by '-'.

    Accents are dropped from Latin letters ("Crème" -> "creme"); other scripts keep their
    letters and marks as written ("জামদানি শাড়ি", "丝绸围巾"), in NFC so a slug typed or
    pasted by a shopper matches the stored one.
    """
    normal = unicodedata.normalize("NFC", _drop_latin_accents(text)).lower()
    slug = "".join(ch if _is_slug_char(ch) else "-" for ch in normal)
    slug = re.sub(r"-{2,}", "-", slug).strip("-_")
    return slug[:max_length].strip("-") or "item"


def is_slug(text: str) -> bool:
    """True when `text` holds only what slugify() keeps: letters, digits, marks, '-' and '_'."""
    return all(ch == "-" or _is_slug_char(ch) for ch in text)


def normal_slug(slug: str) -> str:
    """A slug from a URL in the form slugs are stored in (NFC), so any spelling of it matches."""
    return unicodedata.normalize("NFC", slug)


def search_terms(query: str | None) -> list[str]:
    """Split a search query into at most a few words; odd characters are just characters."""
    # NFC: a Bengali or accented word typed in another normal form still matches the title.
    text = unicodedata.normalize("NFC", (query or "").replace("\x00", " "))
    text = re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS]
    return [t for t in text.split(" ") if t][:MAX_QUERY_TERMS]


def fold_for_search(text: str) -> str:
    """The form both the indexed text and the shopper's words are compared in.

    Case folded (any script with case), Latin accents dropped ("Crème" and "creme" meet),
    compatibility forms unified (full-width "ｗｏｏｌ" is "wool"), NFC. Other scripts keep
    their letters and marks, so Bengali and Chinese match as written.
    """
    return unicodedata.normalize("NFC", _drop_latin_accents(text)).casefold()


def search_document(title: str | None, description_md: str | None) -> str:
    """What search looks in for a product: its title and description, folded for matching.

    A newline separates them: search terms never hold whitespace, so no term can match
    across the end of the title and the start of the description.
    """
    return fold_for_search(f"{title or ''}\n{description_md or ''}")


def fts_phrase(term: str) -> str:
    """A folded term as an FTS5 phrase: quoted, so AND, NEAR, *, ^, : and ( ) are plain text."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, with LIKE's own wildcards escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def parse_sort(raw: str | None) -> str:
    """One of SORTS; unknown values fall back to newest."""
    return raw if raw in SORTS else "newest"


def parse_page(raw: str | None) -> int:
    """A page number between 1 and MAX_PAGE; anything else is page 1."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and 0 < len(text) < 5:
        return min(max(int(text), 1), MAX_PAGE)
    return 1


# --- what shopper pages show of a variant's stock ------------------------------------------------


def stock_state(available: int, threshold: int) -> str:
    """'sold_out', 'low' (at or under the threshold) or 'in_stock'."""
    if available <= 0:
        return "sold_out"
    return "low" if available <= threshold else "in_stock"


def shown_stock(available: int, threshold: int) -> tuple[str, int]:
    """What shopper pages show of a variant's stock: its state, and the count when they say "only N left"."""
    state = stock_state(available, threshold)
    return state, (available if state == "low" else 0)


def shows_differently(available_before: int, available_after: int, threshold: int) -> bool:
    """True when a stock move changes what a shopper page shows (so cached pages must go).

    In stock -> in stock (the usual order) and sold out -> sold out change nothing shown.
    """
    return shown_stock(available_before, threshold) != shown_stock(available_after, threshold)


# --- draft -> published -> archived ---------------------------------------------------------------

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
PRODUCT_STATUSES = (DRAFT, PUBLISHED, ARCHIVED)


# Each check: its key, what the checklist calls it, and what to do when it is missing.
PUBLISH_CHECKS = {
    "price": (N_("price"), N_("give a price above zero")),
    "variant": (N_("variant"), N_("add a variant with a SKU")),
    "photo": (N_("photo"), N_("add a photo")),
}


@dataclass(frozen=True)
class PublishCheck:
    """What a product still needs before it can be published, and what is only worth a warning."""

    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        """True when nothing blocks publishing."""
        return not self.missing


def publish_check(price: int | None, variant_stock: list[int], photo_count: int) -> PublishCheck:
    """Check a product: a price, at least one active variant (stock of each given), at least one photo.

    Stock is not required (a shop may publish before the goods arrive: shoppers see "sold out"),
    but having none is a warning, `no_stock`.
    """
    missing = []
    if price is None or price <= 0:
        missing.append("price")
    if not variant_stock:
        missing.append("variant")
    if photo_count <= 0:
        missing.append("photo")
    warnings = ("no_stock",) if variant_stock and not any(n > 0 for n in variant_stock) else ()
    return PublishCheck(tuple(missing), warnings)
