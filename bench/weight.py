"""Page weight of shopper pages on a first visit: HTML, CSS and JS apart, gzip and brotli, photos apart.

For each page: the HTML plus every stylesheet and script it references (link rel=stylesheet,
link rel=preload/modulepreload of a style or script, script src), each fetched once and
compressed with gzip level 6 (what a compressing proxy typically sends) and brotli quality 11
(what pre-compressed static files are; for HTML an upper bound of brotli's gain). Photos are the
<img src> renditions the page references, counted apart, as sent (already compressed formats).
Anything the page loads from another origin is listed as third party (and not fetched).
"""

from __future__ import annotations

import gzip
import urllib.parse
from html.parser import HTMLParser
from typing import Any

import brotli
from run import HTTP_OK, BenchError, http_get

GZIP_LEVEL = 6
BROTLI_QUALITY = 11
KINDS = ("html", "css", "js")


class PageRefs(HTMLParser):
    """Collect what a page makes the browser fetch: styles, scripts, images (and their origins)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []  # (kind, url as written)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key.lower(): (value or "") for key, value in attrs}
        rels = attr.get("rel", "").lower().split()
        if tag == "link" and attr.get("href"):
            if "stylesheet" in rels or ("preload" in rels and attr.get("as") == "style"):
                self.refs.append(("css", attr["href"]))
            elif "modulepreload" in rels or ("preload" in rels and attr.get("as") == "script"):
                self.refs.append(("js", attr["href"]))
            elif "preload" in rels and attr.get("as") == "font":
                self.refs.append(("font", attr["href"]))
        elif tag == "script" and attr.get("src"):
            self.refs.append(("js", attr["src"]))
        elif tag == "img" and attr.get("src"):
            self.refs.append(("photo", attr["src"]))
        elif tag == "iframe" and attr.get("src"):
            self.refs.append(("iframe", attr["src"]))


def sizes(body: bytes) -> dict[str, int]:
    """Raw, gzip-6 and brotli-11 bytes of one body."""
    return {
        "raw": len(body),
        "gzip": len(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)),
        "brotli": len(brotli.compress(body, quality=BROTLI_QUALITY)),
    }


def fetch(url: str, cookie: str | None) -> bytes:
    """GET a same-origin URL (with the page's cookies); BenchError unless 200."""
    status, body = http_get(url, cookie=cookie)
    if status != HTTP_OK:
        raise BenchError(f"GET {urllib.parse.urlsplit(url).path} answered {status}")
    return body


def weigh_page(base: str, path: str, cookie: str | None = None) -> dict[str, Any]:
    """Weigh one page and what it loads on a first visit (empty cache)."""
    page_url = base + path
    html = fetch(page_url, cookie)
    parser = PageRefs()
    parser.feed(html.decode("utf-8", "replace"))
    origin = urllib.parse.urlsplit(page_url).netloc
    files = [{"kind": "html", "file": path, **sizes(html)}]
    photos, third_party, seen = [], [], {page_url}
    for kind, ref in parser.refs:
        url = urllib.parse.urljoin(page_url, ref)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob") or url in seen:
            continue
        seen.add(url)
        if parts.netloc != origin:
            third_party.append({"kind": kind, "url": url})
        elif kind in ("css", "js"):
            files.append({"kind": kind, "file": parts.path, **sizes(fetch(url, cookie))})
        elif kind == "photo":
            # A reused database may point at photo files another run's media folder holds: count, do not fail.
            status, body = http_get(url, cookie=cookie)
            photos.append({"file": parts.path, "bytes": len(body) if status == HTTP_OK else 0, "status": status})
    totals = {
        kind: {m: sum(f[m] for f in files if f["kind"] == kind) for m in ("raw", "gzip", "brotli")} for kind in KINDS
    }
    return {
        "page": path,
        "files": files,
        "by_kind": totals,
        "total": {m: sum(t[m] for t in totals.values()) for m in ("raw", "gzip", "brotli")},
        "photos": {
            "count": len(photos),
            "bytes": sum(p["bytes"] for p in photos),
            "missing": sum(1 for p in photos if p["status"] != HTTP_OK),
            "files": photos,
        },
        "third_party": third_party,
    }
