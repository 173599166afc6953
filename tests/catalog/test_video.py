"""Product videos are recognised by content: complete MP4 and WebM files only, within the size cap."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from storefront.catalog.video import (
    DAMAGED,
    EMPTY,
    NOT_A_VIDEO,
    VideoRejected,
    read_vint,
    store_video,
    video_content_type,
    video_file_name,
)
from tests.builders import ebml_element, mp4_box, mp4_bytes, webm_bytes


def kind_of(data: bytes) -> str:
    return video_content_type(io.BytesIO(data), len(data))


def refusal(data: bytes) -> str:
    with pytest.raises(VideoRejected) as caught:
        kind_of(data)
    return caught.value.template


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- what is accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize("brand", [b"isom", b"mp42", b"avc1", b"iso5", b"M4V "])
def test_mp4_with_a_known_brand_is_video_mp4(brand):
    assert kind_of(mp4_bytes(brand=brand)) == "video/mp4"


def test_a_known_compatible_brand_is_enough():
    assert kind_of(mp4_bytes(brand=b"zzzz", compatible=b"mp42")) == "video/mp4"


def test_mp4_box_sizes_of_64_bits_and_to_the_end_are_read():
    data = mp4_bytes()
    mdat_at = data.index(b"mdat") - 4
    media = data[mdat_at + 8 :]
    large = data[:mdat_at] + struct.pack(">I4sQ", 1, b"mdat", 16 + len(media)) + media
    to_end = data[:mdat_at] + struct.pack(">I4s", 0, b"mdat") + media
    assert kind_of(large) == kind_of(to_end) == "video/mp4"


def test_webm_is_video_webm_with_known_or_unknown_sizes():
    assert kind_of(webm_bytes()) == "video/webm"
    assert kind_of(webm_bytes(live=True)) == "video/webm"  # MediaRecorder's streaming layout


def test_ebml_variable_length_integers():
    assert read_vint(b"\x81", 0, keep_marker=False) == (1, 1)
    assert read_vint(b"\x40\x02", 0, keep_marker=False) == (2, 2)
    assert read_vint(b"\x1a\x45\xdf\xa3", 0, keep_marker=True) == (0x1A45DFA3, 4)
    assert read_vint(b"\xff", 0, keep_marker=False) == (-1, 1)  # all ones: unknown size
    assert read_vint(b"\x01" + b"\xff" * 7, 0, keep_marker=False) == (-1, 8)
    for bad in (b"", b"\x00\x80", b"\x40"):  # nothing, no length marker in the first byte, cut short
        with pytest.raises(ValueError):
            read_vint(bad, 0, keep_marker=False)


# --- what is refused -----------------------------------------------------------------------------


def test_a_renamed_photo_or_text_is_not_a_video():
    assert refusal(jpeg()) == NOT_A_VIDEO
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100) == NOT_A_VIDEO
    assert refusal(b"ftyp isom, honest " * 10) == NOT_A_VIDEO
    assert refusal(b"") == EMPTY


def test_an_unknown_brand_or_doc_type_is_not_a_video():
    assert refusal(mp4_bytes(brand=b"qt  ", compatible=b"qt  ")) == NOT_A_VIDEO  # QuickTime
    assert refusal(mp4_bytes(brand=b"heic", compatible=b"mif1")) == NOT_A_VIDEO  # a HEIF photo
    assert refusal(webm_bytes(doc_type=b"matroska")) == NOT_A_VIDEO


@pytest.mark.parametrize("build", [mp4_bytes, webm_bytes], ids=["mp4", "webm"])
def test_every_truncation_is_refused(build):
    """A phone that lost the network mid-upload: every cut of the file is refused, never stored."""
    data = build(media=b"\x00" * 300)
    assert kind_of(data)
    for cut in range(1, len(data)):
        with pytest.raises(VideoRejected):
            kind_of(data[:cut])


def test_a_live_webm_cut_before_its_media_is_refused():
    data = webm_bytes(live=True)
    for cut in range(1, data.index(b"\x1f\x43\xb6\x75")):
        with pytest.raises(VideoRejected):
            kind_of(data[:cut])


def test_mp4_without_movie_or_media_or_with_impossible_boxes_is_refused():
    ftyp = mp4_box(b"ftyp", b"isom\x00\x00\x02\x00isom")
    assert refusal(ftyp + mp4_box(b"mdat", b"\x00" * 50)) == DAMAGED  # no moov: nothing to play
    assert refusal(ftyp + mp4_box(b"moov", b"\x00" * 50)) == DAMAGED  # no mdat
    assert refusal(ftyp + struct.pack(">I4s", 4, b"moov") + b"\x00" * 50) == DAMAGED  # smaller than its header
    assert refusal(mp4_box(b"ftyp", b"is") + mp4_box(b"moov", b"") + mp4_box(b"mdat", b"")) == NOT_A_VIDEO


def test_webm_without_tracks_is_refused():
    header = ebml_element(b"\x1a\x45\xdf\xa3", ebml_element(b"\x42\x82", b"webm"))
    cluster = ebml_element(b"\x1f\x43\xb6\x75", b"\x00" * 20)
    assert refusal(header + ebml_element(b"\x18\x53\x80\x67", cluster)) == DAMAGED
    assert refusal(header) == DAMAGED  # a header and nothing else


# --- storing ----------------------------------------------------------------------------------------


def test_store_video_writes_the_checked_file_under_a_random_name(tmp_path):
    data = webm_bytes()
    stored = store_video(io.BytesIO(data), tmp_path, max_bytes=len(data))
    assert stored.content_type == "video/webm" and stored.size == len(data)
    assert [p.name for p in tmp_path.iterdir()] == [stored.file_name] == [f"{stored.key}.webm"]
    assert (tmp_path / stored.file_name).read_bytes() == data
    again = store_video(io.BytesIO(data), tmp_path, max_bytes=len(data))
    assert again.key != stored.key  # a new upload, a new address (cached for a year)


def test_refused_uploads_leave_no_file(tmp_path):
    data = mp4_bytes()
    with pytest.raises(VideoRejected) as caught:
        store_video(io.BytesIO(data), tmp_path, max_bytes=len(data) - 1)
    assert caught.value.params == {"limit": "2 kB"} and "larger than" in caught.value.template
    with pytest.raises(VideoRejected):
        store_video(io.BytesIO(jpeg()), tmp_path, max_bytes=10**6)
    with pytest.raises(VideoRejected):
        store_video(io.BytesIO(data[:-1]), tmp_path, max_bytes=10**6)
    assert list(tmp_path.iterdir()) == []  # temporary files included


def test_video_file_names_cannot_escape_the_media_folder():
    assert video_file_name("0" * 32, "video/mp4") == "0" * 32 + ".mp4"
    for key, kind in (("../etc/passwd", "video/mp4"), ("0" * 32, "image/jpeg"), ("A" * 32, "video/webm")):
        with pytest.raises(ValueError):
            video_file_name(key, kind)
