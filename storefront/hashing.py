"""Content hashes of files, cached until the file changes (static versions, shell version, logo)."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """sha256 of one version of a file (the key changes whenever the file does)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_digest(path: Path | str) -> str:
    """The file's sha256, read from disk only when its mtime or size changed; '' if it is missing.

    A plain string path is welcome: a page asks for six static files, and building Path objects
    for them cost more than the stat calls (issue 22).
    """
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    return _digest(os.fspath(path), stat.st_mtime_ns, stat.st_size)
