"""Content hashes of files, cached until the file changes (static versions, shell version, logo)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """sha256 of one version of a file (the key changes whenever the file does)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    """The file's sha256, read from disk only when its mtime or size changed; '' if it is missing."""
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)
