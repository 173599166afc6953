"""Product videos: MP4/WebM recognised by their content (not their name), size-capped, stored.

The checks read the container's structure, never decode media: an MP4 (ISO base media file) is
a chain of boxes that starts with `ftyp` naming a known brand and holds `moov` and `mdat`; a WebM
is an EBML header whose DocType is "webm" followed by a Segment holding Tracks. Every size a box
or element declares must fit in the file, so a truncated upload (a phone that lost the network)
is refused instead of stored as a video that never plays to its end.

Files are `<key>.mp4` or `<key>.webm` in the media folder, the key random and never reused, so
the file can be cached for a year and a replaced video gets a new address.
"""

from __future__ import annotations

import os
import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..domain import N_, Invalid

# Major or compatible brands of ISO-BMFF files that browsers play as video/mp4.
MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9"}
    | {b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP", b"dash", b"mmp4", b"MSNV"}
)
CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
EXTENSIONS = {value: key for key, value in CONTENT_TYPES.items()}
VIDEO_NAME = re.compile(r"^[0-9a-f]{32}\.(mp4|webm)$")
_CHUNK = 1024 * 1024
_MAX_BOXES = 100_000  # a file of millions of empty boxes is not a phone's video

# EBML (Matroska/WebM) element ids, with their length marker bits kept, as the spec writes them.
_EBML = 0x1A45DFA3
_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_TRACKS = 0x1654AE6B
_CLUSTER = 0x1F43B675

NOT_A_VIDEO = N_("The file is not an MP4 or WebM video.")
DAMAGED = N_("The video file is incomplete or damaged; please upload it again.")
EMPTY = N_("The file is empty.")
TOO_LARGE = N_("The video is larger than %(limit)s.")


class VideoRejected(Invalid):
    """An upload that cannot become a product video (422); ``message`` says why, translated."""


@dataclass(frozen=True)
class StoredVideo:
    """A stored video file: its key, content type and size in bytes."""

    key: str
    content_type: str
    size: int

    @property
    def file_name(self) -> str:
        """The file's name in the media folder (and its /media/ address)."""
        return video_file_name(self.key, self.content_type)


def video_file_name(key: str, content_type: str) -> str:
    """`<key>.mp4` or `<key>.webm`; ValueError for anything that could escape the media folder."""
    name = f"{key}.{EXTENSIONS.get(content_type, '')}"
    if not VIDEO_NAME.match(name):
        raise ValueError(f"Invalid video key {key!r} or type {content_type!r}.")
    return name


# --- recognising the container ----------------------------------------------------------------


def video_content_type(handle: BinaryIO, size: int) -> str:
    """The content type of a complete MP4 or WebM file, else VideoRejected (nothing is decoded)."""
    if size <= 0:
        raise VideoRejected(EMPTY)
    handle.seek(0)
    head = handle.read(12)
    if len(head) >= 8 and head[4:8] == b"ftyp":
        _check_mp4(handle, size)
        return CONTENT_TYPES["mp4"]
    if head[:4] == _EBML.to_bytes(4, "big"):
        _check_webm(handle, size)
        return CONTENT_TYPES["webm"]
    raise VideoRejected(NOT_A_VIDEO)


def _check_mp4(handle: BinaryIO, size: int) -> None:
    """Walk the top-level boxes: ftyp with a known brand first, moov and mdat present, all complete."""
    seen: set[bytes] = set()
    offset = count = 0
    while offset < size:
        count += 1
        if count > _MAX_BOXES:
            raise VideoRejected(NOT_A_VIDEO)
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            raise VideoRejected(DAMAGED)
        box_size, box_type = struct.unpack(">I4s", header[:8])
        if box_size == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                raise VideoRejected(DAMAGED)
            box_size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif box_size == 0:  # "to the end of the file"
            box_size, header_size = size - offset, 8
        else:
            header_size = 8
        if box_size < header_size:
            raise VideoRejected(DAMAGED)
        if offset + box_size > size:
            raise VideoRejected(DAMAGED)  # the box goes on past the end: a truncated upload
        if offset == 0:
            _check_brands(handle, box_size)
        seen.add(box_type)
        offset += box_size
    if not {b"moov", b"mdat"} <= seen:
        raise VideoRejected(DAMAGED)


def _check_brands(handle: BinaryIO, box_size: int) -> None:
    """The ftyp box names a brand browsers play as MP4 (major or compatible)."""
    if box_size < 16 or box_size > 4096:
        raise VideoRejected(NOT_A_VIDEO)
    handle.seek(8)
    body = handle.read(box_size - 8)
    brands = [body[:4]] + [body[i : i + 4] for i in range(8, len(body) - 3, 4)]
    if not any(brand in MP4_BRANDS for brand in brands):
        raise VideoRejected(NOT_A_VIDEO)


