"""Finished feeds kept as files until the catalog changes: `<dir>/<format>-<key>.<ext>`.

A feed of 10,000 products is megabytes: too big for the page cache (its pages are capped at
CACHE_MAX_PAGE_BYTES), so it lives in a file under the instance folder (FEEDS_CACHE_DIR), shared
by every worker process of the server. The first fetch after a change streams the feed to the
client while writing it to a temporary file, renamed into place only once complete: a reader
never sees half a feed, and a fetch cut short leaves nothing behind. The key (rules.cache_key)
holds the catalog generation, so a change makes a new key; older files of the same format are
deleted when a new one is complete, which bounds the folder to a few files.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .rules import FILE_NAMES

log = logging.getLogger(__name__)


def cache_dir(config: dict, instance_path: str) -> Path:
    """The folder of finished feeds: FEEDS_CACHE_DIR, else `<instance>/feeds`."""
    return Path(config.get("FEEDS_CACHE_DIR") or Path(instance_path) / "feeds")


def cached_path(folder: Path, fmt: str, key: str) -> Path:
    """Where the finished feed of this format and key is (or will be) kept."""
    suffix = FILE_NAMES[fmt].rsplit(".", 1)[1]
    return folder / f"{fmt}-{key}.{suffix}"


def find(folder: Path, fmt: str, key: str) -> Path | None:
    """The finished feed's file, or None when it was not built yet."""
    path = cached_path(folder, fmt, key)
    return path if path.is_file() else None


def written_through(chunks: Iterable[str], target: Path) -> Iterator[bytes]:
    """Yield each chunk encoded, writing it to a temporary file that becomes `target` when complete.

    A failure to write (full disk) is logged and the client still gets its feed, uncached. A
    generator closed early (the client went away) or a failing read removes the temporary file.
    """
    temp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    out = _open(temp)
    try:
        for chunk in chunks:
            data = chunk.encode()
            if out is not None:
                out = _write(out, data, temp)
            yield data
        if out is not None:
            out.close()
            os.replace(temp, target)
            out = None
            _drop_older(target)
    finally:
        if out is not None:  # not complete: never leave a partial file
            out.close()
            temp.unlink(missing_ok=True)


def _open(temp: Path) -> BinaryIO | None:
    """The temporary file, opened for writing; None (logged) when the folder is unwritable."""
    try:
        temp.parent.mkdir(parents=True, exist_ok=True)
        return temp.open("wb")
    except OSError:
        log.warning("feed cache folder unwritable; serving the feed uncached", exc_info=True)
        return None


def _write(out: BinaryIO, data: bytes, temp: Path) -> BinaryIO | None:
    """Append `data`; on a write error (full disk) drop the temporary file and go on uncached."""
    try:
        out.write(data)
        return out
    except OSError:
        log.warning("feed cache write failed; serving the feed uncached", exc_info=True)
        out.close()
        temp.unlink(missing_ok=True)
        return None


def _drop_older(kept: Path) -> None:
    """Delete the other finished files of the same format (older generations, other settings)."""
    fmt = kept.name.split("-", 1)[0]
    for path in kept.parent.glob(f"{fmt}-*"):
        if path != kept:
            path.unlink(missing_ok=True)
