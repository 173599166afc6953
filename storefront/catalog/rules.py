"""Pure catalog rules: slugs, the rich-text sanitiser, search terms, sort orders, prices."""

from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

SORTS = ("newest", "price_asc", "price_desc")
MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 8
MAX_PAGE = 1000

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


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug: lower-case ASCII words joined by '-' (non-Latin titles keep their letters)."""
    normal = unicodedata.normalize("NFKD", text or "")
    ascii_text = normal.encode("ascii", "ignore").decode()
    source = ascii_text if re.search(r"[A-Za-z0-9]", ascii_text) else normal
    slug = re.sub(r"[^\w]+", "-", source.lower(), flags=re.UNICODE).strip("-_")
    return slug[:max_length].strip("-") or "item"


def search_terms(query: str | None) -> list[str]:
    """Split a search query into at most a few words; odd characters are just characters."""
    text = (query or "").replace("\x00", " ")
    text = re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS]
    return [t for t in text.split(" ") if t][:MAX_QUERY_TERMS]


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
