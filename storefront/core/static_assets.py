"""Static files sent pre-compressed (brotli, gzip), from variants named by content hash.

A variant lives in STATIC_COMPRESSED_DIR (default `instance/static-compressed/`) as
`<sha256 of the source>.br` / `.gz`. An edited file has a new hash, hence a new variant name: an
old variant can never be sent for new content, whatever the clocks or the deploy order say.
`flask compress-static` makes them all ahead of time (make run/test and the systemd unit run
it); a variant still missing is made on the first request that wants it, written to a temporary
name and renamed, so gunicorn workers racing to make the same one are harmless.

For nginx (`gzip_static`, `brotli_static`), the command also writes `app.css.gz`/`app.css.br`
next to each file, stamped with the file's mtime; those are only as fresh as the last run of
the command, which is why the service runs it before every start.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app, request, send_file, send_from_directory
from flask.cli import with_appcontext
from werkzeug.security import safe_join

from ..hashing import file_digest
from .compression import CODINGS, STATIC_LEVEL, choose_coding, compress

log = logging.getLogger(__name__)

# Text files worth compressing (images other than SVG, and woff2 fonts, are compressed already).
COMPRESSIBLE = frozenset({".css", ".js", ".mjs", ".map", ".json", ".webmanifest", ".svg", ".txt", ".xml", ".html"})
SUFFIX = {"br": ".br", "gzip": ".gz"}
VARIANT_NAME = re.compile(r"^[0-9a-f]{64}\.(br|gz)$")
_NOT_SMALLER: set[tuple[str, str]] = set()  # (digest, coding) whose encoding saved nothing


def variant_folder() -> Path:
    """Where the app keeps compressed variants (shared by every worker of this instance)."""
    configured = current_app.config.get("STATIC_COMPRESSED_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "static-compressed"


def variant_file(source: Path, digest: str, coding: str) -> Path | None:
    """The `coding` variant of `source` (whose sha256 is `digest`), made now if missing; None if
    encoding does not make it smaller or the variant cannot be written."""
    if not digest or (digest, coding) in _NOT_SMALLER:
        return None
    target = variant_folder() / f"{digest}{SUFFIX[coding]}"
    if target.is_file():
        return target
    try:
        return _write_variant(source, digest, coding, target)
    except OSError as error:  # a read-only instance folder: send the file uncompressed
        log.warning("cannot write compressed static variant %s: %s", target, error)
        return None


def _write_variant(source: Path, digest: str, coding: str, target: Path) -> Path | None:
    """Encode `source` into `target` atomically, checking the bytes are still those of `digest`."""
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        return None  # edited between hashing and reading: the next request sees the new hash
    encoded = compress(data, coding, STATIC_LEVEL[coding])
    if len(encoded) >= len(data):
        _NOT_SMALLER.add((digest, coding))
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_bytes(encoded)
    os.replace(temporary, target)
    return target


def send_static(filename: str):
    """The `static` endpoint: the best encoding the client accepts, each with its own ETag.

    Range, HEAD and conditional requests are answered by send_file on whichever bytes are sent
    (a range of a brotli answer is a range of the brotli bytes, as HTTP defines it).
    """
    app = current_app
    max_age = app.get_send_file_max_age(filename)
    found = safe_join(app.static_folder, filename)
    source = Path(found) if found else None
    if source is None or source.suffix not in COMPRESSIBLE or not source.is_file():
        return send_from_directory(app.static_folder, filename, max_age=max_age)
    digest = file_digest(source)
    if not digest:  # removed since the check above
        return send_from_directory(app.static_folder, filename, max_age=max_age)
    coding = choose_coding(request.headers.get("Accept-Encoding", ""))
    variant = variant_file(source, digest, coding) if coding else None
    response = _send_variant(source, variant, digest, coding, max_age) if variant is not None else None
    if response is None:
        response = send_file(source, etag=digest[:32], max_age=max_age)
    response.vary.add("Accept-Encoding")
    return response


def _send_variant(source: Path, variant: Path, digest: str, coding: str, max_age: int | None):
    """The compressed variant as `source`'s own type, or None if a prune removed it just now."""
    mimetype = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    try:
        response = send_file(
            variant,
            mimetype=mimetype,
            download_name=source.name,
            etag=f"{digest[:32]}-{coding}",
            last_modified=source.stat().st_mtime,
            max_age=max_age,
        )
    except FileNotFoundError:  # `flask compress-static` pruned it (it was made for other content)
        return None
    response.headers["Content-Encoding"] = coding
    return response


@dataclass
class CompressReport:
    """What `compress_folder` did."""

    files: int = 0
    variants: int = 0
    removed: int = 0


def compressible_files(folder: Path) -> list[Path]:
    """Every file under `folder` that is sent compressed."""
    return sorted(p for p in folder.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file())


def compress_folder(folder: Path, siblings: bool) -> CompressReport:
    """Make every variant of `folder`'s files, optionally the nginx siblings, and drop stale ones."""
    report, live = CompressReport(), set()
    for source in compressible_files(folder):
        report.files += 1
        digest = file_digest(source)
        for coding in CODINGS:
            variant = variant_file(source, digest, coding)
            if variant is not None:
                live.add(variant.name)
                report.variants += 1
            if siblings:
                _write_sibling(source, variant, Path(f"{source}{SUFFIX[coding]}"))
    cache = variant_folder()
    for old in cache.iterdir() if cache.is_dir() else ():
        if VARIANT_NAME.match(old.name) and old.name not in live:
            old.unlink(missing_ok=True)
            report.removed += 1
    if siblings:
        report.removed += _remove_orphan_siblings(folder)
    return report


def _write_sibling(source: Path, variant: Path | None, sibling: Path) -> None:
    """`app.css.br` for nginx: the variant's bytes with the source's mtime (none if not smaller)."""
    if variant is None:
        sibling.unlink(missing_ok=True)
        return
    encoded = variant.read_bytes()
    if not sibling.is_file() or sibling.read_bytes() != encoded:
        temporary = sibling.with_name(f".{sibling.name}.{os.getpid()}.{secrets.token_hex(4)}")
        temporary.write_bytes(encoded)
        os.replace(temporary, sibling)
    stat = source.stat()
    os.utime(sibling, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _remove_orphan_siblings(folder: Path) -> int:
    """Delete `x.css.gz`/`x.css.br` whose `x.css` is gone (other .gz files are left alone)."""
    removed = 0
    for sibling in [*folder.rglob("*.gz"), *folder.rglob("*.br")]:
        source = sibling.with_suffix("")
        if source.suffix in COMPRESSIBLE and not source.is_file():
            sibling.unlink(missing_ok=True)
            removed += 1
    return removed


@click.command("compress-static")
@click.option(
    "--siblings/--no-siblings",
    default=True,
    show_default=True,
    help="Also write file.gz/file.br next to each static file, for nginx's gzip_static/brotli_static.",
)
@with_appcontext
def compress_static_command(siblings: bool) -> None:
    """Pre-compress the static text files (brotli 11, gzip 9) and drop variants of old versions."""
    report = compress_folder(Path(current_app.static_folder), siblings)
    click.echo(
        f"{report.files} static files, {report.variants} compressed variants in {variant_folder()}"
        f"{' (and beside the files)' if siblings else ''}; {report.removed} stale removed."
    )


def init_app(app: Flask) -> None:
    """Serve the static folder through `send_static` and register `flask compress-static`."""
    if app.has_static_folder:
        app.view_functions["static"] = send_static
    app.cli.add_command(compress_static_command)
