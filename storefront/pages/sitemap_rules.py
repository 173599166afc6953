"""Pure sitemap rules (sitemaps.org protocol 0.9): how many files, and the XML of each.

A sitemap file holds at most 50,000 URLs; past that /sitemap.xml becomes a sitemap index
pointing to /sitemap-1.xml, /sitemap-2.xml ... each holding `limit` URLs in one fixed order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit per file
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*\Z")  # what quote() leaves as it is
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class SitemapUrl:
    """One URL of the shop: its path (from path_of, or a fixed ASCII path) and when it last changed, if known."""

    path: str
    lastmod: datetime | None = None


def part_count(total: int, limit: int) -> int:
    """How many sitemap files `total` URLs need at `limit` per file (1 for none: an empty urlset)."""
    if limit < 1:
        raise ValueError("a sitemap file holds at least one URL")
    return max(1, -(-total // limit))


def is_index(total: int, limit: int) -> bool:
    """True when /sitemap.xml must be an index of parts rather than the URLs themselves."""
    return total > limit


def path_of(prefix: str, slug: str) -> str:
    """A shopper path for a slug of any script: '/p/' + the slug percent-encoded (as url_for would).

    The result holds no character XML must escape. Most slugs are plain ASCII: they skip quote().
    """
    return prefix + (slug if _PLAIN.match(slug) else quote(slug, safe=""))


def w3c_datetime(moment: datetime) -> str:
    """A W3C datetime in UTC to the second (naive datetimes are the shop's UTC): 2026-12-06T18:00:00+00:00."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "+00:00"


def urlset(base: str, urls: Iterable[SitemapUrl]) -> Iterator[str]:
    """The pieces of a <urlset> file: absolute locations on `base` (no trailing slash), lastmod when known."""
    yield _HEAD + f'<urlset xmlns="{NAMESPACE}">\n'
    root = escape(base)
    for url in urls:  # paths come from path_of(): nothing to escape in them
        lastmod = f"<lastmod>{w3c_datetime(url.lastmod)}</lastmod>" if url.lastmod else ""
        yield f"<url><loc>{root}{url.path}</loc>{lastmod}</url>\n"
    yield "</urlset>\n"


def sitemap_index(base: str, parts: int, lastmod: datetime | None = None) -> Iterator[str]:
    """The pieces of a <sitemapindex> file pointing to /sitemap-1.xml ... /sitemap-<parts>.xml."""
    yield _HEAD + f'<sitemapindex xmlns="{NAMESPACE}">\n'
    root = escape(base)
    stamp = f"<lastmod>{w3c_datetime(lastmod)}</lastmod>" if lastmod else ""
    for number in range(1, parts + 1):
        yield f"<sitemap><loc>{root}/sitemap-{number}.xml</loc>{stamp}</sitemap>\n"
    yield "</sitemapindex>\n"
