"""Full-size photos for body-limit tests: a small real JPEG padded with comment segments to an exact size."""

from __future__ import annotations

import io

from PIL import Image

_COM_MAX = 65533  # a JPEG comment segment's payload: its 2-byte length counts itself


def padded_jpeg(size: int, colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A valid JPEG of exactly `size` bytes (a phone photo's weight without its encoding cost)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    image = buffer.getvalue()
    missing, segments = size - len(image), []
    while missing > 0:
        payload = min(_COM_MAX, missing - 4) if missing > 4 + 1 else 1
        segments.append(b"\xff\xfe" + (payload + 2).to_bytes(2, "big") + b"\x00" * payload)
        missing -= payload + 4
    data = image[:2] + b"".join(segments) + image[2:]
    assert len(data) == size, "choose a size a few bytes larger"
    return data