def read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    """Read an EBML variable-length integer at ``pos``: (value, length); -1 for "unknown size".

    Ids keep their length marker bits (``keep_marker``); sizes drop them. ValueError if cut short.
    """
    if pos >= len(data):
        raise ValueError("no bytes left")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("invalid or cut short")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = value << 8 | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1, length  # all ones: the size is unknown (a live recording)
    return value, length


def _element(handle: BinaryIO, offset: int) -> tuple[int, int, int]:
    """(id, header length, body size or -1) of the EBML element at ``offset``."""
    handle.seek(offset)
    head = handle.read(12)
    try:
        element_id, id_length = read_vint(head, 0, keep_marker=True)
        body_size, size_length = read_vint(head, id_length, keep_marker=False)
    except ValueError as exc:
        raise VideoRejected(DAMAGED) from exc
    return element_id, id_length + size_length, body_size


def _check_webm(handle: BinaryIO, size: int) -> None:
    """An EBML header with DocType "webm", then a Segment with Tracks; declared sizes fit the file."""
    element_id, header_length, body_size = _element(handle, 0)
    if body_size < 0 or body_size > 4096:
        raise VideoRejected(NOT_A_VIDEO)
    if header_length + body_size > size:
        raise VideoRejected(DAMAGED)
    handle.seek(header_length)
    if _doc_type(handle.read(body_size)) != b"webm":
        raise VideoRejected(NOT_A_VIDEO)
    offset = header_length + body_size
    if offset >= size:
        raise VideoRejected(DAMAGED)
    segment_id, segment_header, segment_size = _element(handle, offset)
    if segment_id != _SEGMENT:
        raise VideoRejected(DAMAGED)
    start = offset + segment_header
    end = size if segment_size < 0 else start + segment_size
    if end > size:
        raise VideoRejected(DAMAGED)
    if not _segment_has_tracks(handle, start, end):
        raise VideoRejected(DAMAGED)


def _doc_type(header_body: bytes) -> bytes | None:
    """The DocType string inside the EBML header's body, or None."""
    pos = 0
    try:
        while pos < len(header_body):
            element_id, id_length = read_vint(header_body, pos, keep_marker=True)
            body_size, size_length = read_vint(header_body, pos + id_length, keep_marker=False)
            pos += id_length + size_length
            if body_size < 0 or pos + body_size > len(header_body):
                return None
            if element_id == _DOCTYPE:
                return header_body[pos : pos + body_size].rstrip(b"\0")
            pos += body_size
    except ValueError:
        return None
    return None


def _segment_has_tracks(handle: BinaryIO, start: int, end: int) -> bool:
    """Walk the Segment's children up to the first Cluster: each must fit; Tracks must be among them."""
    offset, tracks, count = start, False, 0
    while offset < end and count < _MAX_BOXES:
        element_id, header_length, body_size = _element(handle, offset)
        if element_id == _CLUSTER:
            return tracks  # media follows; a live recording's clusters have no known size
        if body_size < 0 or offset + header_length + body_size > end:
            raise VideoRejected(DAMAGED)
        tracks = tracks or element_id == _TRACKS
        offset += header_length + body_size
        count += 1
    return False  # no media at all


# --- storing --------------------------------------------------------------------------------------


def store_video(stream: BinaryIO, media_root: Path, *, max_bytes: int) -> StoredVideo:
    """Copy an upload into the media folder if it is a complete MP4/WebM within ``max_bytes``.

    The bytes go to a hidden temporary file first (never all in memory), are checked there and
    only then renamed to their final name; a refused or failed upload leaves no file behind.
    """
    media_root = Path(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    temp = media_root / f".upload-{secrets.token_hex(8)}.tmp"
    try:
        size = _copy_capped(stream, temp, max_bytes)
        with open(temp, "rb") as handle:
            content_type = video_content_type(handle, size)
        key = secrets.token_hex(16)
        os.replace(temp, media_root / video_file_name(key, content_type))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return StoredVideo(key=key, content_type=content_type, size=size)


def _copy_capped(stream: BinaryIO, target: Path, max_bytes: int) -> int:
    """Copy ``stream`` to ``target`` in chunks; VideoRejected once it passes ``max_bytes``."""
    size = 0
    # "xb" honours the umask, so a separate web server can read the file once renamed.
    with open(target, "xb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise VideoRejected(TOO_LARGE, limit=megabytes(max_bytes))
            out.write(chunk)
    return size


def megabytes(size: int) -> str:
    """A size limit for people: '20 MB', '1.5 MB', or '50 kB' for small limits."""
    if size < 2**20:
        return f"{size / 1024:.0f} kB"
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".") + " MB"
