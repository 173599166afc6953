"""Building a feed: its text from the catalog in chunks, and the background rebuild of the finished files.

The rebuild (run by jobs.py every minute) keeps a finished file ready for every format that has a
live link, so a fetch after a catalog change is served from a file instead of waiting for a build.
It needs the shop's public address to write the links: with SHOP_URL unset it does nothing (a
fetch then builds the feed for the address it came to, as before). Functions take a session and
never commit; the catalog read is the batched one of service.catalog_batches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from ..catalog.generation import current
from ..clock import utcnow
from . import cache, formats, service
from .rules import GOOGLE, FeedSettings, cache_key, configured_base, feed_items, settings_key

log = logging.getLogger(__name__)

# Bump when the feed's shape changes: finished files of the old code are then never served.
FEED_VERSION = "1"


def feed_chunks(session: Session, fmt: str, settings: FeedSettings) -> Iterator[str]:
    """The feed's text: its head, one chunk per batch of products, its tail."""
    if fmt == GOOGLE:
        head, write_items, tail = formats.google_head(settings), formats.google_items, formats.google_tail()
    else:
        head, write_items, tail = formats.meta_head(), formats.meta_items, ""
    yield head
    for batch in service.catalog_batches(session):
        yield write_items((item for rows in batch for item in feed_items(*rows, settings)), settings)
    if tail:
        yield tail


def rebuild(session: Session, config: Mapping, folder: Path) -> list[str]:
    """Build the missing finished file of each format with a live link, for SHOP_URL; the formats built.

    Cheap when nothing changed: one generation read, the brand and a file check per format. With
    SHOP_URL unset, or a database that cannot say its generation, nothing is built.
    """
    base = configured_base(config.get("SHOP_URL"))
    if base is None:
        return []
    generation = current(session.get_bind())  # read before any catalog row: a file is never older than its key
    if generation is not None:  # and the last sale start or end passed: a sale's change makes a new feed
        generation = f"{generation}~{service.sales_phase(session, utcnow())}"
    if generation is None:
        return []
    settings = service.feed_settings(session, config, base)
    return [fmt for fmt in service.live_formats(session) if build_missing(session, fmt, settings, generation, folder)]


def build_missing(session: Session, fmt: str, settings: FeedSettings, generation: str, folder: Path) -> bool:
    """Write the finished file of this format and generation unless it exists; whether it was built."""
    family = settings_key(fmt, settings, FEED_VERSION)
    key = cache_key(fmt, generation, settings, FEED_VERSION)
    if cache.find(folder, fmt, family, key) is not None:
        return False
    for _ in cache.written_through(feed_chunks(session, fmt, settings), cache.cached_path(folder, fmt, family, key)):
        pass  # written to the file only; nobody is waiting for the bytes
    log.info("feed %s rebuilt for generation %s", fmt, generation)
    return True
