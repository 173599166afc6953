"""Finished feeds kept as files until the catalog changes: `<dir>/<format>-<family>-<key>.<ext>`.

A feed of 10,000 products is megabytes: too big for the page cache (its pages are capped at
CACHE_MAX_PAGE_BYTES), so it lives in a file under the instance folder (FEEDS_CACHE_DIR), shared
by every worker process of the server. The first fetch after a change streams the feed to the
client while writing it (and a gzip copy, for fetchers that accept gzip) to temporary files,
renamed into place only once complete: a reader never sees half a feed, and a fetch cut short
leaves nothing behind. A file is named
`<format>-<family>-<key>`: the family (rules.settings_key) covers the address and settings, the key
(rules.cache_key) also the catalog generation, so a change makes a new key; older files of the same
format are deleted when a new one is complete, which bounds the folder to a few files.

Normally the files are built ahead by the background job (build.py, jobs.py) when the catalog
changes; until the new one is complete, a fetch gets the newest file of the same family (newest()):
a feed stale by at most the job's period plus its build time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .rules import FILE_NAMES

log = logging.getLogger(__name__)
GZIP_LEVEL = 6  # about 0.1 s for a 20 MB feed, 19 times smaller


def cache_dir(config: dict, instance_path: str) -> Path:
    """The folder of finished feeds: FEEDS_CACHE_DIR, else `<instance>/feeds`."""
    return Path(config.get("FEEDS_CACHE_DIR") or Path(instance_path) / "feeds")


def cached_path(folder: Path, fmt: str, family: str, key: str) -> Path:
    """Where the finished feed of this format, settings family (rules.settings_key) and key is kept."""
    return folder / f"{fmt}-{family}-{key}.{_suffix(fmt)}"


def find(folder: Path, fmt: str, family: str, key: str) -> Path | None:
    """The finished feed's file, or None when it was not built yet."""
    path = cached_path(folder, fmt, family, key)
    return path if path.is_file() else None


def newest(folder: Path, fmt: str, family: str) -> tuple[Path, str] | None:
    """The most recent finished feed of this format and settings family, whatever its generation, and its key.

    Temporary files start with "." and gzip copies end in ".gz": neither matches, so only a
    complete plain file is found. None when there is none (or the folder is missing).
    """
    best: tuple[float, Path] | None = None
    for path in folder.glob(f"{fmt}-{family}-*.{_suffix(fmt)}"):
        with contextlib.suppress(OSError):  # deleted meanwhile by a newer build's clean-up
            mtime = path.stat().st_mtime
            if best is None or mtime > best[0]:
                best = (mtime, path)
    if best is None:
        return None
    return best[1], best[1].name.rsplit(".", 1)[0].rsplit("-", 1)[1]


def _suffix(fmt: str) -> str:
    """The file name's extension of a format: "xml", "csv"."""
    return FILE_NAMES[fmt].rsplit(".", 1)[1]


def gzipped(path: Path) -> Path:
    """The gzip copy kept beside a finished feed (for fetchers that accept gzip: ~20 times smaller)."""
    return path.with_name(path.name + ".gz")


def written_through(chunks: Iterable[str], target: Path) -> Iterator[bytes]:
    """Yield each chunk encoded, keeping it (and a gzip copy) in temporary files that become `target`
    (and its gzipped() sibling) once complete.

    A failure to write (full disk) is logged and the client still gets its feed, uncached. A
    generator closed early (the client went away) or a failing read removes the temporary files.
    """
    keeper = _Keeper(target)
    try:
        for chunk in chunks:
            data = chunk.encode()
            keeper.write(data)
            yield data
        keeper.finish()
    finally:
        keeper.discard()  # nothing left to do after finish(); else no partial file stays


class _Keeper:
    """The two temporary files (plain, gzip) a feed is written to while it streams out."""

    def __init__(self, target: Path) -> None:
        self.target = target
        stem = f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}"
        self.temps = (target.with_name(stem + ".part"), target.with_name(stem + ".gz.part"))
        self.zipper = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip stream, mtime 0
        self.files: tuple[BinaryIO, BinaryIO] | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.files = (self.temps[0].open("wb"), self.temps[1].open("wb"))
        except OSError:
            log.warning("feed cache folder unwritable; serving the feed uncached", exc_info=True)
            self.discard()

    def write(self, data: bytes) -> None:
        """Append a chunk to both files; a write error (full disk) drops them: the feed goes on uncached."""
        if self.files is None:
            return
        try:
            self.files[0].write(data)
            self.files[1].write(self.zipper.compress(data))
        except OSError:
            log.warning("feed cache write failed; serving the feed uncached", exc_info=True)
            self.discard()

    def finish(self) -> None:
        """Complete both files and move them into place (the gzip copy first: a plain file found has one)."""
        if self.files is None:
            return
        try:
            self.files[1].write(self.zipper.flush())
            for file in self.files:
                file.close()
            os.replace(self.temps[1], gzipped(self.target))
            os.replace(self.temps[0], self.target)
        except OSError:
            log.warning("feed cache could not be completed; the next fetch builds it again", exc_info=True)
            self.discard()
            return
        self.files = None
        _drop_older(self.target)

    def discard(self) -> None:
        """Close and delete the temporary files (if still there)."""
        for file in self.files or ():
            file.close()
        self.files = None
        for temp in self.temps:
            with contextlib.suppress(OSError):  # never there, or under an unusable folder
                temp.unlink()


def _drop_older(kept: Path) -> None:
    """Delete the other finished files of the same format (older generations, other settings)."""
    fmt = kept.name.split("-", 1)[0]
    for path in kept.parent.glob(f"{fmt}-*"):
        if path not in (kept, gzipped(kept)):
            path.unlink(missing_ok=True)
